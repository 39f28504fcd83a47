// The library API of the client, in process: download() with progress and notices, httpGet's
// head and redirects, as exported from src/index.ts.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { download, httpGet, TcpkitError, type DownloadProgress } from "../../src/index.js";
import { startCannedServer, type CannedServer } from "../support/canned-server.js";

const BODY = Buffer.alloc(100_000, 0x62);

describe("download() and httpGet() as a library", () => {
  let server: CannedServer;
  let dir: string;

  before(async () => {
    server = await startCannedServer((request) => {
      if (request.target === "/moved") {
        return "HTTP/1.1 302 Found\r\nLocation: /data.bin\r\nContent-Length: 0\r\n\r\n";
      }
      if (request.target === "/teapot")
        return "HTTP/1.1 418 I'm a teapot\r\nContent-Length: 3\r\n\r\ntea";
      return Buffer.concat([
        Buffer.from(
          `HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\nX-Multi: a\r\nX-Multi: b\r\n\r\n`,
        ),
        BODY,
      ]);
    });
    dir = mkdtempSync(join(tmpdir(), "tcpkit-download-"));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("httpGet returns the final status, fields, redirects and the body stream", async () => {
    const r = await httpGet(server.url("/moved"));
    assert.equal(r.status, 200);
    assert.equal(r.version, 11);
    assert.equal(r.header("x-multi"), "a, b");
    assert.equal(r.contentLength, BODY.length);
    assert.deepEqual(r.redirects, [server.url("/moved")]);
    assert.equal(r.url, server.url("/data.bin"));
    let n = 0;
    for await (const chunk of r.body) n += (chunk as Buffer).length;
    assert.equal(n, BODY.length);
  });

  it("httpGet sends credential fields only to the first URL's origin, not across a redirect", async () => {
    const other = await startCannedServer(() => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    const first = await startCannedServer((request) =>
      request.target === "/away"
        ? `HTTP/1.1 302 Found\r\nLocation: ${other.url("/x")}\r\nContent-Length: 0\r\n\r\n`
        : "HTTP/1.1 302 Found\r\nLocation: /away\r\nContent-Length: 0\r\n\r\n",
    );
    try {
      const r = await httpGet(first.url("/start"), {
        headers: [
          ["Authorization", "Bearer secret"],
          ["cookie", "session=1"],
          ["Proxy-Authorization", "Basic eA=="],
          ["X-Kept", "yes"],
        ],
      });
      r.body.destroy();
      assert.equal(r.status, 200);
      // Same origin (a relative Location): the credentials still go along.
      for (const request of first.requests) {
        assert.equal(request.field("authorization"), "Bearer secret");
        assert.equal(request.field("cookie"), "session=1");
      }
      assert.equal(first.requests.length, 2);
      // Another port is another origin: only the harmless field follows the redirect.
      assert.equal(other.requests.length, 1);
      const moved = other.requests[0];
      assert.equal(moved?.field("authorization"), undefined);
      assert.equal(moved?.field("cookie"), undefined);
      assert.equal(moved?.field("proxy-authorization"), undefined);
      assert.equal(moved?.field("x-kept"), "yes");
    } finally {
      await first.close();
      await other.close();
    }
  });

  it("httpGet treats a 4xx as an answer, not an error", async () => {
    const r = await httpGet(server.url("/teapot"));
    assert.equal(r.status, 418);
    assert.equal(r.reason, "I'm a teapot");
    r.body.destroy();
  });

  it("download saves into `directory`, reports progress up to the total, and picks a free name", async () => {
    writeFileSync(join(dir, "data.bin"), "taken");
    const progress: DownloadProgress[] = [];
    const notices: string[] = [];
    const result = await download(server.url("/data.bin"), {
      directory: dir,
      onProgress: (p) => progress.push(p),
      onNotice: (m) => notices.push(m),
    });
    assert.equal(result.path, join(dir, "data.bin.1"));
    assert.equal(result.size, BODY.length);
    assert.equal(result.resume, "none");
    assert.ok(readFileSync(join(dir, "data.bin.1")).equals(BODY));
    assert.deepEqual(notices, ["data.bin exists; saving to data.bin.1"]);
    assert.deepEqual(progress[0], { received: 0, offset: 0, total: BODY.length });
    assert.deepEqual(progress.at(-1), { received: BODY.length, offset: 0, total: BODY.length });
    assert.deepEqual(readdirSync(dir).sort(), ["data.bin", "data.bin.1"]);
  });

  it("download rejects a 4xx with ERR_HTTP_STATUS and saves nothing", async () => {
    await assert.rejects(download(server.url("/teapot"), { directory: dir }), (err: unknown) => {
      assert.ok(err instanceof TcpkitError);
      assert.equal(err.code, "ERR_HTTP_STATUS");
      assert.match(err.message, /^HTTP 418 I'm a teapot from /);
      return true;
    });
    assert.ok(!readdirSync(dir).some((n) => n.startsWith("teapot")));
  });
});
