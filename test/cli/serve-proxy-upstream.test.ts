/**
 * `tcpkit serve --proxy` toward back ends that are not plain and quick: https back ends with a
 * private CA (`--proxy-ca`, verification never off), the connect phase (`--proxy-connect-timeout`:
 * refused is 502 at once, a back end that does not accept or does not finish its TLS handshake
 * is 504 after the timeout), and a Server-Sent Events stream passed on as it is written.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, Socket as NetSocket, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { WebSocket } from "ws";
import { runCli, startServe, type RunningServer } from "../support/cli.js";
import { freePort } from "../support/ports.js";
import { startBackend, type Backend } from "../support/proxy-backends.js";
import { openSocket } from "../support/raw-socket.js";
import { makeCa, makeLeaf } from "../support/tls-cert.js";
import { runTool } from "../support/tools.js";

const DIR = mkdtempSync(join(tmpdir(), "tcpkit-proxy-up-"));
writeFileSync(join(DIR, "index.html"), "<!doctype html><title>front</title>\n");

async function curl(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = await runTool("curl", ["-sS", ...args], { timeoutMs: 60_000 });
  return { code: r.code, out: r.stdout.toString("latin1"), err: r.stderr };
}

/** A server that accepts TCP connections and never says a word (a TLS handshake never ends). */
async function silentServer(): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/**
 * A port whose accept queue is full: python3 listens with a backlog of 0 and never accepts, and
 * connections are opened until one hangs. The kernel then drops further SYNs, so a connect to it
 * neither succeeds nor fails: the case a connect timeout exists for.
 */
async function unacceptingPort(): Promise<{ port: number; close: () => void }> {
  const child: ChildProcess = spawn(
    "python3",
    [
      "-c",
      "import socket,sys,time\ns=socket.socket();s.bind(('127.0.0.1',0));s.listen(0)\n" +
        "print(s.getsockname()[1],flush=True)\nsys.stdin.read()",
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once("error", reject);
  });
  const fillers: Socket[] = [];
  let queueFull = false;
  for (let i = 0; i < 8 && !queueFull; i++) {
    const s = new NetSocket();
    fillers.push(s);
    s.on("error", () => {});
    s.connect(port, "127.0.0.1");
    // still connecting after 300 ms: the queue is full (a filler that connects fills it)
    queueFull = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(s.connecting), 300);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  }
  assert.ok(queueFull, "the kernel accepted every connection: no port that cannot be connected to");
  return {
    port,
    close: () => {
      for (const s of fillers) s.destroy();
      child.kill();
    },
  };
}

