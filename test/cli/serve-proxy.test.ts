/**
 * `tcpkit serve --proxy PREFIX=URL` against real back ends started here (a node:http app, a
 * WebSocket echo server from `ws`, python3 http.server), with curl, raw sockets and a real
 * WebSocket client: RFC 9110 §7.6 fields both ways, bodies streamed both ways with backpressure,
 * HTTP/1.0 clients, 1xx, redirects, 502/504, a back end dying mid-response, keep-alive upstream,
 * and WebSocket pass-through.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import { runCli, startServe, startServeOn, type RunningServer } from "../support/cli.js";
import { freePort } from "../support/ports.js";
import { startBackend, type Backend } from "../support/proxy-backends.js";
import { startPythonHttpServer } from "../support/python-http-server.js";
import { exchange, openSocket } from "../support/raw-socket.js";
import { runTool } from "../support/tools.js";

const ROOT = mkdtempSync(join(tmpdir(), "tcpkit-proxy-"));
writeFileSync(join(ROOT, "index.html"), "<!doctype html><title>front</title>\n");
mkdirSync(join(ROOT, "py"));
writeFileSync(join(ROOT, "py", "file.txt"), "from python\n");
const BIG = join(ROOT, "64mib.bin");
const fd = openSync(BIG, "w");
ftruncateSync(fd, 64 * 1024 * 1024); // sparse: 64 MiB of zeros, no disk used
closeSync(fd);
const ZEROS_64MIB_SHA256 = createHash("sha256")
  .update(Buffer.alloc(64 * 1024 * 1024))
  .digest("hex");

interface Echoed {
  method: string;
  url: string;
  headers: string[];
  bytes: number;
  sha256: string;
}

function fieldsOf(raw: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    map.set(name, [...(map.get(name) ?? []), raw[i + 1] as string]);
  }
  return map;
}

async function curl(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = await runTool("curl", ["-sS", ...args], { timeoutMs: 60_000 });
  return { code: r.code, out: r.stdout.toString("latin1"), err: r.stderr };
}

describe("tcpkit serve --proxy", () => {
  let back: Backend;
  let py: Awaited<ReturnType<typeof startPythonHttpServer>>;
  let s: RunningServer;
  let deadPort: number;
  const front = (path: string): string => `http://127.0.0.1:${s.port}${path}`;

  before(async () => {
    back = await startBackend();
    py = await startPythonHttpServer(join(ROOT, "py"));
    // a port nothing listens on: bound, read, closed
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    deadPort = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    s = await startServe(
      ROOT,
      "--spa",
      "--proxy",
      `/api=http://127.0.0.1:${back.port}`,
      "--proxy",
      `/v2=http://127.0.0.1:${back.port}/real/v2`,
      "--proxy",
      `/py=http://127.0.0.1:${py.port}/`,
      "--proxy",
      `/down=http://127.0.0.1:${deadPort}`,
      "--proxy-timeout",
      "1",
    );
  });
  after(async () => {
    await s.stop();
    py.child.kill();
    await back.close();
  });

  it("forwards method, target and fields per RFC 9110 §7.6, both ways", async () => {
    const r = await curl([
      "-i",
      "-H",
      "Connection: X-Secret",
      "-H",
      "X-Secret: hop",
      "-H",
      "Keep-Alive: timeout=5",
      "-H",
      "TE: trailers",
      "-H",
      "Proxy-Authorization: Basic eDp5",
      "-H",
      "X-Forwarded-For: 6.6.6.6",
      "-H",
      "Forwarded: for=6.6.6.6",
      "-H",
      "X-Real-IP: 6.6.6.6",
      "-H",
      "X-Custom: kept",
      front("/api/echo?q=1&r=%20"),
    ]);
    assert.equal(r.code, 0, r.err);
    const [head, body] = r.out.split("\r\n\r\n") as [string, string];
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /\r\nVia: 1\.1 tcpkit-[0-9a-f]{8}\r\n/);
    assert.match(head, /\r\nX-End: kept\r\n/);
    assert.doesNotMatch(head, /X-Hop|Keep-Alive/i);
    const echoed = JSON.parse(body) as Echoed;
    assert.equal(echoed.method, "GET");
    assert.equal(echoed.url, "/api/echo?q=1&r=%20");
    const f = fieldsOf(echoed.headers);
    assert.deepEqual(f.get("host"), [`127.0.0.1:${back.port}`]);
    assert.deepEqual(f.get("x-custom"), ["kept"]);
    for (const hop of ["x-secret", "keep-alive", "te", "proxy-authorization"])
      assert.equal(f.get(hop), undefined, hop);
    assert.match(f.get("via")?.join() ?? "", /^1\.1 tcpkit-[0-9a-f]{8}$/);
    assert.deepEqual(f.get("x-forwarded-for"), ["127.0.0.1"]);
    assert.deepEqual(f.get("x-real-ip"), ["127.0.0.1"]);
    assert.deepEqual(f.get("x-forwarded-proto"), ["http"]);
    assert.deepEqual(f.get("x-forwarded-host"), [`127.0.0.1:${s.port}`]);
    assert.deepEqual(f.get("forwarded"), [`for=127.0.0.1;host="127.0.0.1:${s.port}";proto=http`]);
  });

  it("answers OPTIONS with Max-Forwards: 0 itself and decrements a larger one (RFC 9110 §7.6.2)", async () => {
    const here = await curl(["-i", "-X", "OPTIONS", "-H", "Max-Forwards: 0", front("/api/echo")]);
    assert.equal(here.code, 0, here.err);
    assert.match(here.out, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(here.out, /\r\nAllow: [^\r]*\bPROPFIND\b/); // the proxy's, not the back end's
    assert.doesNotMatch(here.out, /"method"|\r\nVia:/); // never reached the back end
    const on = await curl(["-X", "OPTIONS", "-H", "Max-Forwards: 3", front("/api/echo")]);
    const echoed = JSON.parse(on.out) as Echoed;
    assert.equal(echoed.method, "OPTIONS");
    assert.deepEqual(fieldsOf(echoed.headers).get("max-forwards"), ["2"]);
    // Other methods carry it untouched: it only limits TRACE and OPTIONS.
    const get = JSON.parse((await curl(["-H", "Max-Forwards: 0", front("/api/echo")])).out);
    assert.deepEqual(fieldsOf((get as Echoed).headers).get("max-forwards"), ["0"]);
  });

  it("maps a prefix onto the back end's path, and its redirects back", async () => {
    const r = await curl(["-i", front("/v2/items?x=1")]);
    assert.equal(
      (JSON.parse(r.out.split("\r\n\r\n")[1] as string) as Echoed).url,
      "/real/v2/items?x=1",
    );
    const redirect = await curl(["-i", front("/v2/a/redirect")]);
    assert.match(
      redirect.out,
      new RegExp(`\r\nLocation: http://127\\.0\\.0\\.1:${s.port}/v2/a/target\r\n`),
    );
    const same = await curl(["-i", front("/api/redirect")]);
    assert.match(
      same.out,
      new RegExp(`\r\nLocation: http://127\\.0\\.0\\.1:${s.port}/api/target\r\n`),
    );
    // HTTP/1.0 without Host: the address the client reached (not the back end's authority)
    const noHost = await exchange(s.port, ["GET /v2/a/redirect HTTP/1.0\r\n\r\n"], {
      quietMs: 5000,
    });
    assert.match(
      noHost.data.toString("latin1"),
      new RegExp(
        `^HTTP/1\\.1 302 [^]*\r\nLocation: http://127\\.0\\.0\\.1:${s.port}/v2/a/target\r\n`,
      ),
    );
  });

  it("names the authority of an absolute-form target, not Host, to the back end and in redirects", async () => {
    // RFC 9112 §3.2.2: with an absolute-form target the server MUST ignore Host.
    const named = `localhost:${s.port}`;
    const ask = (path: string): Promise<string> =>
      exchange(
        s.port,
        [
          `GET http://${named}${path} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close\r\n\r\n`,
        ],
        { quietMs: 5000 },
      ).then((r) => r.data.toString("latin1"));
    const echoed = await ask("/api/echo");
    const f = fieldsOf((JSON.parse(echoed.split("\r\n\r\n")[1] as string) as Echoed).headers);
    assert.deepEqual(f.get("x-forwarded-host"), [named]);
    assert.deepEqual(f.get("forwarded"), [`for=127.0.0.1;host="${named}";proto=http`]);
    assert.match(
      await ask("/v2/a/redirect"),
      new RegExp(`\r\nLocation: http://${named}/v2/a/target\r\n`),
    );
  });

  it("leaves a redirect to a back-end path outside the route as the back end wrote it", async () => {
    // /elsewhere on the front is not this back end's: nginx's proxy_redirect leaves it too.
    for (const path of ["/v2/away", "/api/away"]) {
      const r = await curl(["-i", front(path)]);
      assert.match(
        r.out,
        new RegExp(`\r\nLocation: http://127\\.0\\.0\\.1:${back.port}/elsewhere\r\n`),
        path,
      );
    }
  });

  it("streams a 64 MiB POST (Content-Length and chunked) and a 32 MiB response, exact bytes", async () => {
    for (const extra of [[], ["-H", "Transfer-Encoding: chunked"]]) {
      const r = await curl(["-X", "POST", "-T", BIG, ...extra, front("/api/upload")]);
      assert.equal(r.code, 0, r.err);
      const echoed = JSON.parse(r.out) as Echoed;
      assert.equal(echoed.bytes, 64 * 1024 * 1024);
      assert.equal(echoed.sha256, ZEROS_64MIB_SHA256);
      const te = fieldsOf(echoed.headers).get("transfer-encoding");
      assert.deepEqual(te, extra.length === 0 ? undefined : ["chunked"]);
    }
    const down = await curl([
      "-o",
      "/dev/null",
      "-w",
      "%{size_download} %{http_code}",
      front("/api/big?mib=32"),
    ]);
    assert.equal(down.out, `${32 * 1024 * 1024} 200`);
  });

  it("keeps connections to the back end alive between requests", async () => {
    const before = back.connections;
    const urls = Array.from({ length: 20 }, (_, i) => front(`/api/k${i}`));
    const r = await curl(["-o", "/dev/null", ...urls.flatMap((u) => [u, "-o", "/dev/null"])]);
    assert.equal(r.code, 0, r.err);
    assert.ok(back.connections - before <= 2, `${back.connections - before} new connections`);
  });

  it("re-frames a chunked response for an HTTP/1.0 client (close-delimited, complete)", async () => {
    const r = await exchange(s.port, ["GET /api/chunked HTTP/1.0\r\n\r\n"], { quietMs: 3000 });
    const text = r.data.toString("latin1");
    assert.ok(r.closed);
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(text, /Transfer-Encoding/i);
    assert.ok(text.endsWith("\r\n\r\nfirst part\nsecond part\n"), text);
    const chunked = await curl(["-i", front("/api/chunked")]);
    assert.match(chunked.out, /\r\nTransfer-Encoding: chunked\r\n[^]*first part\nsecond part\n$/);
  });

  it("passes 103 Early Hints on before the final response", async () => {
    const r = await exchange(
      s.port,
      ["GET /api/early HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
      {
        quietMs: 3000,
      },
    );
    assert.match(
      r.data.toString("latin1"),
      /^HTTP\/1\.1 103 Early Hints\r\nLink: <\/app\.css>; rel=preload\r\n(?:Via: [^\r]*\r\n)?\r\nHTTP\/1\.1 200 OK\r\n/,
    );
  });

  it("holds a slow reader's back end by backpressure, not memory", async () => {
    back.flooded = 0;
    const socket = await openSocket(s.port);
    socket.pause();
    socket.write("GET /api/flood HTTP/1.1\r\nHost: x\r\n\r\n");
    // wait until the back end's writes stop (its socket is full), bounded
    let last = -1;
    for (let i = 0; i < 50 && back.flooded !== last; i++) {
      last = back.flooded;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(back.flooded > 0 && back.flooded < 96 * 1024 * 1024, `${back.flooded} bytes`);
    socket.destroy();
    // the client's departure reaches the back end
    for (let i = 0; i < 50 && back.flooded > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(back.flooded < 0, "back end's response was not cut");
  });

  it("answers 502 for a back end that is down and 504 for one too slow, with a log line", async () => {
    const down = await curl(["-i", front("/down/x")]);
    assert.match(down.out, /^HTTP\/1\.1 502 Bad Gateway\r\n[^]*\r\n\r\n502 Bad Gateway\n$/);
    const slow = await curl(["-i", front("/api/hang")]);
    assert.match(slow.out, /^HTTP\/1\.1 504 Gateway Timeout\r\n[^]*\r\n\r\n504 Gateway Timeout\n$/);
    assert.match(
      s.stderr(),
      new RegExp(
        `tcpkit: proxy http://127\\.0\\.0\\.1:${deadPort}/down/x: connection refused [^\\n]*\\(502\\)\\n`,
      ),
    );
    assert.match(s.stderr(), /tcpkit: proxy http:\/\/127\.0\.0\.1:\d+\/api\/hang: [^\n]*\(504\)\n/);
  });

  it("cuts the client's connection when the back end dies mid-response", async () => {
    const length = await curl(["-o", "/dev/null", front("/api/die-length")]);
    assert.equal(length.code, 18, length.err); // partial file
    const chunked = await curl(["-o", "/dev/null", front("/api/die-chunked")]);
    assert.ok(chunked.code === 18 || chunked.code === 56, `curl ${chunked.code}: ${chunked.err}`);
    // To an HTTP/1.0 client the body is close-delimited: only a reset tells it the body was cut
    // (after a FIN, curl exits 0 with half the body, taking it for the whole).
    const old = await curl(["--http1.0", "-o", "/dev/null", front("/api/die-chunked")]);
    assert.equal(old.code, 56, `curl ${old.code}: ${old.err}`); // "Connection reset by peer"
    // A close-delimited back end: chunked to HTTP/1.1 (no last chunk), reset to HTTP/1.0.
    const closeDelimited = await curl(["-o", "/dev/null", front("/api/die-close")]);
    assert.ok(
      closeDelimited.code === 18 || closeDelimited.code === 56,
      `curl ${closeDelimited.code}: ${closeDelimited.err}`,
    );
    const oldClose = await curl(["--http1.0", "-o", "/dev/null", front("/api/die-close")]);
    assert.equal(oldClose.code, 56, `curl ${oldClose.code}: ${oldClose.err}`);
    // and a raw HTTP/1.0 socket: half the body, then ECONNRESET, never a clean end
    const socket = await openSocket(s.port);
    socket.write("GET /api/die-close HTTP/1.0\r\n\r\n");
    let got = "";
    socket.on("data", (d: Buffer) => (got += d.toString("latin1")));
    const how = await new Promise<string>((resolve) => {
      socket.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      socket.on("end", () => resolve("clean end"));
    });
    socket.destroy();
    assert.equal(how, "ECONNRESET", got);
    assert.match(got, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nx{1,1000}$/);
  });

  it("proxies python3 http.server (an HTTP/1.0 back end)", async () => {
    const r = await curl(["-i", front("/py/file.txt")]);
    const [head, body] = r.out.split("\r\n\r\n") as [string, string];
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /\r\nContent-Length: 12(?:\r\n|$)/);
    // Via names the version the response came in with (RFC 9110 §7.6.3)
    assert.match(head, /\r\nVia: 1\.0 tcpkit-[0-9a-f]{8}(?:\r\n|$)/);
    assert.equal(body, "from python\n");
    // an HTTP/1.0 client: Via 1.0 on its request to an HTTP/1.1 back end, 1.1 on that answer
    const oldToEcho = await curl(["--http1.0", "-i", front("/api/echo")]);
    const [echoHead, echoBody] = oldToEcho.out.split("\r\n\r\n") as [string, string];
    assert.match(echoHead, /\r\nVia: 1\.1 tcpkit-[0-9a-f]{8}(?:\r\n|$)/);
    const echoedVia = fieldsOf((JSON.parse(echoBody) as Echoed).headers).get("via");
    assert.match(echoedVia?.join() ?? "", /^1\.0 tcpkit-[0-9a-f]{8}$/);
    // and 1.0 on the HTTP/1.0 back end's answer to it
    const oldToPy = await curl(["--http1.0", "-i", front("/py/file.txt")]);
    assert.match(
      oldToPy.out,
      /^HTTP\/1\.1 200 OK\r\n[^]*\r\nVia: 1\.0 tcpkit-[0-9a-f]{8}\r\n[^]*from python\n$/,
    );
  });

  it("forwards any method with its body (WebDAV's PROPFIND, PURGE); refuses TRACE and CONNECT", async () => {
    const sent = async (method: string, body: string, ...headers: string[]): Promise<Echoed> => {
      const args = headers.flatMap((h) => ["-H", h]);
      const r = await curl(["-X", method, ...args, "--data-binary", body, front("/api/echo")]);
      assert.equal(r.code, 0, r.err);
      const echoed = JSON.parse(r.out) as Echoed;
      assert.equal(echoed.method, method);
      assert.equal(echoed.bytes, body.length);
      return echoed;
    };
    const propfind = await sent("PROPFIND", "<propfind/>", "Depth: 1");
    assert.deepEqual(fieldsOf(propfind.headers).get("depth"), ["1"]);
    // a chunked body, on another WebDAV method
    const report = await sent("REPORT", "<sync-collection/>", "Transfer-Encoding: chunked");
    assert.deepEqual(fieldsOf(report.headers).get("transfer-encoding"), ["chunked"]);
    // a method outside the registry (Varnish's PURGE), with a body: the back end's to answer
    await sent("PURGE", "all");
    // outside the proxied prefixes the static files refuse it (405), as other methods
    const staticPurge = await curl(["-i", "-X", "PURGE", front("/index.html")]);
    assert.match(staticPurge.out, /^HTTP\/1\.1 405 [^]*\r\nAllow: GET, HEAD, OPTIONS\r\n/);
    const trace = await curl(["-i", "-X", "TRACE", front("/api/echo")]);
    assert.match(trace.out, /^HTTP\/1\.1 405 /);
    assert.doesNotMatch(trace.out, /Allow: [^\r]*(?:TRACE|CONNECT|\*)/);
    const connect = await exchange(
      s.port,
      [
        `CONNECT 127.0.0.1:${back.port} HTTP/1.1\r\nHost: 127.0.0.1:${back.port}\r\n` +
          "Connection: close\r\n\r\n",
      ],
      { quietMs: 5000 },
    );
    assert.match(connect.data.toString("latin1"), /^HTTP\/1\.1 405 /);
  });

  it("serves the rest from ROOT; --spa does not swallow proxied paths; dot segments refused", async () => {
    assert.match((await curl([front("/some/page")])).out, /<title>front<\/title>/);
    const post = await curl(["-i", "-X", "POST", "-d", "x", front("/index.html")]);
    assert.match(post.out, /^HTTP\/1\.1 405 /);
    const mkcol = await curl(["-i", "-X", "MKCOL", front("/newdir/")]);
    assert.match(mkcol.out, /^HTTP\/1\.1 405 /); // proxied methods stay off the static files
    const dots = await exchange(s.port, [
      "GET /api/../etc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ]);
    assert.match(dots.data.toString("latin1"), /^HTTP\/1\.1 400 /);
  });

  it("passes a WebSocket through: bytes both ways, closing together", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/api/socket`);
    const messages: { data: Buffer; binary: boolean }[] = [];
    const waiters: (() => void)[] = [];
    ws.on("message", (data, binary) => {
      messages.push({ data: data as Buffer, binary });
      waiters.shift()?.();
    });
    const next = async (): Promise<{ data: Buffer; binary: boolean }> => {
      if (messages.length === 0) await new Promise<void>((r) => waiters.push(r));
      return messages.shift() as { data: Buffer; binary: boolean };
    };
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    assert.equal((await next()).data.toString(), "hello /api/socket 127.0.0.1");
    ws.send("ping");
    assert.equal((await next()).data.toString(), "ping");
    const payload = createHash("sha512").update("seed").digest();
    const big = Buffer.concat(Array.from({ length: 16 * 1024 }, () => payload)); // 1 MiB
    ws.send(big);
    const echoed = await next();
    assert.ok(echoed.binary);
    assert.ok(echoed.data.equals(big));
    const closed = back.wsClosed;
    ws.close(1000, "bye");
    await new Promise<void>((r) => ws.once("close", () => r()));
    await closed;
  });

  it("refuses a malformed --proxy with a usage error", async () => {
    for (const bad of ["api=http://x", "/api", "/api=ftp://x", "/api=http://x/?q"]) {
      const r = await runCli(["serve", ROOT, "--proxy", bad]);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /^tcpkit: --proxy: /, r.stderr);
    }
  });

  it("--trust-proxy: keeps the forwarding fields, and redirects to the origin the proxy in front names", async () => {
    const trusting = await startServe(
      ROOT,
      "--trust-proxy",
      "--proxy",
      `/api=http://127.0.0.1:${back.port}`,
    );
    const sent = [
      ["-H", "X-Forwarded-For: 6.6.6.6", "-H", "X-Real-IP: 6.6.6.6"],
      ["-H", "X-Forwarded-Proto: https", "-H", "X-Forwarded-Host: app.example"],
    ].flat();
    try {
      const at = (server: RunningServer, path: string): string =>
        `http://127.0.0.1:${server.port}${path}`;
      const echoed = await curl([...sent, at(trusting, "/api/echo")]);
      const f = fieldsOf((JSON.parse(echoed.out) as Echoed).headers);
      assert.deepEqual(f.get("x-forwarded-for"), ["6.6.6.6, 127.0.0.1"]);
      assert.deepEqual(f.get("x-real-ip"), ["6.6.6.6"]);
      assert.deepEqual(f.get("x-forwarded-proto"), ["https"]);
      assert.deepEqual(f.get("x-forwarded-host"), ["app.example"]);
      const redirect = await curl(["-i", ...sent, at(trusting, "/api/redirect")]);
      assert.match(redirect.out, /\r\nLocation: https:\/\/app\.example\/api\/target\r\n/);
      // Forwarded (RFC 7239) when the proxy in front sets only that
      const rfc = await curl([
        "-i",
        "-H",
        'Forwarded: for=6.6.6.6;host="app.example:8443";proto=https',
        at(trusting, "/api/redirect"),
      ]);
      assert.match(rfc.out, /\r\nLocation: https:\/\/app\.example:8443\/api\/target\r\n/);
      // untrusted (no --trust-proxy): the fields are the client's word, not taken
      const own = await curl(["-i", ...sent, front("/api/redirect")]);
      const here = `http://127\\.0\\.0\\.1:${s.port}/api/target`;
      assert.match(own.out, new RegExp(`\r\nLocation: ${here}\r\n`));
    } finally {
      await trusting.stop();
    }
  });

  it("answers 508 Loop Detected to a request that comes back through it (--proxy /=itself)", async () => {
    const [selfPort, aPort, bPort] = [await freePort(), await freePort(), await freePort()];
    const serveAt = (port: number, to: number): Promise<RunningServer> =>
      startServeOn(port, ROOT, "--proxy", `/=http://127.0.0.1:${to}`);
    const self = await serveAt(selfPort, selfPort);
    // two servers routed at each other: each has a pseudonym of its own
    const [a, b] = await Promise.all([serveAt(aPort, bPort), serveAt(bPort, aPort)]);
    try {
      for (const [server, hops] of [
        [self, 1],
        [a, 2],
      ] as const) {
        const r = await curl(["-i", `http://127.0.0.1:${server.port}/x`]);
        assert.match(r.out, /^HTTP\/1\.1 508 Loop Detected\r\n[^]*\r\n\r\n508 Loop Detected\n$/);
        // the 508 came back through each hop (a, b: two pseudonyms), each named once
        const via = /\r\nVia: ([^\r]*)\r\n/.exec(r.out)?.[1] ?? "";
        const names = via.split(", ").map((entry) => entry.split(" ")[1]);
        assert.equal(new Set(names).size, hops, via);
        assert.ok(
          names.every((n) => /^tcpkit-[0-9a-f]{8}$/.test(n ?? "")),
          via,
        );
        assert.match(
          server.stderr(),
          /tcpkit: proxy http:[^\n]*: came back through this proxy \(508\)\n/,
        );
      }
    } finally {
      await Promise.all([self.stop(), a.stop(), b.stop()]);
    }
  });
});
