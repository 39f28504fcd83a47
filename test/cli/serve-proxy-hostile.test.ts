/**
 * `tcpkit serve --proxy` against what an attacker sends (raw sockets, bytes exactly as written)
 * and against back ends that answer oddly (a canned server: every byte under the test's
 * control), for what a front end must never let through: a request that steps outside the path
 * its route maps (encoded slashes, `..;`), a redirect the proxy's own rewriting turns into one to
 * another site, an endless train of interim responses, and forwarding fields spelled with
 * underscores.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { startCannedServer, type CannedServer } from "../support/canned-server.js";
import { startServe, type RunningServer } from "../support/cli.js";
import { startPythonHttpServer } from "../support/python-http-server.js";
import { exchange, openSocket } from "../support/raw-socket.js";

const ROOT = mkdtempSync(join(tmpdir(), "tcpkit-proxy-hostile-"));
const BACK_ROOT = mkdtempSync(join(tmpdir(), "tcpkit-proxy-hostile-back-"));
mkdirSync(join(BACK_ROOT, "pub"));
writeFileSync(join(BACK_ROOT, "pub", "a.txt"), "public\n");
writeFileSync(join(BACK_ROOT, "secret.txt"), "TOP SECRET\n");

/** A GET on a raw socket; the status and the whole reply as latin1. */
async function rawGet(
  port: number,
  target: string,
  fields = "",
): Promise<{ status: number; text: string }> {
  const request = `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${fields}Connection: close\r\n\r\n`;
  const r = await exchange(port, [request], { quietMs: 3000 });
  const text = r.data.toString("latin1");
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), text };
}

/**
 * A keep-alive back end on raw sockets: each request on a connection gets `answer(path)`, and
 * /conn answers the number of the connection it came on (which back-end connection the proxy
 * used).
 */
