/**
 * Black-box tests of `tcpkit echo-server`'s statistics and limits: SIGUSR1 reports while 100
 * clients are connected, --max-connections-per-ip, --stats-interval and --json, and the UDP
 * guard against two echo servers bouncing one forged datagram (raw sockets: needs root, which
 * CI has).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { startCli } from "../support/cli.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Connects from `localAddress`; resolves with the socket once connected. */
function open(port: number, localAddress = "127.0.0.1", host = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host, localAddress }, () => resolve(s));
    s.once("error", reject);
  });
}

/** Writes `data` and resolves with as many bytes echoed back (or what came before a close). */
function echo(s: Socket, data: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    const done = (): void => {
      s.off("data", onData);
      resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      n += c.length;
      if (n >= data.length) done();
    };
    s.on("data", onData);
    s.once("close", done);
    s.write(data);
  });
}

/** Resolves true if the server closes `s` within `ms` without sending anything. */
function closedAtOnce(s: Socket, ms = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    // The server may have closed it while the next socket was being opened.
    if (s.closed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    s.on("error", () => {});
    s.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function waitFor(check: () => boolean, ms = 5000): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 50) await sleep(50);
}

describe("tcpkit echo-server statistics", () => {
  it("on SIGUSR1 prints totals and the busiest open clients, with 100 clients connected, and goes on", async () => {
    const server = await startCli(["echo-server", "-p", "0"]);
    const sockets: Socket[] = [];
    try {
      for (let i = 1; i <= 100; i++) {
        const s = await open(server.port);
        sockets.push(s);
        const data = Buffer.alloc(i * 10, i);
        assert.ok((await echo(s, data)).equals(data));
      }
      server.child.kill("SIGUSR1");
      await waitFor(
        () => /top 10 open clients/.test(server.stderr()) && /s\n$/.test(server.stderr()),
      );
      const report = server.stderr();
      assert.match(report, /^tcpkit echo-server: 100 open; 100 connections served, /m);
      // 10 * (1 + 2 + ... + 100) bytes each way so far.
      assert.match(report, /; 50500 bytes received, 50500 bytes echoed$/m);
      const top = [
        ...report.matchAll(/^ {2}127\.0\.0\.1:\d+: (\d+) bytes received, (\d+) sent, [\d.]+ s$/gm),
      ];
      assert.equal(top.length, 10);
      assert.deepEqual(
        top.map((m) => Number(m[1])),
        [1000, 990, 980, 970, 960, 950, 940, 930, 920, 910],
      );
      // Still serving.
      const more = Buffer.from("after the report");
      assert.ok((await echo(sockets[0] as Socket, more)).equals(more));
      assert.equal(server.child.exitCode, null);
    } finally {
      for (const s of sockets) s.destroy();
      await server.stop();
    }
  });

  it("refuses connections over --max-connections-per-ip, per address, and counts them", async () => {
    const server = await startCli(["echo-server", "--port", "0", "--max-connections-per-ip", "3"]);
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) sockets.push(await open(server.port));
      for (const s of sockets) assert.equal((await echo(s, Buffer.from("ok"))).toString(), "ok");
      const over = [await open(server.port), await open(server.port)];
      for (const s of over) assert.equal(await closedAtOnce(s), true, "refused at once");
      // Another address is not limited by the first one's connections.
      const other = await open(server.port, "127.0.0.2");
      assert.equal((await echo(other, Buffer.from("other"))).toString(), "other");
      other.destroy();
      // A slot freed is a slot again, once the server has seen the close (SIGUSR1 tells).
      (sockets.shift() as Socket).destroy();
      await waitFor(() => {
        server.child.kill("SIGUSR1");
        return /^tcpkit echo-server: 2 open;/m.test(server.stderr());
      });
      const again = await open(server.port);
      sockets.push(again);
      assert.equal((await echo(again, Buffer.from("again"))).toString(), "again");
      const stopped = await server.stop();
      assert.match(stopped.stderr, / 2 refused over --max-connections-per-ip,/);
      assert.match(stopped.stderr, /; 5 connections served,/);
    } finally {
      for (const s of sockets) s.destroy();
      await server.stop();
    }
  });

  it("counts an IPv4 client on a dual-stack listener by its address, not as one IPv6 /64", async () => {
    // On "::" an IPv4 client is seen as ::ffff:a.b.c.d; IPv6 clients count by their /64 (a host
    // can connect from any address of its /64), but every IPv4 client lies in ::ffff:0:0/64.
    const server = await startCli([
      "echo-server",
      "--host",
      "::",
      "--port",
      "0",
      "--max-connections-per-ip",
      "1",
    ]);
    const sockets: Socket[] = [];
    try {
      for (const from of ["127.0.0.1", "127.0.0.2"]) {
        const s = await open(server.port, from);
        sockets.push(s);
        assert.equal((await echo(s, Buffer.from(from))).toString(), from, from);
      }
      const v6 = await open(server.port, "::1", "::1");
      sockets.push(v6);
      assert.equal((await echo(v6, Buffer.from("v6"))).toString(), "v6");
      const over = await open(server.port, "127.0.0.1");
      sockets.push(over);
      assert.equal(await closedAtOnce(over), true, "a second connection from 127.0.0.1");
      const stopped = await server.stop();
      assert.match(stopped.stderr, / 1 refused over --max-connections-per-ip,/);
    } finally {
      for (const s of sockets) s.destroy();
      await server.stop();
    }
  });

  it("prints totals every --stats-interval, and as JSON with --json, the last on stop", async () => {
    const server = await startCli([
      "echo-server",
      "--port",
      "0",
      "--stats-interval",
      "100ms",
      "--json",
    ]);
    const s = await open(server.port);
    await echo(s, Buffer.alloc(1000, 1));
    await waitFor(() => server.stderr().split("\n").length > 4);
    s.destroy();
    const stopped = await server.stop();
    const lines = stopped.stderr
      .trimEnd()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as { type: string; connectionsAccepted: number; bytesReceived: number },
      );
    assert.ok(lines.length >= 4);
    assert.ok(lines.slice(0, -1).every((l) => l.type === "interval"));
    const last = lines[lines.length - 1] as {
      type: string;
      connectionsAccepted: number;
      bytesReceived: number;
    };
    assert.equal(last.type, "stopped");
    assert.equal(last.connectionsAccepted, 1);
    assert.equal(last.bytesReceived, 1000);
  });
});

