/**
 * `tcpkit put FILE URL` against `tcpkit serve --upload` (black-box: the built CLI on both ends,
 * real sockets): the stored file has the SHA-256 of the sent one from 0 bytes to a large sparse
 * file, stdin goes chunked, refusals are exit 3 with the status on stderr, usage mistakes exit 2,
 * network failures exit 1; -u sends Basic credentials.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { spawn } from "node:child_process";
import { startCannedServer } from "../support/canned-server.js";
import { CLI_PATH, runCli, startServe, type RunningServer } from "../support/cli.js";
import { CLI_RUNTIME } from "../support/runtime.js";
import { freePort } from "../support/ports.js";

let dir: string;
let root: string;
let server: RunningServer;
let base: string;
const env = (): NodeJS.ProcessEnv => ({ ...process.env, TCPKIT_STATE_DIR: join(dir, "state") });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tcpkit-put-"));
  root = join(dir, "www");
  mkdirSync(root);
  mkdirSync(join(dir, "src"));
  server = await startServe(root, "--upload", "--max-upload-bytes", String(200 * 1024 * 1024));
  base = `http://127.0.0.1:${server.port}`;
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function source(name: string, data: Buffer): string {
  const path = join(dir, "src", name);
  writeFileSync(path, data);
  return path;
}

function put(args: string[], options: { input?: Buffer; timeoutMs?: number } = {}) {
  return runCli(["put", ...args], {
    env: env(),
    timeoutMs: options.timeoutMs ?? 30_000,
    ...options,
  });
}

function leftovers(): string[] {
  return readdirSync(root).filter((n) => n.startsWith(".tcpkit-upload-"));
}

describe("tcpkit put", () => {
  for (const size of [0, 1, 3 * 1024 * 1024 + 7]) {
    it(`uploads ${size} bytes byte-exact (201, then 409 for the same name)`, async () => {
      const path = source(`f${size}.bin`, randomBytes(size));
      const r = await put([path, `${base}/f${size}.bin`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`/f${size}\\.bin: 201 Created`));
      assert.equal(await sha256File(join(root, `f${size}.bin`)), await sha256File(path));
      const again = await put([path, `${base}/f${size}.bin`]);
      assert.equal(again.code, 3, again.stderr);
      assert.match(
        again.stderr,
        /^tcpkit: HTTP 409 Conflict from http:\/\/127\.0\.0\.1:\d+\/f\d+\.bin/,
      );
    });
  }

  it("uploads a 160 MiB sparse file with data at both ends; a URL ending in / takes the file's name", async () => {
    const path = join(dir, "src", "sparse.bin");
    writeFileSync(path, randomBytes(4096));
    truncateSync(path, 160 * 1024 * 1024);
    const tail = randomBytes(4096);
    writeFileSync(path, tail, { flag: "a" });
    const r = await put(["-q", path, `${base}/`], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "", "-q prints nothing on success");
    assert.equal(await sha256File(join(root, "sparse.bin")), await sha256File(path));
    rmSync(join(root, "sparse.bin"));
  });

  it("sends stdin ('-') chunked, byte-exact", async () => {
    const data = randomBytes(2 * 1024 * 1024 + 3);
    const r = await put(["-", `${base}/from-stdin.bin`, "--trace"], { input: data });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /> Transfer-Encoding: chunked/);
    assert.equal(
      await sha256File(join(root, "from-stdin.bin")),
      createHash("sha256").update(data).digest("hex"),
    );
  });

  it("asks Expect: 100-continue and sends nothing when the server refuses first (413, no temporary file)", async () => {
    const small = await startServe(root, "--upload", "--max-upload-bytes", "1000");
    try {
      const path = source("toolarge.bin", randomBytes(1_000_000));
      const r = await put(["--trace", path, `http://127.0.0.1:${small.port}/toolarge.bin`]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /> Expect: 100-continue/);
      assert.doesNotMatch(r.stderr, /< HTTP\/1\.1 100 Continue/);
      assert.match(r.stderr, /tcpkit: HTTP 413 Content Too Large from /);
      assert.equal(existsSync(join(root, "toolarge.bin")), false);
      assert.deepEqual(leftovers(), []);
    } finally {
      await small.stop();
    }
  });

  it("exits 3 with 405 when the server takes no uploads", async () => {
    const plain = await startServe(root);
    try {
      const path = source("nope.bin", randomBytes(10));
      const r = await put([path, `http://127.0.0.1:${plain.port}/nope.bin`]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /tcpkit: HTTP 405 Method Not Allowed from /);
    } finally {
      await plain.stop();
    }
  });

  it("sends -u USER:PASS as Basic credentials (401 without them)", async () => {
    const guarded = await startServe(root, "--upload", "--auth", "ann:s3cret");
    try {
      const path = source("auth.bin", randomBytes(100));
      const url = `http://127.0.0.1:${guarded.port}/auth.bin`;
      const refused = await put([path, url]);
      assert.equal(refused.code, 3, refused.stderr);
      assert.match(refused.stderr, /HTTP 401 /);
      const r = await put(["-u", "ann:s3cret", path, url]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await sha256File(join(root, "auth.bin")), await sha256File(path));
    } finally {
      await guarded.stop();
    }
  });

  it("exits 2 on usage mistakes, 1 on a missing file or a refused connection", async () => {
    const path = source("u.bin", randomBytes(10));
    const cases: [string[], number, RegExp][] = [
      [[path], 2, /a URL is required/],
      [[], 2, /a FILE \(or - for stdin\) and a URL are required/],
      [["-c", "-", `${base}/x`], 2, /stdin cannot be uploaded resumably/],
      [["-", `${base}/`], 2, /ends in '\/': name the file in the URL/],
      [[path, "ftp://x/"], 2, /unsupported scheme/],
      [[join(dir, "missing.bin"), `${base}/m.bin`], 1, /cannot read .*missing\.bin: no such file/],
      [[dir, `${base}/d.bin`], 1, /is not a regular file/],
      [
        [path, `http://127.0.0.1:${await freePort()}/x.bin`],
        1,
        /connection refused by 127\.0\.0\.1/,
      ],
    ];
    for (const [args, code, message] of cases) {
      const r = await put(args);
      assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  });

  it("gives up with exit 1 when the server stops taking the body, or never answers (--timeout)", async () => {
    const path = join(dir, "src", "stall.bin");
    writeFileSync(path, "");
    truncateSync(path, 64 * 1024 * 1024);
    const stalled = await startCannedServer((_request, socket) => {
      socket.write("HTTP/1.1 100 Continue\r\n\r\n");
      socket.pause(); // never reads: the client's writes fill the socket buffers, then stop
      return undefined;
    });
    const silent = await startCannedServer((_request, socket) => {
      socket.write("HTTP/1.1 100 Continue\r\n\r\n");
      return undefined; // reads (and drops) the body, never answers
    });
    try {
      const stall = await put(["--timeout", "1", path, stalled.url("/stall.bin")]);
      assert.equal(stall.code, 1, stall.stderr);
      assert.match(
        stall.stderr,
        /^tcpkit: 127\.0\.0\.1:\d+ took no body bytes for 1 s \(after \d+\)\n$/,
      );
      const small = source("silent.bin", randomBytes(1000));
      const quiet = await put(["--timeout", "1", small, silent.url("/silent.bin")]);
      assert.equal(quiet.code, 1, quiet.stderr);
      assert.match(quiet.stderr, /^tcpkit: no response from 127\.0\.0\.1:\d+ within 1 s\n$/);
    } finally {
      await stalled.close();
      await silent.close();
    }
  });

  it("draws the progress line on a terminal and ends it with a newline", async () => {
    const path = source("progress.bin", randomBytes(2 * 1024 * 1024));
    const command = `${CLI_RUNTIME} ${CLI_PATH} put --limit-rate 1M ${path} ${base}/progress.bin`;
    const out = await new Promise<string>((resolve) => {
      const child = spawn("script", ["-qfec", `stty cols 80 rows 20; ${command}`, "/dev/null"], {
        env: env(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let text = "";
      child.stdout.on("data", (c: Buffer) => (text += c.toString("latin1")));
      child.once("close", () => resolve(text));
    });
    // eslint-disable-next-line no-control-regex
    const draws = [...out.matchAll(/\r\x1b\[2K([^\r\n]*)/g)].map((m) => m[1] ?? "");
    const progress = draws.filter((d) => /%\s+[\d.]+ \w+ of 2\.0 MiB/.test(d));
    assert.ok(progress.length >= 3, JSON.stringify(out));
    assert.ok(
      progress.some((d) => /^100%/.test(d)),
      JSON.stringify(out),
    );
    assert.match(out, /\r?\n[^\n]*\/progress\.bin: 201 Created/);
    assert.equal(await sha256File(join(root, "progress.bin")), await sha256File(path));
  });

  it("keeps the body's framing its own: a -H Content-Length or Transfer-Encoding is dropped", async () => {
    const data = randomBytes(70_000);
    const path = source("framing.bin", data);
    const r = await put([
      "--trace",
      "-H",
      "Transfer-Encoding: chunked",
      "-H",
      "Content-Length: 1",
      "-H",
      "X-Note: kept",
      path,
      `${base}/framing.bin`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const sent = r.stderr.split("\n").map((l) => l.replace(/^\[[^\]]*\] /, ""));
    assert.deepEqual(
      sent.filter((l) => /^> (Content-Length|Transfer-Encoding|X-Note):/i.test(l)),
      ["> X-Note: kept", "> Content-Length: 70000"],
    );
    assert.equal(await sha256File(join(root, "framing.bin")), await sha256File(path));
  });
});