async function keepAliveBackend(
  answer: (path: string) => string,
): Promise<{ port: number; server: Server }> {
  let connections = 0;
  const server = createServer((socket) => {
    const id = ++connections;
    let buffered = "";
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      for (let end = buffered.indexOf("\r\n\r\n"); end >= 0; end = buffered.indexOf("\r\n\r\n")) {
        const path = buffered.slice(0, end).split(" ")[1] as string;
        buffered = buffered.slice(end + 4);
        const text = `${id}`;
        socket.write(
          path === "/conn"
            ? `HTTP/1.1 200 OK\r\nContent-Length: ${text.length}\r\n\r\n${text}`
            : answer(path),
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as { port: number }).port, server };
}

/** The last response in `text` (after any interim ones): its status. */
function finalStatus(text: string): number {
  const all = [...text.matchAll(/(?:^|\r\n\r\n)HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
  return all.find((s) => s >= 200) ?? NaN;
}

describe("tcpkit serve --proxy, hostile requests and odd back ends", () => {
  let py: Awaited<ReturnType<typeof startPythonHttpServer>>;
  let canned: CannedServer;
  let keepAlive: Awaited<ReturnType<typeof keepAliveBackend>>;
  let s: RunningServer;
  /** What the canned back end's /v1/half-close tunnel received after its own FIN. */
  let afterFin: Promise<string> = Promise.resolve("");
  /** What the canned back end answers, by the request's path. */
  const answers = new Map<string, string | Buffer>();

  before(async () => {
    py = await startPythonHttpServer(BACK_ROOT);
    canned = await startCannedServer((request, socket) => {
      const path = request.target.split("?")[0] as string;
      // A back end that switches to whatever is asked (an h2c server would then take HTTP/2
      // requests for any of its paths), and echoes what the tunnel carries.
      const upgrade = request.field("upgrade");
      if (path === "/v1/half-close" && upgrade !== undefined) {
        // Says its last word and half-closes; what the client sends after that is kept.
        let late = "";
        socket.on("data", (c: Buffer) => (late += c.toString("latin1")));
        afterFin = new Promise((resolve) => socket.on("end", () => resolve(late)));
        socket.end(
          `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\nbye`,
        );
        return undefined;
      }
      if (path === "/v1/switch" && upgrade !== undefined) {
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\n`,
        );
        socket.on("data", (c: Buffer) => socket.write(c));
        return undefined;
      }
      return answers.get(path) ?? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    });
    keepAlive = await keepAliveBackend((path) =>
      path === "/both"
        ? // both framings: chunked wins (RFC 9112 §6.3), and the connection is not to be trusted
          "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        : "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    );
    s = await startServe(
      ROOT,
      "--proxy",
      `/pub=http://127.0.0.1:${py.port}/pub`,
      "--proxy",
      `/v1=http://127.0.0.1:${canned.port}/v1`,
      "--proxy",
      `/=http://127.0.0.1:${canned.port}/site`,
      "--proxy",
      `/ka=http://127.0.0.1:${keepAlive.port}/`,
      "--proxy-timeout",
      "2",
    );
  });
  after(async () => {
    await s.stop();
    py.child.kill();
    await canned.close();
    keepAlive.server.close();
    rmSync(ROOT, { recursive: true, force: true });
    rmSync(BACK_ROOT, { recursive: true, force: true });
  });

  it("refuses a path that leaves the route's back-end path through an encoded slash or `..;`", async () => {
    const ok = await rawGet(s.port, "/pub/a.txt");
    assert.equal(ok.status, 200);
    assert.match(ok.text, /\r\n\r\npublic\n$/);
    // python's http.server decodes the path, then normalises it: /pub/..%2fsecret.txt is
    // /secret.txt there, outside the /pub the route maps.
    for (const target of [
      "/pub/..%2fsecret.txt",
      "/pub/..%2Fsecret.txt",
      "/pub/%2e%2e%2fsecret.txt",
    ]) {
      const r = await rawGet(s.port, target);
      assert.equal(r.status, 400, `${target}: ${r.text}`);
      assert.doesNotMatch(r.text, /TOP SECRET/, target);
    }
    // Back ends that take a backslash for a slash (Windows, IIS) or drop `;params` from a
    // segment before resolving it (Tomcat, Jetty, Spring) resolve these to /admin likewise.
    const before = canned.requests.length;
    for (const target of [
      "/v1/..%5cadmin",
      "/v1/..%5Cadmin",
      "/v1/x/..;/admin",
      "/v1/x/..;jsessionid=1/admin",
      "/v1/x/.%2e;/admin",
      "/v1/x/..%3b/admin",
    ]) {
      const r = await rawGet(s.port, target);
      assert.equal(r.status, 400, `${target}: ${r.text}`);
    }
    assert.equal(canned.requests.length, before, "nothing reached the back end");
    // Names that only look alike still go through.
    answers.set("/v1/..x/a;b/%2e%2ex", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assert.equal((await rawGet(s.port, "/v1/..x/a;b/%2e%2ex")).status, 200);
  });

  it("never rewrites a back end's same-origin redirect into one to another host", async () => {
    // The route `/=…/site` maps /site/… back to /…: a back end's redirect to its own path
    // /site//evil.example/ (a trailing-slash redirect of a request for //evil.example) is
    // /evil.example/ on this origin, not the scheme-relative //evil.example/ of another host.
    const front = `http://127.0.0.1:${s.port}`;
    for (const location of [
      "/site//evil.example/",
      "/site/\\evil.example/",
      "/site/%2f/x",
      "/site/\t/evil.example/",
    ]) {
      answers.set(
        "/site/go",
        `HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`,
      );
      const r = await rawGet(s.port, "/go");
      assert.equal(r.status, 302, r.text);
      const sent = /\r\nLocation: ([^\r\n]*)/.exec(r.text)?.[1] as string;
      // Where a browser goes (WHATWG URL: a backslash is a slash in http URLs).
      const resolved = new URL(sent, `${front}/go`);
      assert.equal(resolved.origin, front, `${location} → ${sent}`);
      assert.equal(resolved.pathname, new URL(front + location.slice("/site".length)).pathname);
    }
  });

  it("gives 502 after a few interim responses, not an endless train of them", async () => {
    const early = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n";
    answers.set("/v1/storm", early.repeat(2000) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    const r = await rawGet(s.port, "/v1/storm");
    const interim = r.text.split("HTTP/1.1 103 ").length - 1;
    assert.ok(interim <= 5, `${interim} interim responses passed on`);
    assert.equal(finalStatus(r.text), 502, r.text.slice(-300));
    assert.match(s.stderr(), /more than 5 interim \(1xx\) responses \(502\)/);
    // A handful, as back ends send them, still reach the client before the final response.
    answers.set("/v1/hints", early.repeat(2) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    const ok = await rawGet(s.port, "/v1/hints");
    assert.equal(ok.text.split("HTTP/1.1 103 ").length - 1, 2);
    assert.equal(finalStatus(ok.text), 200);
  });

  it("drops the client's forwarding fields also when spelled with underscores", async () => {
    // CGI, PHP and WSGI servers map X_Forwarded_For and X-Forwarded-For to the same
    // HTTP_X_FORWARDED_FOR: the client's would be read beside, or before, the proxy's.
    answers.set("/v1/who", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    const before = canned.requests.length;
    const r = await rawGet(
      s.port,
      "/v1/who",
      "X_Forwarded_For: 6.6.6.6\r\nX-Real_IP: 6.6.6.6\r\nx_forwarded_host: evil.example\r\n" +
        "X_Forwarded-Proto: https\r\nX-Kept_Field: yes\r\n",
    );
    assert.equal(r.status, 200, r.text);
    const seen = canned.requests[before];
    assert.ok(seen !== undefined);
    assert.doesNotMatch(seen.raw, /6\.6\.6\.6|evil\.example|https/);
    assert.equal(seen.field("x-forwarded-for"), "127.0.0.1");
    assert.equal(seen.field("x-kept_field"), "yes");
  });

  it("does not reuse a back-end connection whose response had both Content-Length and Transfer-Encoding", async () => {
    // On one client connection, so that only the pool decides which back-end connection goes.
    const get = (path: string): string =>
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`;
    const conn = async (first: string): Promise<[string, string]> => {
      const r = await exchange(s.port, [get("/ka/conn"), get(first), get("/ka/conn")], {
        gapMs: 100,
        quietMs: 1000,
      });
      const bodies = [...r.data.toString("latin1").matchAll(/\r\n\r\n(\d+|hello)/g)];
      assert.equal(bodies.length, 3, r.data.toString("latin1"));
      assert.equal(bodies[1]?.[1], "hello");
      return [bodies[0]?.[1] as string, bodies[2]?.[1] as string];
    };
    // The pool keeps a connection after a plain response (so the test can see reuse) ...
    const [a, b] = await conn("/ka/plain");
    assert.equal(b, a);
    // ... and closes it after one with both framings.
    const [c, d] = await conn("/ka/both");
    assert.notEqual(d, c);
  });

  it("gives 502 for a transfer coding other than chunked, never its coded bytes as the body", async () => {
    // Transfer codings are the connection's (RFC 9112 §6.1): the client is sent the body
    // without them, so one the proxy cannot decode cannot be passed on (nginx and Go: 502).
    const zipped = gzipSync("hello, zipped");
    const size = zipped.length.toString(16);
    answers.set(
      "/v1/gzip",
      Buffer.concat([
        Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${size}\r\n`),
        zipped,
        Buffer.from("\r\n0\r\n\r\n"),
      ]),
    );
    answers.set(
      "/v1/identity",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 5\r\n\r\nhello",
    );
    for (const path of ["/v1/gzip", "/v1/identity"]) {
      const started = Date.now();
      const r = await rawGet(s.port, path);
      assert.equal(r.status, 502, `${path}: ${r.text.slice(0, 200)}`);
      assert.ok(!r.text.includes("\x1f\x8b"), "no gzip bytes");
      assert.ok(Date.now() - started < 1500, `${path}: answered at once, not after the timeout`);
    }
    assert.match(s.stderr(), /Transfer-Encoding 'gzip, chunked' \(502\)/);
  });

  it("drops the client's other X-Forwarded-* fields (-Port, -Prefix, -Ssl) unless --trust-proxy", async () => {
    // Rack reads X-Forwarded-Ssl: on as https; Spring and Werkzeug's ProxyFix build links and
    // redirects from X-Forwarded-Port and -Prefix. Behind this proxy, a back end trusts what
    // it gets, so a client's must not get through beside the fields the proxy sets.
    answers.set("/v1/fwd", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    const lies =
      "X-Forwarded-Port: 443\r\nX-Forwarded-Prefix: /evil\r\nX-Forwarded-Ssl: on\r\n" +
      "X-Forwarded-Scheme: https\r\nX_Forwarded_Server: evil.example\r\n";
    const before = canned.requests.length;
    assert.equal((await rawGet(s.port, "/v1/fwd", lies)).status, 200);
    const seen = canned.requests[before];
    assert.ok(seen !== undefined);
    for (const name of ["port", "prefix", "ssl", "scheme"])
      assert.equal(seen.field(`x-forwarded-${name}`), undefined, seen.raw);
    assert.doesNotMatch(seen.raw, /evil/);
    assert.equal(seen.field("x-forwarded-proto"), "http");
    // With --trust-proxy they come from the proxy in front: kept.
    const trusting = await startServe(
      ROOT,
      "--trust-proxy",
      "--proxy",
      `/v1=http://127.0.0.1:${canned.port}/v1`,
    );
    try {
      const next = canned.requests.length;
      assert.equal((await rawGet(trusting.port, "/v1/fwd", lies)).status, 200);
      const kept = canned.requests[next];
      assert.equal(kept?.field("x-forwarded-port"), "443");
      assert.equal(kept?.field("x-forwarded-prefix"), "/evil");
    } finally {
      await trusting.stop();
    }
  });

  it("never tunnels an h2c upgrade, which would reach every back-end path (h2c smuggling)", async () => {
    answers.set("/v1/switch", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain");
    const ask = (fields: string): Promise<string> =>
      exchange(s.port, [`GET /v1/switch HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n${fields}\r\n`], {
        quietMs: 500,
      }).then((r) => r.data.toString("latin1"));
    const before = canned.requests.length;
    const settings = "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n";
    for (const connection of ["Upgrade, HTTP2-Settings", "Upgrade"]) {
      const text = await ask(`Connection: ${connection}\r\nUpgrade: h2c\r\n${settings}`);
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nplain$/, text);
    }
    for (const seen of canned.requests.slice(before)) {
      assert.equal(seen.field("upgrade"), undefined, seen.raw);
      assert.equal(seen.field("http2-settings"), undefined, seen.raw);
    }
    // Other upgrades (WebSocket, the rest) are still tunnelled after the back end's 101.
    const ws = await ask("Connection: Upgrade\r\nUpgrade: websocket\r\n");
    assert.match(ws, /^HTTP\/1\.1 101 /, ws);
  });

  it("passes a back end's half-close in a tunnel on as a half-close, the client's bytes still going through", async () => {
    // Half-open itself: a socket that ended its side on the peer's FIN could not say more.
    const socket = connect({ port: s.port, host: "127.0.0.1", allowHalfOpen: true });
    await new Promise((resolve) => socket.once("connect", resolve));
    let text = "";
    socket.on("data", (c: Buffer) => (text += c.toString("latin1")));
    const ended = new Promise((resolve) => socket.once("end", resolve));
    socket.write(
      `GET /v1/half-close HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: Upgrade\r\nUpgrade: x-custom\r\n\r\n`,
    );
    await ended; // the back end's FIN, passed on
    assert.match(text, /^HTTP\/1\.1 101 [^]*\r\n\r\nbye$/, text);
    // The client's side is still open: it was closed with the back end's FIN (EPIPE here).
    socket.end("late data");
    assert.equal(await afterFin, "late data");
  });

  it("never forwards a Proxy field (httpoxy: CGI makes it HTTP_PROXY, the back end's outgoing proxy)", async () => {
    answers.set("/v1/httpoxy", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    const before = canned.requests.length;
    const r = await rawGet(s.port, "/v1/httpoxy", "Proxy: http://evil.example:8080\r\n");
    assert.equal(r.status, 200, r.text);
    const seen = canned.requests[before];
    assert.ok(seen !== undefined);
    assert.equal(seen.field("proxy"), undefined, seen.raw);
  });

  it("does not cut a response while the client pauses reading longer than --proxy-timeout", async () => {
    // The back end sends 16 MiB at once; the client reads nothing for twice the proxy's read
    // timeout (2 s), then everything. The back end was never silent: the proxy stopped
    // reading it (backpressure), which is no reason to give up on it.
    const size = 16 * 1024 * 1024;
    answers.set(
      "/v1/big",
      Buffer.concat([
        Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`),
        Buffer.alloc(size, 0x61),
      ]),
    );
    const sock = await openSocket(s.port);
    sock.pause();
    sock.write(`GET /v1/big HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 4000));
    let received = 0;
    let head = "";
    await new Promise<void>((resolve) => {
      sock.on("data", (d: Buffer) => {
        if (head === "") head = d.toString("latin1", 0, Math.min(d.length, 200));
        received += d.length;
      });
      sock.on("error", () => {});
      sock.on("close", () => resolve());
      sock.resume();
    });
    assert.match(head, /^HTTP\/1\.1 200 /);
    const headBytes = head.indexOf("\r\n\r\n") + 4;
    assert.equal(received - headBytes, size, "the whole body");
  });

  it("rewrites a Location at the back end however its scheme and host are cased", async () => {
    // URL schemes and host names are case-insensitive (RFC 3986 §6.2.2.1): left as it was,
    // the back end's internal address reached the client, a redirect it cannot follow.
    const front = `http://127.0.0.1:${s.port}`;
    for (const scheme of ["http", "HTTP", "Http"]) {
      const location = `${scheme}://127.0.0.1:${canned.port}/v1/next?x=1`;
      answers.set(
        "/v1/moved",
        `HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\n\r\n`,
      );
      const r = await rawGet(s.port, "/v1/moved");
      assert.equal(/\r\nLocation: ([^\r\n]*)/.exec(r.text)?.[1], `${front}/v1/next?x=1`, location);
    }
  });

  it("refuses a proxied path with a malformed percent-encoding, as nginx does", async () => {
    // IIS decodes %u002e as "."; other back ends guess at %2 or %zz each in their own way.
    const before = canned.requests.length;
    for (const target of ["/v1/%u002e%u002e/admin", "/v1/%zz", "/v1/x%2", "/v1/%%32e"]) {
      const r = await rawGet(s.port, target);
      assert.equal(r.status, 400, `${target}: ${r.text}`);
    }
    assert.equal(canned.requests.length, before, "nothing reached the back end");
  });
});
