/**
 * serveStatic as a plain Handler over a temporary site: conditional requests, ranges, content
 * negotiation, SPA, 404.html, CORS, custom headers and OPTIONS.
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { serveStatic } from "../../src/static/serve-static.js";
import { TcpkitError } from "../../src/util/tcpkit-error.js";
import {
  planBody,
  planHeader,
  requestHead as req,
  NO_NEXT,
  TEST_CONTEXT,
  useStaticSite,
} from "../support/static-fixture.js";

const site = useStaticSite();
const get = site.get;

describe("serveStatic: conditional requests and ranges", () => {
  it("304 for a matching If-None-Match, with ETag and no representation headers", async () => {
    const first = await get("/hello.txt");
    const etag = planHeader(first, "etag") as string;
    const p = await get("/hello.txt", { "if-none-match": etag });
    assert.equal(p.status, 304);
    assert.equal(p.body.kind, "none");
    assert.equal(planHeader(p, "etag"), etag);
    assert.equal(planHeader(p, "cache-control"), "no-cache");
    assert.equal(planHeader(p, "content-type"), undefined);
    assert.equal(planHeader(p, "last-modified"), undefined);
    const ims = await get("/hello.txt", {
      "if-modified-since": planHeader(first, "last-modified") as string,
    });
    assert.equal(ims.status, 304);
  });

  it("412 for a failing If-Match", async () => {
    const p = await get("/hello.txt", { "if-match": '"nope"' });
    assert.equal(p.status, 412);
  });

  it("206 with exactly the bytes for one range, in memory and on disk", async () => {
    const small = await get("/hello.txt", { range: "bytes=0-4" });
    assert.equal(small.status, 206);
    assert.equal(planHeader(small, "content-range"), "bytes 0-4/14");
    assert.equal(planBody(small).toString(), "Hello");
    const suffix = await get("/big.bin", { range: "bytes=-100" });
    assert.equal(
      planHeader(suffix, "content-range"),
      `bytes ${site.fx.big.length - 100}-${site.fx.big.length - 1}/${site.fx.big.length}`,
    );
    assert.deepEqual(planBody(suffix), site.fx.big.subarray(site.fx.big.length - 100));
  });

  it("416 with bytes */LEN and no file body", async () => {
    const p = await get("/hello.txt", { range: "bytes=100-" });
    assert.equal(p.status, 416);
    assert.equal(planHeader(p, "content-range"), "bytes */14");
    assert.equal(planBody(p).toString(), "416 Range Not Satisfiable\n");
  });

  it("multipart/byteranges for several ranges", async () => {
    const p = await get("/big.bin", { range: "bytes=0-9,1000-1009" });
    assert.equal(p.status, 206);
    const type = planHeader(p, "content-type") as string;
    const boundary = /boundary=(\w+)/.exec(type)?.[1] as string;
    const body = planBody(p);
    const expected = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-9/${site.fx.big.length}\r\n\r\n`,
      ),
      site.fx.big.subarray(0, 10),
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 1000-1009/${site.fx.big.length}\r\n\r\n`,
      ),
      site.fx.big.subarray(1000, 1010),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    assert.deepEqual(body, expected);
  });

  it("If-Range: the same ETag gives 206, another gives the whole file", async () => {
    const etag = planHeader(await get("/hello.txt"), "etag") as string;
    const hit = await get("/hello.txt", { range: "bytes=0-0", "if-range": etag });
    assert.equal(hit.status, 206);
    const miss = await get("/hello.txt", { range: "bytes=0-0", "if-range": '"old"' });
    assert.equal(miss.status, 200);
    assert.equal(planBody(miss).toString(), "Hello, world!\n");
  });

  it("an empty file is sent whole whatever the range", async () => {
    const p = await get("/empty.txt", { range: "bytes=0-" });
    assert.equal(p.status, 200);
    assert.equal(planBody(p).length, 0);
  });
});

