/**
 * Issue 18 #14 and issue 13: an unreadable file answers 403 whatever its size or cache state,
 * and the operator gets one rate-limited stderr line naming the path; a 500 gets one line with
 * its cause. The server runs as nobody (uid/gid 65534) when the tests run as root, as in CI:
 * root reads every file whatever its mode. The 500 line's wording: test/unit/file-error-log.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningServer, startCli } from "../support/cli.js";

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
let root: string;
let server: RunningServer;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-errors-"));
  chmodSync(root, 0o755);
  const files: [string, Buffer][] = [
    ["small.txt", Buffer.from("small\n")],
    ["big.bin", Buffer.alloc(200 * 1024, "b")],
    ["cached-small.txt", Buffer.from("cached small\n")],
    ["cached-big.bin", Buffer.alloc(200 * 1024, "c")],
  ];
  for (const [name, bytes] of files) {
    writeFileSync(join(root, name), bytes);
    chmodSync(join(root, name), 0o644);
  }
  chmodSync(join(root, "small.txt"), 0o000);
  chmodSync(join(root, "big.bin"), 0o000);
  server = await startCli(
    ["serve", root, "--port", "0", "--log", "off"],
    asRoot ? { uid: NOBODY, gid: NOBODY } : {},
  );
});
after(async () => {
  await server?.stop("SIGKILL");
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

const agent = new Agent({ keepAlive: false });

function status(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get({ host: "127.0.0.1", port: server.port, path, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout on ${path}`)));
    req.on("error", reject);
  });
}

const linesFor = (name: string, code: number): string[] =>
  server
    .stderr()
    .split("\n")
    .filter((l) => l.startsWith(`tcpkit: ${code} for `) && l.includes(join(root, name)));

/**
 * The lines for `name` once there are `count` of them (or after 5 s): the server writes the line
 * when it answers, but its stderr reaches this process on its own pipe, possibly after the
 * response (on Bun it often does). Extra lines beyond `count` still fail the caller's check.
 */
async function linesOnceThere(name: string, code: number, count: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  while (linesFor(name, code).length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 100)); // a duplicate line would arrive by now
  return linesFor(name, code);
}

describe("serve: unreadable files and server errors (issue 18 #14, issue 13)", () => {
  it("answers 403 for an unreadable file of any size, with one stderr line per path", async () => {
    for (let i = 0; i < 10; i++) {
      assert.equal(await status("/small.txt"), 403);
      assert.equal(await status("/big.bin"), 403);
    }
    for (const name of ["small.txt", "big.bin"]) {
      const lines = await linesOnceThere(name, 403, 1);
      assert.equal(lines.length, 1, server.stderr());
      assert.match(lines[0] as string, /: permission denied \(EACCES\)$/);
    }
  });

  it("answers 403 for a cached file made unreadable", async () => {
    assert.equal(await status("/cached-small.txt"), 200);
    assert.equal(await status("/cached-big.bin"), 200);
    chmodSync(join(root, "cached-small.txt"), 0o000);
    chmodSync(join(root, "cached-big.bin"), 0o000);
    assert.equal(await status("/cached-small.txt"), 403);
    assert.equal(await status("/cached-big.bin"), 403);
    assert.equal((await linesOnceThere("cached-small.txt", 403, 1)).length, 1, server.stderr());
    assert.equal((await linesOnceThere("cached-big.bin", 403, 1)).length, 1, server.stderr());
  });
});
