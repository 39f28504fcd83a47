/**
 * `tcpkit put --resumable` / `-c` against `tcpkit serve --upload` (black-box): a run SIGKILLed
 * at several points (right after the server announced the upload, early, late) is completed
 * byte-exact by `-c`, which asks the server for the offset; the server restarted between the
 * halves still completes it; --retry resumes by itself when the server goes away mid-upload; a
 * file changed since is started again. --limit-rate slows the runs down enough to be caught.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { startCannedServer } from "../support/canned-server.js";
import { CLI_PATH, REPO_ROOT, runCli, startServeOn, type RunningServer } from "../support/cli.js";
import { freePort } from "../support/ports.js";
import { CLI_RUNTIME } from "../support/runtime.js";

let dir: string;
let root: string;
let stateDir: string;
const env = (): NodeJS.ProcessEnv => ({ ...process.env, TCPKIT_STATE_DIR: stateDir });

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tcpkit-put-resume-"));
  root = join(dir, "www");
  stateDir = join(dir, "state");
  mkdirSync(root);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

function serve(port: number): Promise<RunningServer> {
  return startServeOn(port, root, "--upload");
}

/** Bytes the server holds of the upload in progress (its part file), 0 when there is none. */
function partBytes(): number {
  const part = readdirSync(root).find((n) => /^\.tcpkit-upload-[0-9a-f]{32}\.part$/.test(n));
  if (part === undefined) return 0;
  try {
    return statSync(join(root, part)).size;
  } catch {
    return 0;
  }
}

function remembered(): boolean {
  return existsSync(stateDir) && readdirSync(stateDir).some((n) => n.endsWith(".json"));
}

