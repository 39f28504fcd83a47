/**
 * Real clients against `tcpkit serve`: curl ranges (HTTP/1.1, HTTP/1.0 and over TLS), curl and
 * wget resuming a partial download, wget on an already complete file (416), curl --compressed on
 * a precompressed sibling, and curl's conditional GET (-z); aria2c's segmented download (several
 * range requests on several connections at once), its resume and its conditional GET. Every byte
 * is compared with the file.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningServer, startServe } from "../support/cli.js";
import { makeStaticFixture, type StaticFixture } from "../support/static-fixture.js";
import { makeSelfSignedCert } from "../support/tls-cert.js";
import { runTool } from "../support/tools.js";

let fx: StaticFixture;
let server: RunningServer;
let url: string;
let work: string;

before(async () => {
  fx = makeStaticFixture();
  work = join(fx.base, "downloads");
  mkdirSync(work);
  server = await startServe(fx.root);
  url = `http://127.0.0.1:${server.port}`;
});
after(async () => {
  await server?.stop();
  fx?.remove();
});

/** Runs curl, asserts it succeeded, and returns the body and the status code. */
async function curl(args: string[]): Promise<{ body: Buffer; code: string }> {
  const out = join(work, "curl-out");
  rmSync(out, { force: true });
  const r = await runTool("curl", ["-sS", "-o", out, "-w", "%{http_code}", ...args]);
  assert.equal(r.code, 0, r.stderr);
  return {
    body: existsSync(out) ? readFileSync(out) : Buffer.alloc(0),
    code: r.stdout.toString(),
  };
}

async function tool(command: string, args: string[], cwd?: string): Promise<string> {
  const r = await runTool(command, args, cwd === undefined ? {} : { cwd });
  assert.equal(r.code, 0, r.stderr);
  return r.stderr;
}

/** -r a-b, -r -n, -r a- and a whole download of big.bin from `base`. */
async function checkRanges(base: string, extra: string[]): Promise<void> {
  const a = await curl([...extra, "-r", "1000-1999", `${base}/big.bin`]);
  assert.equal(a.code, "206");
  assert.deepEqual(a.body, fx.big.subarray(1000, 2000));
  const b = await curl([...extra, "-r", "-100", `${base}/big.bin`]);
  assert.equal(b.code, "206");
  assert.deepEqual(b.body, fx.big.subarray(fx.big.length - 100));
  const c = await curl([...extra, "-r", "204000-", `${base}/big.bin`]);
  assert.deepEqual(c.body, fx.big.subarray(204000));
  const whole = await curl([...extra, `${base}/big.bin`]);
  assert.equal(whole.code, "200");
  assert.deepEqual(whole.body, fx.big);
}