/**
 * Sends one UDP datagram with a forged source address and port, through a raw socket (Python,
 * root only): what an attacker does to point two echo servers at each other.
 */
function forge(src: string, sport: number, dst: string, dport: number, payload: string): void {
  const script = `
import socket, struct, sys
src, sport, dst, dport, payload = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5].encode()
udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + udp, (dst, 0))
`;
  const r = spawnSync("python3", ["-c", script, src, String(sport), dst, String(dport), payload]);
  assert.equal(r.status, 0, `raw socket (needs root): ${r.stderr.toString()}`);
}

/** The UDP figures of a stopped server's totals line. */
function udpTotals(stderr: string): { echoed: number; refused: number; looped: number } {
  const figure = (re: RegExp): number => Number(re.exec(stderr)?.[1] ?? 0);
  return {
    echoed: figure(/udp: (\d+) datagrams echoed/),
    refused: figure(/(\d+) refused by the reflection guard/),
    looped: figure(/(\d+) dropped as echoes of its own echo/),
  };
}

describe("tcpkit echo-server --udp against a forged datagram between two echo servers", () => {
  it("needs root for raw sockets (CI runs as root)", () => {
    assert.equal(process.getuid?.(), 0, "these tests forge source addresses with a raw socket");
  });

  for (const [name, bHost, samePort] of [
    ["on one host, different ports", "127.0.0.1", false],
    ["across hosts (two loopback addresses), different ports", "127.0.0.2", false],
    ["across hosts on the same port", "127.0.0.2", true],
  ] as const) {
    it(`bounces it at most once each way: ${name}`, async () => {
      const a = await startCli(["echo-server", "--port", "0", "--udp"]);
      const b = await startCli([
        "echo-server",
        "--host",
        bHost,
        "--port",
        samePort ? String(a.port) : "0",
        "--udp",
      ]);
      try {
        // To A, "from" B: A echoes to B, B to A, and on, unless one of them stops it.
        forge(bHost, b.port, "127.0.0.1", a.port, "ping-pong");
        await sleep(1000);
        const ta = udpTotals((await a.stop()).stderr);
        const tb = udpTotals((await b.stop()).stderr);
        const echoed = ta.echoed + tb.echoed;
        assert.ok(
          echoed <= 2,
          `${echoed} echoes (A ${JSON.stringify(ta)}, B ${JSON.stringify(tb)})`,
        );
        assert.equal(ta.refused + ta.looped + tb.looped, 1);
      } finally {
        await a.stop();
        await b.stop();
      }
    });
  }
});
