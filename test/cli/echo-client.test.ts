/**
 * Black-box tests of `tcpkit echo`: against tcpkit's own server, against socat (a foreign RFC 862
 * server), and against misbehaving servers written here (wrong bytes, early close, silence).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { runCli, startCli, type RunningServer } from "../support/cli.js";
import { openSocket } from "../support/raw-socket.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A free loopback port: bound, read, released. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A throwaway server with custom per-connection behaviour; close() also drops its clients. */
async function fakeServer(
  onSocket: (s: Socket) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

describe("tcpkit echo against tcpkit echo-server", () => {
  let server: RunningServer;
  before(async () => {
    server = await startCli(["echo-server", "--port", "0"]);
  });
  after(async () => {
    await server.stop();
  });

  it("sends MESSAGE and prints Received: MESSAGE, exit 0", async () => {
    const r = await runCli(["echo", "--port", String(server.port), "hello, echo"]);
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "Received: hello, echo\n");
  });

  it("takes an IPv6 address in brackets, as URLs write it, on both sides", async () => {
    const v6 = await startCli(["echo-server", "--host", "[::1]", "--port", "0"]);
    try {
      const port = String(v6.port);
      for (const args of [
        ["--host", "[::1]", "--port", port, "hi"],
        ["[::1]", port, "hi"],
      ]) {
        const r = await runCli(["echo", ...args]);
        assert.equal(r.stderr, "", args.join(" "));
        assert.equal(r.stdout, "Received: hi\n");
      }
    } finally {
      await v6.stop();
    }
  });

  it("joins several words like echo(1), and handles UTF-8", async () => {
    const r = await runCli(["echo", "--port", String(server.port), "héllo", "wörld", "✓"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "Received: héllo wörld ✓\n");
  });

  it("sends stdin (-) and writes the verified echo to stdout, binary-safe", async () => {
    const input = randomBytes(3 * 1024 * 1024);
    for (const args of [["-"], []]) {
      const r = await runCli(["echo", "--port", String(server.port), ...args], { input });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdoutBytes.equals(input), "stdout is exactly stdin");
    }
  });

  it("measures round trips like ping and reports JSON", async () => {
    const text = await runCli([
      "echo",
      "--port",
      String(server.port),
      "--count",
      "5",
      "--interval",
      "10",
      "--size",
      "100",
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(
      text.stdout.match(/^100 bytes from 127\.0\.0\.1:\d+: seq=\d time=[\d.]+ ms$/gm)?.length,
      5,
    );
    assert.match(
      text.stdout,
      /^5 round trips of 100 bytes on 1 connection in [\d.]+ s: [\d.,]+\/s, all verified$/m,
    );
    assert.match(text.stdout, /^rtt ms +min [\d.]+ +mean [\d.]+ +max [\d.]+ +stddev [\d.]+$/m);
    assert.match(
      text.stdout,
      /^ +p50 [\d.]+ +p90 [\d.]+ +p99 [\d.]+ +p99\.9 [\d.]+ +p99\.99 [\d.]+$/m,
    );
    const json = await runCli([
      "echo",
      "--port",
      String(server.port),
      "--count",
      "20",
      "--interval",
      "0",
      "--json",
    ]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as {
      mode: string;
      count: number;
      latencyMs: { min: number; max: number; count: number; percentiles: Record<string, number> };
    };
    assert.equal(report.mode, "round-trips");
    assert.equal(report.count, 20);
    const rtt = report.latencyMs;
    assert.equal(rtt.count, 20);
    const p = rtt.percentiles as { p50: number; p99: number };
    assert.ok(rtt.min <= p.p50 && p.p50 <= p.p99 && p.p99 <= rtt.max);
  });

  it("measures throughput over several connections, by bytes and by time", async () => {
    const r = await runCli([
      "echo",
      "--port",
      String(server.port),
      "--bench",
      "16M",
      "--connections",
      "4",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      bytesSent: number;
      bytesReceived: number;
      receiveMBps: number;
      connections: number;
    };
    assert.equal(report.connections, 4);
    assert.equal(report.bytesSent, 16 * 1024 * 1024);
    assert.equal(report.bytesReceived, 16 * 1024 * 1024);
    assert.ok(report.receiveMBps > 0);
    const timed = await runCli([
      "echo",
      "--port",
      String(server.port),
      "--bench",
      "0.3s",
      "--no-nodelay",
    ]);
    assert.equal(timed.code, 0, timed.stderr);
    assert.match(
      timed.stdout,
      /^echoed [\d.]+ MiB \([\d,]+ bytes\) in [\d.]+ s: [\d.]+ MB\/s, [\d.]+ Gbit\/s, all verified$/m,
    );
  });
});

describe("tcpkit echo against socat (a foreign echo server)", () => {
  let socat: ChildProcess;
  let port: number;
  before(async () => {
    port = await freePort();
    // Its own process group: socat forks a child per connection, and after() stops them all.
    socat = spawn("socat", [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, "PIPE"], {
      stdio: "ignore",
      detached: true,
    });
    // Ready when it accepts (bounded: 5 s).
    for (let i = 0; i < 100; i++) {
      const ok = await openSocket(port).then(
        (s) => (s.destroy(), true),
        () => false,
      );
      if (ok) return;
      await sleep(50);
    }
    throw new Error("socat did not start");
  });
  after(() => {
    process.kill(-(socat.pid as number), "SIGTERM");
  });

  it("message, stdin, round-trip and throughput modes all verify", async () => {
    const msg = await runCli(["echo", "--port", String(port), "via socat"]);
    assert.equal(msg.code, 0, msg.stderr);
    assert.equal(msg.stdout, "Received: via socat\n");
    const input = randomBytes(1024 * 1024);
    // socat's PIPE cannot read while its own echo waits in the pipe: keep in flight < 56 KiB.
    const stdin = await runCli(["echo", "--port", String(port), "--window", "32K"], { input });
    assert.equal(stdin.code, 0, stdin.stderr);
    assert.ok(stdin.stdoutBytes.equals(input));
    const rt = await runCli(["echo", "--port", String(port), "--count", "3", "--interval", "0"]);
    assert.equal(rt.code, 0, rt.stderr);
    const tp = await runCli([
      "echo",
      "--port",
      String(port),
      "--bench",
      "8M",
      "--connections",
      "2",
      "--window",
      "32K",
    ]);
    assert.equal(tp.code, 0, tp.stderr);
  });
});

describe("tcpkit echo failures", () => {
  it("exits 1 naming the mismatch when the server sends back different bytes", async () => {
    const { port, close } = await fakeServer((s) =>
      s.on("data", (c: Buffer) => s.write(c.toString().toUpperCase())),
    );
    try {
      const r = await runCli(["echo", "--port", String(port), "abc"]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "Received: ABC\n");
      assert.equal(r.stderr, "tcpkit: echo mismatch: byte 0 of 3 differs from the byte sent\n");
      const rt = await runCli(["echo", "--port", String(port), "--count", "2", "--interval", "0"]);
      assert.equal(rt.code, 1);
      assert.match(rt.stderr, /^tcpkit: message 1: echoed byte \d+ differs from the byte sent\n$/);
      const st = await runCli(["echo", "--port", String(port)], { input: "abc" });
      assert.equal(st.code, 1);
      assert.equal(st.stderr, "tcpkit: echoed byte 0 differs from the byte sent\n");
    } finally {
      await close();
    }
  });

  it("exits 1 saying the connection closed early", async () => {
    const { port, close } = await fakeServer((s) =>
      s.once("data", (c: Buffer) => {
        s.end(c.subarray(0, 2));
      }),
    );
    try {
      const r = await runCli(["echo", "--port", String(port), "hello"]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^tcpkit: connection closed by 127\.0\.0\.1:\d+ after 2 of 5 bytes echoed\n$/,
      );
      const st = await runCli(["echo", "--port", String(port)], { input: "hello" });
      assert.equal(st.code, 1);
      assert.match(
        st.stderr,
        /^tcpkit: connection closed by 127\.0\.0\.1:\d+ after 2 of 5 bytes echoed\n$/,
      );
    } finally {
      await close();
    }
  });

  it("exits 1 with one line for a refused connection, an unknown host, a silent server", async () => {
    const port = await freePort();
    const refused = await runCli(["echo", "--port", String(port), "x"]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, `tcpkit: connection refused by 127.0.0.1:${port}\n`);
    const unknown = await runCli(["echo", "--host", "no-such-host.invalid", "--port", "7", "x"]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, "tcpkit: cannot resolve no-such-host.invalid\n");
    const { port: silentPort, close } = await fakeServer(() => {});
    try {
      const silent = await runCli(["echo", "--port", String(silentPort), "--timeout", "0.5", "x"]);
      assert.equal(silent.code, 1);
      assert.match(
        silent.stderr,
        /^tcpkit: no echo from 127\.0\.0\.1:\d+ within 0\.5 s \(0 of 1 bytes back\)\n$/,
      );
    } finally {
      await close();
    }
  });

  it("rejects contradictory or bad flags with exit 2", async () => {
    for (const args of [
      ["--bench", "1M", "--count", "3"],
      ["--bench", "lots"],
      ["--size", "70000"],
      ["--count", "2", "message"],
      ["--interval", "0.2"],
      ["--interval", "soon"],
      ["--rate", "0"],
      ["--rate", "10", "--interval", "1s"],
      ["--udp", "--connect-rate"],
      ["--udp", "--size", "8"],
      ["--udp", "--connections", "2"],
      ["--bench", "1M", "--rate", "10"],
      ["--json", "--json-stream", "-c", "1"],
      ["--percentiles", "0,50"],
      ["--duration", "-1"],
      ["localhost", "7007", "--port", "7", "x"],
      ["localhost", "99999", "hello"],
      // Nothing can be reached at port 0 or at no host: said as such, not "connection refused".
      ["localhost", "0", "hello"],
      ["--port", "0", "hello"],
      ["--host", "", "hello"],
      ["", "7007", "hello"],
      ["--json"],
      ["--nodelay", "--no-nodelay", "x"],
    ]) {
      const r = await runCli(["echo", ...args]);
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(r.stderr.trim().split("\n").length, 1);
      assert.match(r.stderr, /^tcpkit: /);
    }
  });
});
