/**
 * Black-box tests of `tcpkit echo`'s measuring modes (closed loop, open loop, connect rate, UDP)
 * against tcpkit echo-server, socat and xinetd's internal echo, and against servers written here
 * to misbehave in one measured way: a 200 ms stall, a UDP path that drops every 10th datagram and
 * swaps pairs, a listen backlog that overflows.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSocket, type RemoteInfo } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { CLI_PATH, REPO_ROOT, runCli, startCli, type RunningServer } from "../support/cli.js";
import { startSocat, startXinetd, type EchoPeer } from "../support/echo-peers.js";
import { CLI_RUNTIME } from "../support/runtime.js";

interface Summary {
  count: number;
  min: number;
  max: number;
  mean: number;
  percentiles: Record<string, number>;
}
interface Report {
  type?: string;
  mode: string;
  count: number;
  sent?: number;
  failed?: number;
  lost?: number;
  lossPercent?: number;
  duplicates?: number;
  reordered?: number;
  jitterMs?: number;
  ratePerSec: number;
  interrupted: boolean;
  latencyMs: Summary;
  connectMs?: Summary;
  firstEchoMs?: Summary;
  sendLagMs?: Summary;
}

/** Runs `tcpkit echo ARGS --json` and returns the parsed report (asserting exit 0). */
async function measure(args: string[]): Promise<Report> {
  const r = await runCli(["echo", ...args, "--json"], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}

function assertOrdered(s: Summary): void {
  const values = [s.min, ...Object.values(s.percentiles), s.max];
  for (let i = 1; i < values.length; i++) {
    assert.ok((values[i - 1] as number) <= (values[i] as number), `ordered: ${values.join(", ")}`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("tcpkit echo load modes against tcpkit, socat and xinetd", () => {
  let tcpkit: RunningServer;
  const peers: EchoPeer[] = [];
  before(async () => {
    tcpkit = await startCli(["echo-server", "--port", "0", "--udp"]);
    peers.push({ name: "tcpkit", port: tcpkit.port, stop: () => {} });
    peers.push(await startSocat());
    peers.push(await startXinetd());
  });
  after(async () => {
    for (const p of peers) p.stop();
    await tcpkit.stop();
  });

  it("closed loop, open loop and connect rate verify every byte against each server", async () => {
    for (const { name, port } of peers) {
      const p = String(port);
      const closed = await measure(["-p", p, "--connections", "4", "--count", "50"]);
      assert.equal(closed.mode, "round-trips", name);
      assert.equal(closed.count, 200, name);
      assertOrdered(closed.latencyMs);
      const open = await measure(["-p", p, "--rate", "1000/s", "--connections", "2", "-c", "300"]);
      assert.equal(open.mode, "open-loop", name);
      assert.equal(open.count, 300, name);
      assertOrdered(open.latencyMs);
      const crr = await measure(["-p", p, "--connect-rate", "--connections", "4", "-c", "40"]);
      assert.equal(crr.count, 40, name);
      assert.equal(crr.failed, 0, name);
      assertOrdered(crr.connectMs as Summary);
      assertOrdered(crr.firstEchoMs as Summary);
    }
  });

  it("UDP against tcpkit and xinetd: loss, duplicates and reordering counted", async () => {
    const ours = await measure(["-p", String(tcpkit.port), "--udp", "--rate", "500", "-c", "200"]);
    assert.equal(ours.sent, 200);
    assert.equal(ours.count, 200);
    assert.equal(ours.lost, 0);
    assert.equal(ours.duplicates, 0);
    assert.equal(ours.reordered, 0);
    assert.ok((ours.jitterMs as number) >= 0);
    assertOrdered(ours.latencyMs);
    // xinetd's internal UDP echo answers one datagram per turn of its select loop and drops
    // some from about 200/s on: at 50/s it keeps up, and what it drops is counted as lost. On a
    // loaded machine xinetd itself falls behind and drops more (32 and 35 of 50 echoed, 2 of 4
    // runs under load): a run with fewer than 40 back is measured again, at most 3 times.
    const xinetd = peers.find((p) => p.name === "xinetd") as EchoPeer;
    let theirs: Report | undefined;
    for (let run = 0; run < 3 && (theirs === undefined || theirs.count < 40); run++) {
      theirs = await measure(["-p", String(xinetd.port), "--udp", "--rate", "50", "-c", "50"]);
      assert.equal(theirs.sent, 50);
      assert.equal(theirs.count + (theirs.lost as number), 50);
      assert.equal(theirs.duplicates, 0);
      assert.equal(theirs.reordered, 0);
    }
    assert.ok(theirs !== undefined && theirs.count >= 40, `${theirs?.count} of 50 echoed`);
  });

  it("--duration is rate x duration sends, in UDP as in the open loop", async () => {
    // The datagram due at the very end raced the duration's timer: 21 went out at 20/s for 1 s.
    for (const mode of [["--udp"], []]) {
      const r = await measure(["-p", String(tcpkit.port), ...mode, "--rate", "20", "-d", "1s"]);
      assert.equal(r.sent, 20, mode.join(" "));
      assert.equal(r.count, 20, mode.join(" "));
    }
  });

  it("--json-stream writes NDJSON: one object per interval, then the summary", async () => {
    const r = await runCli([
      "echo",
      "-p",
      String(tcpkit.port),
      "--connections",
      "2",
      "-d",
      "2.1s",
      "--report-interval",
      "250ms",
      "--json-stream",
    ]);
    // 8 intervals in 2.1 s; 4 are asked for (with -d 1.1s, a loaded machine's late timers left
    // 3 before the end).
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    const objects = lines.map((l) => JSON.parse(l) as Report & { t: number });
    const intervals = objects.filter((o) => o.type === "interval");
    assert.ok(intervals.length >= 4, `${intervals.length} intervals`);
    assert.ok(intervals.every((o) => o.mode === "round-trips" && o.count > 0));
    assert.deepEqual(
      intervals.map((o) => o.t),
      intervals.map((o) => o.t).sort((a, b) => a - b),
    );
    const last = objects[objects.length - 1] as Report;
    assert.equal(last.type, "summary");
    assert.equal(
      last.count,
      intervals.reduce((n, o) => n + o.count, 0),
      "the intervals add up to the summary",
    );
  });

  it("--report-interval prints one line per interval on a terminal-style report", async () => {
    const r = await runCli([
      "echo",
      "-p",
      String(tcpkit.port),
      "--rate",
      "400",
      "-d",
      "1s",
      "--report-interval",
      "0.25s",
      "--percentiles",
      "50,99.99",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.match(/^\[ +[\d.]+s\] +[\d,.]+\/s +p50 [\d.]+ +max [\d.]+ ms$/gm);
    assert.ok((lines?.length ?? 0) >= 3, r.stdout);
    assert.match(r.stdout, /^rate +requested 400\/s, sent [\d,.]+\/s, echoed [\d,.]+\/s$/m);
    assert.match(r.stdout, /^ +p50 [\d.]+ +p99\.99 [\d.]+$/m);
  });
});

/**
 * An echo server that, once it has echoed `after` bytes in all, holds everything for `stallMs`
 * and then sends it on: one stall, as a GC pause or a blocked event loop would cause.
 */
async function stallingServer(
  after: number,
  stallMs: number,
): Promise<{ port: number; close(): Promise<void> }> {
  let echoed = 0;
  let stalled = false;
  let stallDone = false;
  const held: [Socket, Buffer][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    s.on("data", (chunk: Buffer) => {
      if (stalled) {
        held.push([s, chunk]);
        return;
      }
      s.write(chunk);
      echoed += chunk.length;
      if (!stallDone && echoed >= after) {
        stallDone = true;
        stalled = true;
        setTimeout(() => {
          stalled = false;
          for (const [socket, bytes] of held.splice(0)) socket.write(bytes);
        }, stallMs);
      }
    });
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

describe("tcpkit echo against a server that stalls for 200 ms once", () => {
  it("open loop puts the stall in the tail; closed loop shows it only in max", async () => {
    // Open loop: 1,000 messages/s; the stall begins after 200 messages. About 200 messages are
    // due during it, late by 200 ms down to 0: a fifth of the run, so p90 and p99 show it.
    const a = await stallingServer(200 * 64, 200);
    try {
      const open = await measure(["-p", String(a.port), "--rate", "1000", "-c", "1000"]);
      assert.equal(open.count, 1000);
      const p = open.latencyMs.percentiles as Record<string, number>;
      assert.ok((p["p99"] as number) >= 150, `open-loop p99 ${p["p99"]} ms`);
      assert.ok((p["p90"] as number) >= 50, `open-loop p90 ${p["p90"]} ms`);
      assert.ok(open.latencyMs.max >= 180, `open-loop max ${open.latencyMs.max} ms`);
    } finally {
      await a.close();
    }
    // Closed loop: each of the 2 connections waits through the stall once; nothing else is sent
    // meanwhile, so 2 of 2,000 samples are slow: the max shows the stall, p99 does not.
    const b = await stallingServer(200 * 64, 200);
    try {
      const closed = await measure(["-p", String(b.port), "--connections", "2", "-c", "1000"]);
      assert.equal(closed.count, 2000);
      assert.ok(closed.latencyMs.max >= 180, `closed-loop max ${closed.latencyMs.max} ms`);
      const p99 = closed.latencyMs.percentiles["p99"] as number;
      assert.ok(p99 < 100, `closed-loop p99 ${p99} ms`);
    } finally {
      await b.close();
    }
  });
});

describe("tcpkit echo --udp through a lossy, reordering path", () => {
  it("counts 10 % loss and every swapped pair exactly", async () => {
    const server = await startCli(["echo-server", "--port", "0", "--udp"]);
    const front = createSocket("udp4");
    const back = createSocket("udp4");
    try {
      await new Promise<void>((r) => front.bind(0, "127.0.0.1", r));
      await new Promise<void>((r) => back.connect(server.port, "127.0.0.1", r));
      let client: RemoteInfo | undefined;
      front.on("message", (msg, rinfo) => {
        client = rinfo;
        back.send(msg);
      });
      // On the way back: drop every 10th datagram, swap the rest in pairs.
      let n = 0;
      let heldBack: Buffer | undefined;
      back.on("message", (msg) => {
        n++;
        if (n % 10 === 0 || client === undefined) return;
        if (heldBack === undefined) {
          heldBack = msg;
          return;
        }
        front.send(msg, client.port, client.address);
        front.send(heldBack, client.port, client.address);
        heldBack = undefined;
      });
      const proxyPort = (front.address() as { port: number }).port;
      const r = await measure([
        "-p",
        String(proxyPort),
        "--udp",
        "--rate",
        "400",
        "-c",
        "200",
        "--timeout",
        "1",
      ]);
      assert.equal(r.sent, 200);
      assert.equal(r.lost, 20);
      assert.equal(r.lossPercent, 10);
      assert.equal(r.count, 180);
      assert.equal(r.reordered, 90);
      assert.equal(r.duplicates, 0);
    } finally {
      front.close();
      back.close();
      await server.stop();
    }
  });
});

describe("tcpkit echo --udp against a UDP echo that changes a datagram's header", () => {
  it("fails naming the byte when the run id of one datagram comes back changed", async () => {
    // The first 4 bytes are the run id; a datagram whose run id was changed was ignored as
    // another run's, so the change was reported as a lost datagram, exit 0.
    const server = createSocket("udp4");
    let n = 0;
    server.on("message", (msg, rinfo) => {
      if (++n === 5) msg[0] = (msg[0] as number) ^ 1;
      server.send(msg, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => server.bind(0, "127.0.0.1", r));
    try {
      const port = String((server.address() as { port: number }).port);
      const r = await runCli(["echo", "-p", port, "--udp", "--rate", "200", "-c", "20"], {
        timeoutMs: 30_000,
      });
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.stderr, "tcpkit: datagram 5: echoed byte 0 differs from the byte sent\n");
    } finally {
      server.close();
    }
  });
});

describe("tcpkit echo --udp against a UDP port that reads and never answers", () => {
  it("prints the statistics, then exits 1 as ping does when nothing came back", async () => {
    const server = createSocket("udp4");
    server.on("message", () => {});
    await new Promise<void>((r) => server.bind(0, "127.0.0.1", r));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await runCli(
        ["echo", "-p", String(port), "--udp", "--rate", "200", "-c", "10", "--timeout", "0.2"],
        { timeoutMs: 30_000 },
      );
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /10 datagrams of 64 bytes sent .*, 0 echoed/);
      assert.match(r.stdout, /loss 10 \(100\.00%\)/);
      assert.equal(r.stderr, `tcpkit: no datagram came back from 127.0.0.1:${port} (10 sent)\n`);
    } finally {
      server.close();
    }
  });
});

describe("tcpkit echo --connect-rate against a listen backlog that overflows", () => {
  it("counts every connection and shows the SYN retransmits in connect time, apart from the echo", async () => {
    let accepted = 0;
    const server = createServer({ noDelay: true }, (s) => {
      s.on("error", () => {});
      s.on("data", (c: Buffer) => s.write(c));
      s.on("end", () => s.end());
      accepted++;
      // Once, stop accepting for 400 ms (a blocked event loop): the backlog of 1 fills, and the
      // kernel drops further SYNs until the clients retransmit them (after 1 s).
      if (accepted === 20) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
    });
    await new Promise<void>((r) => server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, r));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await measure([
        "-p",
        String(port),
        "--connect-rate",
        "--connections",
        "8",
        "-c",
        "120",
      ]);
      assert.equal(r.count, 120);
      assert.equal(r.failed, 0);
      const connect = r.connectMs as Summary;
      const echo = r.firstEchoMs as Summary;
      assert.ok(connect.max >= 900, `connect max ${connect.max} ms (a SYN retransmit)`);
      assert.ok(
        (echo.percentiles["p50"] as number) < 100,
        `first echo p50 ${echo.percentiles["p50"]}`,
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

/** Starts `tcpkit echo ARGS`, waits until stdout matches `ready`, sends SIGINT, collects. */
async function interrupt(
  args: string[],
  ready: RegExp,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(CLI_RUNTIME, [CLI_PATH, "echo", ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  for (let i = 0; i < 200 && !ready.test(stdout) && child.exitCode === null; i++) await sleep(25);
  child.kill("SIGINT");
  const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  clearTimeout(killer);
  return { code, stdout, stderr };
}

describe("tcpkit echo like ping", () => {
  let server: RunningServer;
  before(async () => {
    server = await startCli(["echo-server", "--port", "0"]);
  });
  after(async () => {
    await server.stop();
  });

  it("runs until Ctrl-C with --interval and no --count, or --count 0, then prints the statistics", async () => {
    for (const args of [
      ["-i", "50ms"],
      ["-c", "0", "-i", "0.02s"],
    ]) {
      const r = await interrupt(["-p", String(server.port), ...args], /seq=3 /);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /seq=3 time=[\d.]+ ms/);
      assert.match(r.stdout, /^--- 127\.0\.0\.1:\d+ echo statistics ---$/m);
      assert.match(r.stdout, /round trips? of 64 bytes .* all verified \(stopped by Ctrl-C\)$/m);
    }
  });

  it("stops a load run on Ctrl-C and still reports", async () => {
    const r = await interrupt(
      ["-p", String(server.port), "--rate", "500", "-d", "60s", "--report-interval", "100ms"],
      /\/s/,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /open loop: .* all verified \(stopped by Ctrl-C\)$/m);
  });

  it("takes HOST PORT first, in nc's order, and -p for the port", async () => {
    const nc = await runCli(["echo", "127.0.0.1", String(server.port), "hello", "there"]);
    assert.equal(nc.code, 0, nc.stderr);
    assert.equal(nc.stdout, "Received: hello there\n");
    const stdin = await runCli(["echo", "localhost", String(server.port)], { input: "piped" });
    assert.equal(stdin.code, 0, stdin.stderr);
    assert.equal(stdin.stdout, "piped");
    const short = await runCli(["echo", "-p", String(server.port), "-c", "2", "-i", "0"]);
    assert.equal(short.code, 0, short.stderr);
  });
});

describe("tcpkit echo --bench on a terminal", () => {
  it("shows percent, amount, rate and ETA on one redrawn line, ending at 100 %", async () => {
    // A slow echo (each chunk held 5 ms) so the run lasts long enough for several redraws.
    const server = createServer({ noDelay: true }, (s) => {
      s.on("error", () => {});
      s.on("data", (c: Buffer) => {
        s.pause();
        setTimeout(() => {
          s.write(c);
          s.resume();
        }, 5);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as { port: number }).port;
      // script(1) gives the client a terminal, so it draws its progress line on stderr.
      const command = [CLI_RUNTIME, CLI_PATH, "echo", "-p", String(port), "--bench", "8M"];
      const child = spawn("script", ["-qec", command.join(" "), "/dev/null"], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
      clearTimeout(killer);
      assert.equal(code, 0, out);
      const draws = out
        .split("\r")
        .map((l) => l.replaceAll(`${String.fromCharCode(27)}[2K`, "").trim());
      const moving = draws.filter((l) =>
        /^\d+% {2}[\d.]+ [KM]iB of 8\.0 MiB {2}[\d.]+ [KM]?i?B\/s {2}ETA \d+:\d\d$/.test(l),
      );
      assert.ok(moving.length >= 1, `a progress draw with ETA in: ${JSON.stringify(draws)}`);
      assert.ok(
        draws.some((l) => /^100% {2}8\.0 MiB of 8\.0 MiB {2}[\d.]+ [KM]?i?B\/s$/.test(l)),
        out,
      );
      assert.match(
        out,
        /echoed 8 MiB \(8,388,608 bytes\) in [\d.]+ s: [\d.]+ MB\/s, [\d.]+ Gbit\/s/,
      );
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("tcpkit echo MESSAGE against a server that sends back more", () => {
  it("fails with exit 1 when extra bytes follow the echo", async () => {
    const server = createServer({ allowHalfOpen: true }, (s) => {
      s.on("error", () => {});
      s.on("data", (c: Buffer) => s.write(Buffer.concat([c, Buffer.from("EXTRA")])));
      s.on("end", () => s.end());
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = String((server.address() as { port: number }).port);
      const r = await runCli(["echo", "-p", port, "abc"]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "Received: abcEXTRA\n");
      assert.equal(r.stderr, "tcpkit: echo mismatch: 5 bytes came back after the 3 sent\n");
      const json = await runCli(["echo", "-p", port, "abc", "--json"]);
      assert.equal(json.code, 1);
      assert.equal((JSON.parse(json.stdout) as { extraBytes: number }).extraBytes, 5);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