describe("curl", () => {
  it("ranges give exactly those bytes (HTTP/1.1)", () => checkRanges(url, ["--http1.1"]));
  it("ranges give exactly those bytes (HTTP/1.0)", () => checkRanges(url, ["--http1.0"]));

  it("ranges over TLS give exactly those bytes", async () => {
    const { cert, key } = await makeSelfSignedCert(fx.base);
    const tls = await startServe(fx.root, "--tls-cert", cert, "--tls-key", key);
    try {
      await checkRanges(`https://127.0.0.1:${tls.port}`, ["-k"]);
    } finally {
      await tls.stop();
    }
  });

  it("-C - resumes a partial download to the exact file", async () => {
    const file = join(work, "resume-curl.bin");
    writeFileSync(file, fx.big.subarray(0, 77_777));
    await tool("curl", ["-sS", "-C", "-", "-o", file, `${url}/big.bin`]);
    assert.deepEqual(readFileSync(file), fx.big);
  });

  it("--compressed decodes the precompressed sibling to the original", async () => {
    const r = await runTool("curl", ["-sS", "--compressed", "-D", "-", `${url}/app.js`]);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout.toString("latin1");
    assert.match(text, /content-encoding: (br|gzip)\r\n/i);
    assert.deepEqual(r.stdout.subarray(r.stdout.indexOf("\r\n\r\n") + 4), fx.appJs);
  });

  it("--compress: curl --compressed gets a gzip or br copy that decodes to the file", async () => {
    const s = await startServe(fx.root, "--compress");
    try {
      for (const encoding of ["gzip", "br"]) {
        const r = await runTool("curl", [
          "-sS",
          "--compressed",
          "-H",
          `Accept-Encoding: ${encoding}`,
          "-D",
          "-",
          `http://127.0.0.1:${s.port}/style.css`,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const head = r.stdout.subarray(0, r.stdout.indexOf("\r\n\r\n")).toString("latin1");
        assert.match(head, new RegExp(`\r\ncontent-encoding: ${encoding}\r\n`, "i"));
        assert.match(head, /\r\nvary: accept-encoding/i);
        assert.deepEqual(r.stdout.subarray(r.stdout.indexOf("\r\n\r\n") + 4), fx.styleCss);
      }
    } finally {
      await s.stop();
    }
  });

  it("-z (If-Modified-Since) gets 304 for an unchanged file", async () => {
    const r = await curl(["-z", join(fx.root, "hello.txt"), `${url}/hello.txt`]);
    assert.equal(r.code, "304");
    assert.ok(!existsSync(join(work, "curl-out")) || r.body.length === 0);
  });
});

describe("wget", () => {
  it("-c resumes a partial download to the exact file", async () => {
    const dir = join(work, "wget-partial");
    mkdirSync(dir);
    writeFileSync(join(dir, "big.bin"), fx.big.subarray(0, 100_001));
    await tool("wget", ["-q", "-c", `${url}/big.bin`], dir);
    assert.deepEqual(readFileSync(join(dir, "big.bin")), fx.big);
  });

  it("-c on a complete file gets 416 and leaves the file as it is", async () => {
    const dir = join(work, "wget-complete");
    mkdirSync(dir);
    writeFileSync(join(dir, "big.bin"), fx.big);
    const stderr = await tool("wget", ["-c", `${url}/big.bin`], dir);
    assert.match(stderr, /416|already fully retrieved/);
    assert.deepEqual(readFileSync(join(dir, "big.bin")), fx.big);
  });
});

describe("aria2c", () => {
  // 6 MiB: aria2c splits only ranges of at least --min-split-size (1 MiB here), so big.bin's
  // 200 KiB would go in one piece. A server of its own logs each request as JSON, to show that
  // the download really came in pieces.
  const large = Buffer.alloc(6 * 1024 * 1024);
  for (let i = 0; i < large.length; i++) large[i] = (i * 31 + (i >> 12)) & 0xff;
  let logged: RunningServer;
  let dir: string;

  before(async () => {
    writeFileSync(join(fx.root, "large.bin"), large);
    dir = join(work, "aria2");
    mkdirSync(dir);
    logged = await startServe(fx.root, "--log", "json");
  });
  after(() => logged?.stop());

  const at = () => `http://127.0.0.1:${logged.port}/large.bin`;
  /** The access log's entries for large.bin so far. */
  const entries = () =>
    logged
      .stdout()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { target: string; status: number; bytes: number })
      .filter((e) => e.target === "/large.bin");
  let sentinels = 0;
  /**
   * Waits until the log holds every line of the requests answered so far: the log is written
   * every 100 ms, and a loaded machine may take longer than a fixed wait to pass it on. Lines
   * come in the order of the answers, so a request sent now, once logged, has all before it.
   */
  const logSettled = async (): Promise<void> => {
    const target = `/log-sentinel-${sentinels++}`;
    await (await fetch(`http://127.0.0.1:${logged.port}${target}`)).arrayBuffer();
    for (const t0 = Date.now(); !logged.stdout().includes(`"${target}"`);) {
      assert.ok(Date.now() - t0 < 10_000, `${target} not logged within 10 s`);
      await new Promise((done) => setTimeout(done, 20));
    }
  };

  it("-x4 -s4 gets the exact file in several range requests", async () => {
    const before = entries().length;
    await tool("aria2c", ["-q", "-x4", "-s4", "-k1M", "-d", dir, "-o", "split.bin", at()]);
    assert.deepEqual(readFileSync(join(dir, "split.bin")), large);
    assert.ok(!existsSync(join(dir, "split.bin.aria2")), "aria2c's control file is left");
    await logSettled();
    // aria2c opens with a plain GET to learn the size (a 200 it may cut short), then asks for
    // the other pieces by range on further connections.
    const ranged = entries()
      .slice(before)
      .filter((e) => e.status === 206);
    assert.ok(ranged.length >= 2, `${ranged.length} range request(s)`);
  });

  it("-c resumes a partial file to the exact file, asking by range for the rest", async () => {
    writeFileSync(join(dir, "resume.bin"), large.subarray(0, 3_000_001));
    const before = entries().length;
    await tool("aria2c", ["-q", "-c", "-d", dir, "-o", "resume.bin", at()]);
    assert.deepEqual(readFileSync(join(dir, "resume.bin")), large);
    await logSettled();
    // aria2c starts the range at the last whole 16 KiB block it holds, not at the last byte.
    const rest = entries()
      .slice(before)
      .filter((e) => e.status === 206);
    const missing = large.length - 3_000_001;
    assert.equal(rest.length, 1, JSON.stringify(rest));
    assert.ok(
      rest[0]!.bytes >= missing && rest[0]!.bytes < missing + 16 * 1024,
      `${rest[0]!.bytes}`,
    );
  });

  it("--conditional-get gets 304 for an unchanged file and keeps it", async () => {
    const file = join(dir, "same.bin");
    writeFileSync(file, large);
    const { mtime } = statSync(join(fx.root, "large.bin"));
    utimesSync(file, mtime, mtime);
    const before = entries().length;
    await tool("aria2c", [
      "-q",
      "--conditional-get=true",
      "--allow-overwrite=true",
      "-d",
      dir,
      "-o",
      "same.bin",
      at(),
    ]);
    assert.deepEqual(readFileSync(file), large);
    await logSettled();
    assert.deepEqual(
      entries()
        .slice(before)
        .map((e) => e.status),
      [304],
    );
  });
});
