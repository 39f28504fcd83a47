/**
 * Real clients against `tcpkit serve`: curl ranges (HTTP/1.1 and 1.0), curl and wget resuming a
 * partial download, wget on an already complete file (416), curl --compressed on a precompressed
 * sibling, and curl's conditional GET (-z). Every byte is compared with the file.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { startCli, type RunningServer } from "../support/cli.js";
import { makeStaticFixture, type StaticFixture } from "../support/static-fixture.js";

const run = promisify(execFile);
let fx: StaticFixture;
let server: RunningServer;
let url: string;
let work: string;

before(async () => {
  fx = makeStaticFixture();
  work = join(fx.base, "downloads");
  mkdirSync(work);
  server = await startCli(["serve", fx.root, "--port", "0", "--log", "off"]);
  url = `http://127.0.0.1:${server.port}`;
});
after(async () => {
  await server?.stop();
  fx?.remove();
});

async function curl(args: string[]): Promise<{ stdout: Buffer; code: string }> {
  const out = join(work, "curl-out");
  const { stdout } = await run("curl", ["-sS", "-o", out, "-w", "%{http_code}", ...args], {
    timeout: 30_000,
  });
  return { stdout: readFileSync(out), code: stdout.toString() };
}

describe("curl", () => {
  for (const version of ["--http1.1", "--http1.0"]) {
    it(`-r a-b, -r -n and -r a- give exactly those bytes (${version})`, async () => {
      const a = await curl([version, "-r", "1000-1999", `${url}/big.bin`]);
      assert.equal(a.code, "206");
      assert.deepEqual(a.stdout, fx.big.subarray(1000, 2000));
      const b = await curl([version, "-r", "-100", `${url}/big.bin`]);
      assert.equal(b.code, "206");
      assert.deepEqual(b.stdout, fx.big.subarray(fx.big.length - 100));
      const c = await curl([version, "-r", "204000-", `${url}/big.bin`]);
      assert.deepEqual(c.stdout, fx.big.subarray(204000));
    });
  }

  it("-C - resumes a partial download to the exact file", async () => {
    const file = join(work, "resume-curl.bin");
    writeFileSync(file, fx.big.subarray(0, 77_777));
    await run("curl", ["-sS", "-C", "-", "-o", file, `${url}/big.bin`], { timeout: 30_000 });
    assert.deepEqual(readFileSync(file), fx.big);
  });

  it("--compressed decodes the precompressed sibling to the original", async () => {
    const { stdout } = await run("curl", ["-sS", "--compressed", "-D", "-", `${url}/app.js`], {
      encoding: "buffer",
      timeout: 30_000,
    });
    const text = stdout.toString("latin1");
    assert.match(text, /content-encoding: (br|gzip)\r\n/i);
    const body = stdout.subarray(stdout.indexOf("\r\n\r\n") + 4);
    assert.deepEqual(body, fx.appJs);
  });

  it("-z (If-Modified-Since) gets 304 for an unchanged file", async () => {
    const { stdout } = await run(
      "curl",
      [
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-z",
        join(fx.root, "hello.txt"),
        `${url}/hello.txt`,
      ],
      { timeout: 30_000 },
    );
    assert.equal(stdout, "304");
  });
});

describe("wget", () => {
  it("-c resumes a partial download to the exact file", async () => {
    const dir = join(work, "wget-partial");
    mkdirSync(dir);
    writeFileSync(join(dir, "big.bin"), fx.big.subarray(0, 100_001));
    await run("wget", ["-q", "-c", `${url}/big.bin`], { cwd: dir, timeout: 30_000 });
    assert.deepEqual(readFileSync(join(dir, "big.bin")), fx.big);
  });

  it("-c on a complete file gets 416 and leaves the file as it is", async () => {
    const dir = join(work, "wget-complete");
    mkdirSync(dir);
    writeFileSync(join(dir, "big.bin"), fx.big);
    const { stderr } = await run("wget", ["-c", `${url}/big.bin`], { cwd: dir, timeout: 30_000 });
    assert.match(stderr, /416|already fully retrieved/);
    assert.deepEqual(readFileSync(join(dir, "big.bin")), fx.big);
  });
});