describe("tcpkit serve --proxy to https back ends (--proxy-ca)", () => {
  let ca: { cert: string; key: string };
  let back: Backend;
  let wrongName: Backend;
  let s: RunningServer;

  before(async () => {
    ca = await makeCa(DIR);
    const leaf = await makeLeaf(DIR, ca, "backend", "IP:127.0.0.1,DNS:localhost");
    const other = await makeLeaf(DIR, ca, "other", "DNS:other.test");
    const pem = (f: { cert: string; key: string }): { cert: string; key: string } => ({
      cert: readFileSync(f.cert, "utf8"),
      key: readFileSync(f.key, "utf8"),
    });
    back = await startBackend(pem(leaf));
    wrongName = await startBackend(pem(other));
    s = await startServe(
      DIR,
      "--proxy",
      `/api=https://127.0.0.1:${back.port}`,
      "--proxy",
      `/other=https://127.0.0.1:${wrongName.port}`,
      "--proxy-ca",
      ca.cert,
    );
  });
  after(async () => {
    await s.stop();
    await back.close();
    await wrongName.close();
  });

  it("forwards to a back end whose certificate the CA issued, on kept-alive TLS connections", async () => {
    const before = back.connections;
    const url = `http://127.0.0.1:${s.port}/api/x?y=1`;
    const r = await curl(["--fail", url, "--next", "--fail", "-d", "body", url]);
    assert.equal(r.code, 0, r.err);
    const [first, second] = r.out.split("}{").map((t, i) => (i === 0 ? `${t}}` : `{${t}`));
    const a = JSON.parse(first as string) as { method: string; url: string; headers: string[] };
    assert.equal(a.url, "/api/x?y=1");
    assert.equal(a.method, "GET");
    assert.equal((JSON.parse(second as string) as { method: string }).method, "POST");
    const proto = a.headers.findIndex((h) => h.toLowerCase() === "x-forwarded-proto");
    assert.equal(a.headers[proto + 1], "http");
    assert.equal(back.connections - before, 1, "one TLS connection for both requests");
  });

  it("refuses a certificate for another name even with --proxy-ca: 502 and the reason", async () => {
    const r = await curl(["-i", `http://127.0.0.1:${s.port}/other/x`]);
    assert.match(r.out, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.match(
      s.stderr(),
      /tcpkit: proxy https:\/\/127\.0\.0\.1:\d+\/other\/x: certificate of 127\.0\.0\.1:\d+ not trusted: [^\n]*IP: 127\.0\.0\.1 is not in the cert's list[^\n]*\(trust its CA with --proxy-ca FILE\) \(502\)\n/,
    );
  });

  it("passes a WebSocket through to an https back end", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/api/socket`);
    const got: string[] = [];
    const next = (): Promise<string> =>
      new Promise((r) => ws.once("message", (d: Buffer) => r(d.toString())));
    let hello = next();
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    got.push(await hello);
    hello = next();
    ws.send("over tls");
    got.push(await hello);
    assert.deepEqual(got, ["hello /api/socket 127.0.0.1", "over tls"]);
    ws.close();
    await new Promise<void>((r) => ws.once("close", () => r()));
  });

  it("without --proxy-ca, a private CA's back end is refused (502); a bad --proxy-ca is an error", async () => {
    const plain = await startServe(DIR, "--proxy", `/api=https://127.0.0.1:${back.port}`);
    try {
      const r = await curl(["-i", `http://127.0.0.1:${plain.port}/api/x`]);
      assert.match(r.out, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
      assert.match(
        plain.stderr(),
        /not trusted: [^\n]*\(trust its CA with --proxy-ca FILE\) \(502\)\n/,
      );
    } finally {
      await plain.stop();
    }
    const notPem = join(DIR, "not-a-cert.pem");
    writeFileSync(notPem, "hello\n");
    const bad = await runCli([
      "serve",
      DIR,
      "--proxy",
      "/a=https://127.0.0.1:1",
      "--proxy-ca",
      notPem,
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^tcpkit: --proxy-ca \S+not-a-cert\.pem: no PEM certificate in it\n$/);
    const missing = await runCli([
      "serve",
      DIR,
      "--proxy",
      "/a=https://127.0.0.1:1",
      "--proxy-ca",
      join(DIR, "nope.pem"),
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tcpkit: cannot read --proxy-ca \S+nope\.pem: /);
    const alone = await runCli(["serve", DIR, "--proxy-ca", ca.cert]);
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /^tcpkit: --proxy-ca goes with --proxy/);
  });
});

describe("tcpkit serve --proxy: connecting, and streams", () => {
  let back: Backend;
  let silent: Awaited<ReturnType<typeof silentServer>>;
  let full: Awaited<ReturnType<typeof unacceptingPort>>;
  let deadPort: number;
  let s: RunningServer;

  before(async () => {
    back = await startBackend();
    silent = await silentServer();
    full = await unacceptingPort();
    deadPort = await freePort(); // bound, released: nothing listens there
    s = await startServe(
      DIR,
      "--proxy",
      `/api=http://127.0.0.1:${back.port}`,
      "--proxy",
      `/refused=http://127.0.0.1:${deadPort}`,
      "--proxy",
      `/full=http://127.0.0.1:${full.port}`,
      "--proxy",
      `/silent=https://127.0.0.1:${silent.port}`,
      "--proxy-connect-timeout",
      "2",
      "--proxy-timeout",
      "30",
    );
  });
  after(async () => {
    await s.stop();
    await back.close();
    silent.close();
    full.close();
  });

  it("answers 502 at once when refused, 504 after --proxy-connect-timeout when not accepted", async () => {
    const time = ["-i", "-w", "\n%{time_total}"];
    const [refused, notAccepted, noHandshake] = await Promise.all([
      curl([...time, `http://127.0.0.1:${s.port}/refused/x`]),
      curl([...time, `http://127.0.0.1:${s.port}/full/x`]),
      curl([...time, `http://127.0.0.1:${s.port}/silent/x`]),
    ]);
    const seconds = (r: { out: string }): number =>
      Number(r.out.slice(r.out.lastIndexOf("\n") + 1));
    assert.match(refused.out, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
    assert.ok(seconds(refused) < 1.5, `refused took ${seconds(refused)} s`);
    for (const r of [notAccepted, noHandshake]) {
      assert.match(r.out, /^HTTP\/1\.1 504 Gateway Timeout\r\n/);
      // the connect timeout (2 s), not the response timeout (30 s)
      assert.ok(seconds(r) >= 1.9 && seconds(r) < 15, `took ${seconds(r)} s`);
    }
    const log = s.stderr();
    assert.match(
      log,
      /proxy http:\/\/127\.0\.0\.1:\d+\/refused\/x: connection refused [^\n]*\(502\)\n/,
    );
    assert.match(
      log,
      /proxy http:\/\/127\.0\.0\.1:\d+\/full\/x: timed out connecting to 127\.0\.0\.1:\d+ after 2 s \(504\)\n/,
    );
    assert.match(
      log,
      /proxy https:\/\/127\.0\.0\.1:\d+\/silent\/x: timed out connecting to 127\.0\.0\.1:\d+ after 2 s \(504\)\n/,
    );
  });

  it("passes a Server-Sent Events stream on as it is written, not when it ends", async () => {
    // The back end writes its first event, then its last one 1.5 s later and ends.
    const sock = await openSocket(s.port);
    sock.write(`GET /api/events?ms=1500 HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`);
    let seen = "";
    let atFirst = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`incomplete within 20 s: ${seen}`)), 20_000);
      sock.on("data", (d: Buffer) => {
        seen += d.toString("latin1");
        if (atFirst === "" && seen.includes("data: one\n\n")) atFirst = seen;
        if (seen.endsWith("\r\n0\r\n\r\n")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    sock.destroy();
    assert.match(seen, /^HTTP\/1\.1 200 OK\r\n[^]*content-type: text\/event-stream\r\n/i);
    assert.match(seen, /\r\ntransfer-encoding: chunked\r\n[^]*data: last\n\n/i);
    // the first event reached the client before the back end wrote its last
    assert.doesNotMatch(atFirst, /data: last/);
  });

  it("lets the back end go when the client half-closes or closes during a streamed response, or leaves before its head", async () => {
    // The back end writes its first event and would write its last one only after 20 s. The
    // client's FIN (a half-close, or a close: the same until a write fails) ends the exchange,
    // as in nginx and Go's ReverseProxy: the back end's connection is closed, never pooled with
    // the rest of a response on it, and the client's connection is cut, not ended as complete.
    for (const how of ["half-close", "close"] as const) {
      const cutBefore = back.eventsCut;
      const sock = await openSocket(s.port);
      sock.on("error", () => {});
      const closed = new Promise<void>((r) => sock.once("close", () => r()));
      let seen = "";
      sock.on("data", (d: Buffer) => (seen += d.toString("latin1")));
      sock.write(`GET /api/events?ms=20000 HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`);
      for (const t0 = Date.now(); !seen.includes("data: one\n\n"); await sleep(10))
        assert.ok(Date.now() - t0 < 10_000, `${how}: no first event within 10 s: ${seen}`);
      if (how === "half-close") sock.end();
      else sock.destroy();
      for (const t0 = Date.now(); back.eventsCut === cutBefore; await sleep(10))
        assert.ok(Date.now() - t0 < 10_000, `${how}: the back end still streams after 10 s`);
      await closed;
      assert.doesNotMatch(seen, /\r\n0\r\n\r\n$/, `${how}: a complete-looking response`);
    }
    // A client that goes away (a reset) before the head: the back end's connection is closed
    // too, not after --proxy-timeout (30 s here). (A FIN alone before the head is a
    // half-close: the answer is still sent to the client when it comes.)
    const hangsBefore = back.hangsLetGo;
    const sock = await openSocket(s.port);
    sock.write(`GET /api/hang HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`);
    await sleep(300);
    sock.resetAndDestroy();
    for (const t0 = Date.now(); back.hangsLetGo === hangsBefore; await sleep(10))
      assert.ok(Date.now() - t0 < 10_000, "the back end still waited after 10 s");
    // Whatever connections the pool holds carry no leftover of a cut response.
    for (let i = 0; i < 3; i++) {
      const r = await curl(["-i", `http://127.0.0.1:${s.port}/api/after`]);
      assert.match(r.out, /^HTTP\/1\.1 200 OK\r\n[^]*"url":"\/api\/after"/);
    }
  });

  it("refuses a bad --proxy-connect-timeout with a usage error", async () => {
    const r = await runCli([
      "serve",
      DIR,
      "--proxy",
      "/a=http://x",
      "--proxy-connect-timeout",
      "0",
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^tcpkit: --proxy-connect-timeout /);
  });
});
