/** open-beneath: what it opens and what it refuses (the race itself: test/cli/static-races). */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isBeneath, openBeneathAsync } from "../../src/util/open-beneath.js";

let base: string;
let root: string;

before(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "tcpkit-beneath-")));
  root = join(base, "root");
  mkdirSync(join(root, "d"), { recursive: true });
  mkdirSync(join(base, "out"));
  writeFileSync(join(root, "d", "a.txt"), "a");
  writeFileSync(join(base, "out", "s.txt"), "s");
  symlinkSync(join(base, "out"), join(root, "l"));
  symlinkSync(join(root, "d", "a.txt"), join(root, "link.txt"));
  execFileSync("mkfifo", [join(root, "fifo")]);
});
after(() => rmSync(base, { recursive: true, force: true }));

const code = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "ok",
    (e: NodeJS.ErrnoException) => e.code ?? "?",
  );

describe("openBeneath", () => {
  it("opens a regular file beneath the root and names where it is", async () => {
    const o = await openBeneathAsync(root, join(root, "d", "a.txt"));
    closeSync(o.fd);
    assert.equal(o.realPath, join(root, "d", "a.txt"));
    assert.equal(o.stat.size, 1);
  });
  it("refuses a file reached through a symlink to outside, unless allowed", async () => {
    assert.equal(await code(openBeneathAsync(root, join(root, "l", "s.txt"))), "ENOENT");
    const o = await openBeneathAsync(root, join(root, "l", "s.txt"), { allowOutside: true });
    closeSync(o.fd);
    assert.equal(o.realPath, join(base, "out", "s.txt"));
  });
  it("refuses a final symlink (callers open real paths), a FIFO at once, and a folder", async () => {
    assert.equal(await code(openBeneathAsync(root, join(root, "link.txt"))), "ELOOP");
    assert.equal(await code(openBeneathAsync(root, join(root, "fifo"))), "ENOENT");
    assert.equal(await code(openBeneathAsync(root, join(root, "d"))), "ENOENT");
    const d = await openBeneathAsync(root, join(root, "d"), { kind: "directory" });
    closeSync(d.fd);
  });
  it("compares paths by component, not by string prefix", () => {
    assert.equal(isBeneath("/srv/www", "/srv/www/a"), true);
    assert.equal(isBeneath("/srv/www", "/srv/www"), true);
    assert.equal(isBeneath("/srv/www", "/srv/www-secret/a"), false);
    assert.equal(isBeneath("/", "/etc/passwd"), true);
  });
});
