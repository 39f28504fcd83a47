/** The operator's line for a 403 or 500 file answer: path, cause, rate limits. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stderrFileErrors } from "../../src/static/file-error-log.js";

const err = (code: string, message: string): NodeJS.ErrnoException =>
  Object.assign(new Error(message), { code });

describe("stderrFileErrors", () => {
  it("names the path and the cause, once a minute per path, 20 lines a minute in all", () => {
    const lines: string[] = [];
    let t = 0;
    const report = stderrFileErrors(
      (l) => lines.push(l),
      () => t,
    );
    report(403, "/srv/a.txt", err("EACCES", "EACCES: permission denied, open '/srv/a.txt'"));
    report(403, "/srv/a.txt", err("EACCES", "x"));
    report(500, "/srv/b.bin", err("EMFILE", "EMFILE: too many open files, open '/srv/b.bin'"));
    assert.deepEqual(lines, [
      "tcpkit: 403 for /srv/a.txt: permission denied (EACCES)\n",
      "tcpkit: 500 for /srv/b.bin: EMFILE: too many open files, open '/srv/b.bin'\n",
    ]);
    for (let i = 0; i < 30; i++) report(500, `/srv/f${i}`, err("EIO", "EIO: i/o error"));
    assert.equal(lines.length, 20);
    t = 61_000;
    report(403, "/srv/a.txt", err("EACCES", "x"));
    assert.equal(
      lines.at(-1),
      "tcpkit: 403 for /srv/a.txt: permission denied (EACCES) (12 similar lines suppressed)\n",
    );
    report(500, "/srv/\u001b[2J\u009b", new Error("bad"));
    assert.equal(lines.at(-1), "tcpkit: 500 for /srv/\\u001b[2J\\u009b: bad\n");
  });
});