describe("serveStatic: content negotiation", () => {
  it("serves the .br sibling with its own ETag and the original type", async () => {
    const plain = await get("/app.js");
    const br = await get("/app.js", { "accept-encoding": "gzip, br" });
    assert.equal(planHeader(br, "content-encoding"), "br");
    assert.equal(planHeader(br, "content-type"), "text/javascript; charset=utf-8");
    assert.equal(planHeader(br, "vary"), "Accept-Encoding");
    assert.notEqual(planHeader(br, "etag"), planHeader(plain, "etag"));
    assert.equal(planHeader(plain, "vary"), "Accept-Encoding");
  });

  it("respects q=0 and falls back to gzip, then identity", async () => {
    const gz = await get("/app.js", { "accept-encoding": "br;q=0, gzip" });
    assert.equal(planHeader(gz, "content-encoding"), "gzip");
    assert.deepEqual(gunzipSync(planBody(gz)), site.fx.appJs);
    const none = await get("/app.js", { "accept-encoding": "br;q=0, gzip;q=0" });
    assert.equal(planHeader(none, "content-encoding"), undefined);
    assert.deepEqual(planBody(none), site.fx.appJs);
  });

  it("ranges apply to the encoded bytes of a sibling", async () => {
    const p = await get("/app.js", { "accept-encoding": "gzip", range: "bytes=0-1" });
    assert.equal(p.status, 206);
    assert.deepEqual([...planBody(p)], [0x1f, 0x8b]);
  });

  it("--compress compresses once per version, never for ranges or tiny files", async () => {
    const handler = serveStatic(site.fx.root, { compress: true });
    const ctx = TEST_CONTEXT;
    const a = await handler(req("/style.css", { "accept-encoding": "gzip" }), ctx, NO_NEXT);
    const b = await handler(req("/style.css", { "accept-encoding": "gzip" }), ctx, NO_NEXT);
    assert.equal(planHeader(a, "content-encoding"), "gzip");
    assert.deepEqual(gunzipSync(planBody(a)), site.fx.styleCss);
    assert.equal(planBody(a), planBody(b), "the same cached buffer");
    const ranged = await handler(
      req("/style.css", { "accept-encoding": "gzip", range: "bytes=0-3" }),
      ctx,
      NO_NEXT,
    );
    assert.equal(planHeader(ranged, "content-encoding"), undefined);
    assert.equal(planBody(ranged).toString(), "body");
    const tiny = await handler(req("/hello.txt", { "accept-encoding": "gzip" }), ctx, NO_NEXT);
    assert.equal(planHeader(tiny, "content-encoding"), undefined);
  });
});

describe("serveStatic: SPA, 404.html, CORS, headers, OPTIONS", () => {
  it("--spa serves the app for extension-less paths from HTML clients only", async () => {
    const o = { spa: "app/index.html" };
    const route = await get("/users/42", { accept: "text/html" }, o);
    assert.equal(route.status, 200);
    assert.match(planBody(route).toString(), /spa/);
    assert.equal((await get("/missing.js", { accept: "text/html" }, o)).status, 404);
    assert.equal((await get("/users/42", { accept: "application/json" }, o)).status, 404);
    assert.equal(
      planBody(await get("/hello.txt", { accept: "text/html" }, o)).toString(),
      "Hello, world!\n",
    );
  });

  it("serves 404.html with status 404 when present", async () => {
    writeFileSync(join(site.fx.root, "404.html"), "<h1>custom 404</h1>\n");
    try {
      const p = await get("/nope");
      assert.equal(p.status, 404);
      assert.equal(planHeader(p, "content-type"), "text/html; charset=utf-8");
      assert.equal(planBody(p).toString(), "<h1>custom 404</h1>\n");
    } finally {
      rmSync(join(site.fx.root, "404.html"));
    }
  });

  it("--cors adds the origin header and answers preflights", async () => {
    const p = await get("/hello.txt", {}, { cors: true });
    assert.equal(planHeader(p, "access-control-allow-origin"), "*");
    const pre = await get(
      "/hello.txt",
      {
        origin: "http://a.example",
        "access-control-request-method": "GET",
        "access-control-request-headers": "range, if-none-match",
      },
      { cors: true },
      "OPTIONS",
    );
    assert.equal(pre.status, 204);
    assert.equal(planHeader(pre, "access-control-allow-methods"), "GET, HEAD, OPTIONS");
    assert.equal(planHeader(pre, "access-control-allow-headers"), "range, if-none-match");
    assert.equal(planHeader(pre, "access-control-allow-origin"), "*");
  });

  it("OPTIONS without CORS lists the allowed methods", async () => {
    const p = await get("*", {}, {}, "OPTIONS");
    assert.equal(p.status, 200);
    assert.equal(planHeader(p, "allow"), "GET, HEAD, OPTIONS");
  });

  it("--header adds fields everywhere and refuses bad or server-owned ones", async () => {
    const o = { headers: [["X-Frame-Options", "DENY"]] as [string, string][] };
    assert.equal(planHeader(await get("/hello.txt", {}, o), "x-frame-options"), "DENY");
    assert.equal(planHeader(await get("/nope", {}, o), "x-frame-options"), "DENY");
    for (const bad of [
      ["Bad Name", "x"],
      ["X-A", "a\r\nb"],
      ["Content-Length", "1"],
    ]) {
      assert.throws(
        () => serveStatic(site.fx.root, { headers: [bad as [string, string]] }),
        TcpkitError,
      );
    }
  });

  it("HEAD gets the same plan as GET", async () => {
    const g = await get("/hello.txt");
    const h = await get("/hello.txt", {}, {}, "HEAD");
    assert.equal(h.status, g.status);
    assert.equal(h.headers, g.headers);
  });
});
