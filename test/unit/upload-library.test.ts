/**
 * upload() in-process against the library's own server (serveUpload chained before serveStatic, as
 * README says: HEAD on an upload resource is declared by the static handler's methods): typed
 * results for a plain and a resumable upload and a stream, ERR_HTTP_STATUS for a refusal, and an
 * upload given up through its signal (ERR_INTERRUPTED) finished later with `resume`.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import {
  chain,
  createHttpServer,
  serveStatic,
  serveUpload,
  TcpkitError,
  upload,
  type HttpServer,
  type PutProgress,
} from "../../src/index.js";

let dir: string;
let root: string;
let server: HttpServer;
let base: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tcpkit-upload-lib-"));
  root = join(dir, "www");
  mkdirSync(root);
  const wing = serveUpload(root);
  server = createHttpServer({ host: "127.0.0.1", port: 0 }, chain(wing.handler, serveStatic(root)));
  const { port } = await server.listen();
  base = `http://127.0.0.1:${port}`;
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, data: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

describe("upload()", () => {
  it("PUTs a file and says what it did", async () => {
    const data = randomBytes(2_000_000);
    const seen: PutProgress[] = [];
    const result = await upload(file("a.bin", data), `${base}/`, {
      onProgress: (p) => seen.push(p),
    });
    assert.equal(result.status, 201);
    assert.equal(result.url, `${base}/a.bin`);
    assert.equal(result.size, data.length);
    assert.equal(result.sent, data.length);
    assert.equal(result.offset, 0);
    assert.equal(result.resumable, false);
    assert.equal(result.attempts, 1);
    assert.deepEqual(readFileSync(join(root, "a.bin")), data);
    assert.deepEqual(seen.at(-1), { sent: data.length, offset: 0, total: data.length });
  });

  it("sends a stream chunked", async () => {
    const data = randomBytes(300_000);
    const result = await upload(
      Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
      `${base}/s.bin`,
    );
    assert.equal(result.status, 201);
    assert.equal(result.size, data.length);
    assert.deepEqual(readFileSync(join(root, "s.bin")), data);
  });

  it("rejects a refusal with ERR_HTTP_STATUS", async () => {
    const path = file("a.bin", randomBytes(10));
    await assert.rejects(upload(path, `${base}/a.bin`), (err: unknown) => {
      assert.ok(err instanceof TcpkitError);
      assert.equal(err.code, "ERR_HTTP_STATUS");
      assert.match(err.message, /^HTTP 409 Conflict from /);
      return true;
    });
  });

  it("a resumable upload given up through its signal is finished with resume: true", async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const path = file("r.bin", data);
    const stateDir = join(dir, "state");
    const controller = new AbortController();
    const first = upload(path, `${base}/r.bin`, {
      resumable: true,
      stateDir,
      bytesPerSecond: 2 * 1024 * 1024,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.sent >= 1024 * 1024) controller.abort();
      },
    });
    await assert.rejects(first, (err: unknown) => {
      assert.ok(err instanceof TcpkitError);
      assert.equal(err.code, "ERR_INTERRUPTED");
      return true;
    });
    assert.equal(readdirSync(stateDir).length, 1, "the upload's URL is remembered");
    const notices: string[] = [];
    const result = await upload(path, `${base}/r.bin`, {
      resume: true,
      stateDir,
      onNotice: (m) => notices.push(m),
    });
    assert.equal(result.status, 201);
    assert.equal(result.resumable, true);
    assert.ok(result.offset >= 1024 * 1024, `resumed at ${result.offset}`);
    assert.equal(result.sent, data.length - result.offset);
    assert.match(result.uploadUrl ?? "", /\/\.tcpkit-upload-[0-9a-f]{32}\.part$/);
    assert.match(notices.join("\n"), /resuming at byte/);
    assert.deepEqual(readFileSync(join(root, "r.bin")), data);
    assert.deepEqual(readdirSync(stateDir), []);
  });
});