/** Starts `tcpkit put ARGS` and SIGKILLs it once `when()` holds (polled; bounded to 20 s). */
async function killWhen(args: string[], when: () => boolean): Promise<void> {
  const child: ChildProcess = spawn(CLI_RUNTIME, [CLI_PATH, "put", ...args], {
    cwd: REPO_ROOT,
    env: env(),
    stdio: "ignore",
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const deadline = Date.now() + 20_000;
  while (!when()) {
    if (child.exitCode !== null) throw new Error(`put ended (${child.exitCode}) before the kill`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("the kill point was never reached");
    }
    await sleep(10);
  }
  child.kill("SIGKILL");
  await exited;
}

function assertDone(name: string, data: Buffer): void {
  assert.equal(sha(readFileSync(join(root, name))), sha(data), name);
  // No bytes of an upload in progress; a completed upload keeps its record, marked complete,
  // until it expires, so HEAD can still say so (docs/uploads.md).
  const state = readdirSync(root).filter((n) => n.startsWith(".tcpkit-upload-"));
  assert.deepEqual(
    state.filter((n) => !n.endsWith(".json")),
    [],
    "no upload bytes left on the server",
  );
  for (const n of state) {
    const record = JSON.parse(readFileSync(join(root, n), "utf8")) as { complete?: boolean };
    assert.equal(record.complete, true, `${n}: only completed uploads' records remain`);
  }
  assert.equal(remembered(), false, "the client's record is removed once complete");
}

describe("tcpkit put --resumable", () => {
  it("completes byte-exact with -c after SIGKILLs right after the 104, early, and late", async () => {
    const server = await serve(0);
    try {
      const data = randomBytes(12 * 1024 * 1024);
      const file = join(dir, "kill.bin");
      writeFileSync(file, data);
      const url = `http://127.0.0.1:${server.port}/kill.bin`;
      const slow = ["--limit-rate", "3M"];
      // 1: as soon as the upload's URL is remembered (the body has not started yet).
      await killWhen(["-r", ...slow, file, url], remembered);
      // 2 and 3: -c resumes, and is killed again, early then late.
      await killWhen(["-c", ...slow, file, url], () => partBytes() >= 3 * 1024 * 1024);
      await killWhen(["-c", ...slow, file, url], () => partBytes() >= 9 * 1024 * 1024);
      const r = await runCli(["put", "-c", file, url], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /resuming at byte (\d+) of 12582912/);
      const at = Number(/resuming at byte (\d+)/.exec(r.stderr)?.[1]);
      assert.ok(at >= 9 * 1024 * 1024, `resumed at ${at}`);
      assert.match(r.stderr, /201 Created \(created, 12 MiB, resumed at byte \d+\)/);
      assertDone("kill.bin", data);
    } finally {
      await server.stop();
    }
  });

  it("-c after a run cut once the server had every byte: done, no second PATCH", async () => {
    const server = await serve(0);
    try {
      const data = randomBytes(2 * 1024 * 1024);
      const file = join(dir, "whole.bin");
      writeFileSync(file, data);
      const url = `http://127.0.0.1:${server.port}/whole.bin`;
      await killWhen(["-r", "--limit-rate", "1M", file, url], remembered);
      const [name] = readdirSync(stateDir).filter((n) => n.endsWith(".json"));
      const record = readFileSync(join(stateDir, name as string));
      const done = await runCli(["put", "-c", file, url], { env: env() });
      assert.equal(done.code, 0, done.stderr);
      // As if that run had been cut after the server stored the file, before its answer came.
      writeFileSync(join(stateDir, name as string), record);
      const again = await runCli(["put", "-c", file, url], { env: env() });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /already has all 2097152 bytes/);
      assert.equal(sha(readFileSync(join(root, "whole.bin"))), sha(data));
      assert.equal(remembered(), false, "the client's record is removed once complete");
    } finally {
      await server.stop();
    }
  });

  it("completes after the server restarted between the two halves", async () => {
    const port = await freePort();
    let server = await serve(port);
    const data = randomBytes(8 * 1024 * 1024);
    const file = join(dir, "restart.bin");
    writeFileSync(file, data);
    const url = `http://127.0.0.1:${port}/restart.bin`;
    try {
      await killWhen(["-r", "--limit-rate", "3M", file, url], () => partBytes() >= 2 * 1024 * 1024);
      await server.stop();
      server = await serve(port);
      const r = await runCli(["put", "-c", file, url], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /resuming at byte [1-9]\d* of 8388608/);
      assertDone("restart.bin", data);
    } finally {
      await server.stop();
    }
  });

  it("takes the server's progress 104s however many: 560 MiB in one run (35 of them)", async () => {
    // The server sends a 104 with Upload-Offset every 16 MiB; the client's cap of 32 interim
    // responses once failed every upload past 528 MiB (the default limit is 1 GiB).
    const port = await freePort();
    const server = await serve(port);
    const file = join(dir, "large.bin");
    writeFileSync(file, "");
    const size = 560 * 1024 * 1024;
    await (await import("node:fs/promises")).truncate(file, size); // sparse: no disk to read
    try {
      const r = await runCli(["put", "-r", "-q", file, `http://127.0.0.1:${port}/large.bin`], {
        env: env(),
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(statSync(join(root, "large.bin")).size, size);
    } finally {
      await server.stop();
      rmSync(file, { force: true });
      rmSync(join(root, "large.bin"), { force: true });
    }
  });

  it("--retry resumes by itself when the server dies mid-upload and comes back", async () => {
    const port = await freePort();
    let server = await serve(port);
    const data = randomBytes(8 * 1024 * 1024);
    const file = join(dir, "retry.bin");
    writeFileSync(file, data);
    try {
      const run = runCli(
        [
          "put",
          "-r",
          "--retry",
          "5",
          "--retry-delay",
          "0.5",
          "--limit-rate",
          "4M",
          file,
          `http://127.0.0.1:${port}/retry.bin`,
        ],
        { env: env() },
      );
      const deadline = Date.now() + 20_000;
      while (partBytes() < 2 * 1024 * 1024 && Date.now() < deadline) await sleep(10);
      await server.stop("SIGKILL");
      server = await serve(port);
      const r = await run;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /retrying in/);
      assert.match(r.stderr, /resuming at byte [1-9]\d* of 8388608/);
      assertDone("retry.bin", data);
    } finally {
      await server.stop();
    }
  });

  it("-c starts again when the file changed since, and cancels the old upload", async () => {
    const server = await serve(0);
    try {
      const file = join(dir, "changed.bin");
      writeFileSync(file, randomBytes(6 * 1024 * 1024));
      const url = `http://127.0.0.1:${server.port}/changed.bin`;
      await killWhen(["-r", "--limit-rate", "2M", file, url], () => partBytes() > 0);
      const data = randomBytes(5 * 1024 * 1024);
      writeFileSync(file, data);
      const r = await runCli(["put", "-c", file, url], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /changed since the interrupted upload: starting again/);
      assertDone("changed.bin", data);
    } finally {
      await server.stop();
    }
  });

  it("Ctrl-C (SIGINT) exits 130 with the line that resumes it, which then completes", async () => {
    const server = await serve(0);
    try {
      const data = randomBytes(6 * 1024 * 1024);
      const file = join(dir, "int.bin");
      writeFileSync(file, data);
      const url = `http://127.0.0.1:${server.port}/int.bin`;
      const child = spawn(CLI_RUNTIME, [CLI_PATH, "put", "-r", "--limit-rate", "2M", file, url], {
        cwd: REPO_ROOT,
        env: env(),
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr!.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
      const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
      const deadline = Date.now() + 20_000;
      while (partBytes() < 1024 * 1024 && Date.now() < deadline) await sleep(10);
      child.kill("SIGINT");
      assert.equal(await exited, 130, stderr);
      assert.equal(stderr, `tcpkit: interrupted; resume with: tcpkit put -c ${file} ${url}\n`);
      const r = await runCli(["put", "-c", file, url], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assertDone("int.bin", data);
    } finally {
      await server.stop();
    }
  });

  it("a 401 on resuming (-u forgotten) keeps the upload: -c with it then resumes, not from byte 0", async () => {
    const server = await startServeOn(0, root, "--upload", "--auth", "ann:s3cret");
    try {
      const data = randomBytes(4 * 1024 * 1024);
      const file = join(dir, "auth.bin");
      writeFileSync(file, data);
      const url = `http://127.0.0.1:${server.port}/auth.bin`;
      const login = ["-u", "ann:s3cret"];
      await killWhen(["-r", ...login, "--limit-rate", "1M", file, url], () => partBytes() > 0);
      // The credentials forgotten: refused, and the upload is still there to resume.
      const refused = await runCli(["put", "-c", file, url], { env: env() });
      assert.equal(refused.code, 3, refused.stderr);
      assert.match(refused.stderr, /401 Unauthorized .*\(resume with: tcpkit put -c /);
      assert.equal(remembered(), true, "the record is kept for -c");
      const r = await runCli(["put", "-c", ...login, file, url], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /resuming at byte [1-9]\d* of 4194304/);
      assertDone("auth.bin", data);
    } finally {
      await server.stop();
    }
  });

  it("a 503 before the server announced an upload offers no resume and keeps no record", async () => {
    const busy = await startCannedServer(
      () => "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
    );
    try {
      const file = join(dir, "busy.bin");
      writeFileSync(file, randomBytes(1000));
      const r = await runCli(["put", "-r", file, busy.url("/busy.bin")], { env: env() });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /503 Service Unavailable/);
      assert.doesNotMatch(r.stderr, /resume with/);
      assert.equal(remembered(), false);
    } finally {
      await busy.close();
    }
  });

  it("ignores a 104 of another draft interop version: no upload remembered from it", async () => {
    const other = await startCannedServer((_request, socket) => {
      // A server of draft interop version 6 announces an upload, then drops the connection.
      socket.write(
        "HTTP/1.1 104 Upload Resumption Supported\r\nUpload-Draft-Interop-Version: 6\r\n" +
          "Location: /res\r\n\r\n",
      );
      setTimeout(() => socket.destroy(), 50);
      return undefined;
    });
    try {
      const file = join(dir, "v6.bin");
      writeFileSync(file, randomBytes(100_000));
      const r = await runCli(["put", "-r", file, other.url("/v6.bin")], { env: env() });
      assert.equal(r.code, 1, r.stderr);
      assert.equal(remembered(), false, "nothing to resume from a 104 of another version");
    } finally {
      await other.close();
    }
  });

  it("sends -u credentials only to the origin named, not to an upload URL on another one", async () => {
    const elsewhere = await startCannedServer(
      () => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    );
    const origin = await startCannedServer((_request, socket) => {
      // Announces the upload on the other origin, then drops the connection mid-body.
      socket.write(
        "HTTP/1.1 104 Upload Resumption Supported\r\nUpload-Draft-Interop-Version: 8\r\n" +
          `Location: ${elsewhere.url("/res")}\r\n\r\n`,
      );
      setTimeout(() => socket.destroy(), 50);
      return undefined;
    });
    try {
      const file = join(dir, "cred.bin");
      writeFileSync(file, randomBytes(100_000));
      const r = await runCli(
        [
          "put",
          "-r",
          "-u",
          "ann:s3cret",
          "--retry",
          "1",
          "--retry-delay",
          "0.1",
          file,
          origin.url("/cred.bin"),
        ],
        { env: env() },
      );
      assert.equal(r.code, 1, r.stderr);
      assert.equal(elsewhere.requests.length, 1, "the retry asked the upload URL for its offset");
      assert.equal(elsewhere.requests[0]?.method, "HEAD");
      assert.equal(elsewhere.requests[0]?.field("authorization"), undefined);
      // Every request of a resumable upload names the draft's interop version.
      const all = [...origin.requests, ...elsewhere.requests];
      assert.ok(all.every((q) => q.field("upload-draft-interop-version") === "8"));
      assert.ok(
        origin.requests.every((q) => q.field("authorization") === "Basic YW5uOnMzY3JldA=="),
      );
    } finally {
      await origin.close();
      await elsewhere.close();
    }
  });
});
