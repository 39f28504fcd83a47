/**
 * Issue 19: `--log-file FILE` and SIGHUP, as logrotate uses them (rename the file, signal the
 * server): lines before the signal stay in the renamed file, lines after it go to a new FILE,
 * none is lost, also with --workers (the primary passes the signal on). A path that cannot be
 * opened stops the start with one line.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runCli, startCli } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "tcpkit-logfile-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function fetch(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    }).on("error", reject);
  });
}

const linesOf = (path: string): string[] =>
  existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean) : [];

/** Waits until `path` holds `count` lines (the log is flushed every 100 ms), at most 10 s. */
async function waitForLines(path: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  while (linesOf(path).length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  return linesOf(path);
}

for (const workers of [1, 2]) {
  describe(`serve --log-file with --workers ${workers}`, () => {
    it(
      "after a rename and SIGHUP, new lines go to a new file and none is lost",
      { timeout: 60_000 },
      async () => {
        const log = join(dir, `access-${workers}.log`);
        const server = await startCli([
          "serve",
          ".",
          "--port",
          "0",
          "--workers",
          String(workers),
          "--log-file",
          log,
        ]);
        try {
          for (let i = 0; i < 5; i++) assert.equal(await fetch(server.port, `/before-${i}`), 404);
          assert.equal((await waitForLines(log, 5)).length, 5);
          renameSync(log, `${log}.1`);
          // Written after the rename, before the signal: still the old (renamed) file's.
          for (let i = 0; i < 3; i++) await fetch(server.port, `/between-${i}`);
          await waitForLines(`${log}.1`, 8);
          server.child.kill("SIGHUP");
          // The new file appears on the reopen; then every later line lands there.
          const deadline = Date.now() + 10_000;
          let n = 0;
          while (linesOf(log).length === 0 && Date.now() < deadline)
            await fetch(server.port, `/after-${n++}`);
          assert.ok(linesOf(log).length >= 1, "no new log file after SIGHUP");
          // Every request's line, flushed (the log writes every 100 ms).
          const until = Date.now() + 10_000;
          while (linesOf(`${log}.1`).length + linesOf(log).length < 8 + n && Date.now() < until) {
            await new Promise((r) => setTimeout(r, 25));
          }
          await new Promise((r) => setTimeout(r, 200)); // a line written twice would show by now
          const after = linesOf(log);
          const old = linesOf(`${log}.1`);
          const all = [...old, ...linesOf(log)];
          const targets = all.map((l) => /"GET (\S+) /.exec(l)?.[1]);
          for (let i = 0; i < 5; i++)
            assert.ok(targets.includes(`/before-${i}`), `lost /before-${i}`);
          for (let i = 0; i < 3; i++)
            assert.ok(targets.includes(`/between-${i}`), `lost /between-${i}`);
          for (let i = 0; i < n; i++)
            assert.ok(targets.includes(`/after-${i}`), `lost /after-${i}`);
          assert.equal(all.length, 8 + n, "a line written twice");
          assert.ok(
            after.every((l) => l.includes('"GET /after-')),
            "an old line in the new file",
          );
          assert.match(server.stdout(), /listening on/);
          assert.doesNotMatch(server.stdout(), /GET \//, "the log went to stdout as well");
        } finally {
          const { code } = await server.stop();
          assert.equal(code, 0);
        }
      },
    );
  });
}

describe("serve --log-file errors", () => {
  it("a path that cannot be opened: one line, exit 1; with --log off: a usage error", async () => {
    const bad = await runCli([
      "serve",
      ".",
      "--port",
      "0",
      "--log-file",
      join(dir, "missing", "x.log"),
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^tcpkit: cannot open --log-file .*missing\/x\.log: ENOENT/);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
    const off = await runCli([
      "serve",
      ".",
      "--port",
      "0",
      "--log",
      "off",
      "--log-file",
      join(dir, "y.log"),
    ]);
    assert.equal(off.code, 2);
    assert.match(off.stderr, /--log-file needs an access log/);
  });
});
