/**
 * Black-box tests of `tcpkit echo-server`: the built CLI, driven over real sockets by this
 * process and by foreign clients (ncat, nc).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { processMemory, runCli, startCli, type RunningServer } from "../support/cli.js";
import { exchange, openSocket } from "../support/raw-socket.js";

/** Sends `data`, half-closes, and collects the echo until the server closes. */
async function echoOnce(port: number, data: Buffer, host = "127.0.0.1"): Promise<Buffer> {
  const r = await exchange(port, [data], { host, endAfterWrite: true, quietMs: 10_000 });
  assert.equal(r.closed, true, "server closes after echoing a half-closed connection");
  return r.data;
}

/** Resolves when the socket closes; with the bytes it received. */
function collectUntilClose(socket: Socket): Promise<{ data: Buffer; error: string | undefined }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code));
    socket.on("close", () => resolve({ data: Buffer.concat(chunks), error }));
  });
}

function runTool(
  cmd: string,
  args: string[],
  input: Buffer,
): Promise<{ code: number | null; stdout: Buffer }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"] });
    const out: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out) });
    });
    child.stdin.end(input);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("tcpkit echo-server", () => {
  let server: RunningServer;
  before(async () => {
    server = await startCli(["echo-server", "--port", "0"]);
  });
  after(async () => {
    await server.stop();
  });

  it("prints one readiness line with the real port", () => {
    assert.match(server.line, /^tcpkit echo-server: listening on tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(server.port, 0);
  });

  it("gets the listen backlog it asks for (4,096, or the kernel's somaxconn), on Bun too", async () => {
    // Bun listens with 512 whatever it is asked; net/bun-backlog.ts asks again. The kernel's own
    // figure (ss: Send-Q of a listening socket) is what a burst of connects meets.
    const somaxconn = Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8"));
    const ss = await runTool("ss", ["-Hltn", `sport = :${server.port}`], Buffer.alloc(0));
    const fields = ss.stdout.toString().trim().split(/\s+/);
    assert.equal(Number(fields[2]), Math.min(4096, somaxconn), ss.stdout.toString());
  });

  it("echoes all 256 byte values exactly, then closes after the client's half-close", async () => {
    const all = Buffer.alloc(256 * 4);
    for (let i = 0; i < all.length; i++) all[i] = i % 256;
    const got = await echoOnce(server.port, all);
    assert.ok(got.equals(all), "every byte value comes back in order");
  });

  it("echoes a 64 MiB stream intact while the client writes and reads at once", async () => {
    const total = 64 * 1024 * 1024;
    const block = randomBytes(1024 * 1024);
    const socket = await openSocket(server.port);
    const sentHash = createHash("sha256");
    const gotHash = createHash("sha256");
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      socket.on("data", (c: Buffer) => {
        gotHash.update(c);
        received += c.length;
      });
      socket.on("error", reject);
      socket.on("close", () => resolve());
    });
    for (let sent = 0, i = 0; sent < total; i++) {
      // Vary each MiB so a reordered or repeated block would change the hash.
      const chunk = Buffer.from(block);
      chunk.writeUInt32BE(i, 0);
      sentHash.update(chunk);
      sent += chunk.length;
      if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r));
    }
    socket.end();
    await done;
    assert.equal(received, total);
    assert.equal(gotHash.digest("hex"), sentHash.digest("hex"));
  });

  it("gives each of 200 concurrent clients its own bytes back", async () => {
    const payloads = Array.from({ length: 200 }, (_, i) => {
      const b = randomBytes(2048);
      b.writeUInt16BE(i, 0);
      return b;
    });
    const results = await Promise.all(payloads.map((p) => echoOnce(server.port, p)));
    results.forEach((got, i) => assert.ok(got.equals(payloads[i] as Buffer), `client ${i}`));
  });

  it("after a half-close sends back everything received, then closes", async () => {
    const socket = await openSocket(server.port);
    const result = collectUntilClose(socket);
    socket.write("first part, ");
    await sleep(50);
    socket.end("and the last part before FIN");
    const { data, error } = await result;
    assert.equal(error, undefined);
    assert.equal(data.toString(), "first part, and the last part before FIN");
  });

  it("keeps serving a connection while 100 other clients reset abruptly", async () => {
    const steady = await openSocket(server.port);
    const steadyResult = collectUntilClose(steady);
    steady.write("before ");
    for (let i = 0; i < 100; i++) {
      const s = await openSocket(server.port);
      s.on("error", () => {});
      s.write(randomBytes(100_000));
      s.resetAndDestroy();
    }
    steady.end("after");
    const { data } = await steadyResult;
    assert.equal(data.toString(), "before after");
    const fresh = await echoOnce(server.port, Buffer.from("still serving"));
    assert.equal(fresh.toString(), "still serving");
  });

  it("is driven by ncat and by nc (half-close on end of input)", async () => {
    const input = randomBytes(300_000);
    const ncat = await runTool("ncat", ["127.0.0.1", String(server.port)], input);
    assert.equal(ncat.code, 0);
    assert.ok(ncat.stdout.equals(input), "ncat gets its input back");
    const nc = await runTool("nc", ["-N", "127.0.0.1", String(server.port)], input);
    assert.equal(nc.code, 0);
    assert.ok(nc.stdout.equals(input), "nc gets its input back");
  });
});

describe("tcpkit echo-server backpressure", () => {
  it("does not grow by 64 MiB when a client sends 256 MiB and reads nothing", async () => {
    const server = await startCli(["echo-server", "--port", "0"]);
    try {
      const pid = server.child.pid as number;
      const before = await processMemory(pid, "VmRSS");
      const socket = await openSocket(server.port);
      socket.on("error", () => {});
      socket.pause(); // reads nothing
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const deadline = Date.now() + 20_000;
      while (sent < 256 * 1024 * 1024 && Date.now() < deadline) {
        sent += chunk.length;
        if (!socket.write(chunk)) {
          const drained = await Promise.race([
            new Promise<boolean>((r) => socket.once("drain", () => r(true))),
            sleep(1500).then(() => false),
          ]);
          if (!drained) break; // the server stopped reading: backpressure reached us
        }
      }
      const peak = await processMemory(pid, "VmHWM");
      socket.destroy();
      assert.ok(sent < 256 * 1024 * 1024, `the client was held back (sent ${sent} bytes)`);
      const growth = peak - before;
      assert.ok(growth < 64 * 1024 * 1024, `server grew by ${(growth / 1048576).toFixed(1)} MiB`);
      const again = await echoOnce(server.port, Buffer.from("ok"));
      assert.equal(again.toString(), "ok");
    } finally {
      await server.stop();
    }
  });
});

describe("tcpkit echo-server options", () => {
  it("refuses connections over --max-connections at once and counts them", async () => {
    const server = await startCli(["echo-server", "--port", "0", "--max-connections", "2"]);
    const a = await openSocket(server.port);
    const b = await openSocket(server.port);
    // Both are accepted and echo (so the server has counted them).
    for (const s of [a, b]) {
      s.write("x");
      await new Promise((r) => s.once("data", r));
    }
    const c = await openSocket(server.port);
    const third = await collectUntilClose(c);
    assert.equal(third.data.length, 0, "the third connection is closed without an echo");
    a.destroy();
    b.destroy();
    // Once the server has seen both closes there is room again (bounded wait: 10 s).
    let refusedMeanwhile = 0;
    let later: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 100; i++) {
      await sleep(100);
      later = (await exchange(server.port, ["room again"], { endAfterWrite: true, quietMs: 5000 }))
        .data;
      if (later.length > 0) break;
      refusedMeanwhile++;
    }
    assert.equal(later.toString(), "room again");
    const stopped = await server.stop("SIGTERM");
    assert.equal(stopped.code, 0);
    assert.match(
      stopped.stderr,
      new RegExp(` 3 connections served, ${1 + refusedMeanwhile} refused over --max-connections, `),
    );
  });

  it("closes a connection idle for --idle-timeout, not one that keeps talking", async () => {
    const server = await startCli(["echo-server", "--port", "0", "--idle-timeout", "1"]);
    try {
      const idle = await openSocket(server.port);
      const idleClosed = collectUntilClose(idle);
      const busy = await openSocket(server.port);
      const busyResult = collectUntilClose(busy);
      const started = Date.now();
      // The busy client talks every 50 ms for about 2 s: two idle timeouts' worth (a loaded
      // machine would have to stall this process for a whole second to break it).
      for (let i = 0; i < 40; i++) {
        busy.write("b");
        await sleep(50);
      }
      const closedIdle = await Promise.race([
        idleClosed.then(() => true),
        sleep(10_000).then(() => false),
      ]);
      assert.ok(closedIdle, "the idle connection was closed");
      assert.ok(!busy.destroyed, "the busy connection is still open");
      busy.end();
      const { data } = await busyResult;
      assert.equal(data.toString(), "b".repeat(40));
      assert.ok(Date.now() - started >= 1000);
      const stopped = await server.stop();
      assert.match(stopped.stderr, / 1 closed idle;/);
    } finally {
      await server.stop();
    }
  });

  it("with --verbose prints Handling client IP:PORT and the byte count on close", async () => {
    const server = await startCli(["echo-server", "--port", "0", "--verbose"]);
    const socket = await openSocket(server.port);
    const localPort = socket.localPort as number;
    const result = collectUntilClose(socket);
    socket.end("12345");
    await result;
    await sleep(100);
    const { code, stdout } = await server.stop();
    assert.equal(code, 0);
    assert.match(stdout, new RegExp(`^Handling client 127\\.0\\.0\\.1:${localPort}$`, "m"));
    assert.match(
      stdout,
      new RegExp(
        `^Closed client 127\\.0\\.0\\.1:${localPort}: 5 bytes received, 5 sent, [\\d.]+ s$`,
        "m",
      ),
    );
  });

  it("with --verbose keeps serving, with one stderr line, after its stdout reader has gone", async () => {
    const server = await startCli(["echo-server", "--port", "0", "--verbose"]);
    // Like `tcpkit echo-server -v | head -1`: head has exited, every later write is EPIPE.
    server.child.stdout?.destroy();
    for (const text of ["one", "two", "three"]) {
      const socket = await openSocket(server.port);
      const result = collectUntilClose(socket);
      socket.end(text);
      assert.equal((await result).data.toString(), text);
    }
    const { code, stderr } = await server.stop();
    assert.equal(code, 0, stderr);
    const warnings = stderr.split("\n").filter((line) => line.includes("stdout closed"));
    assert.deepEqual(warnings, ["tcpkit: echo-server: stdout closed (write EPIPE); still serving"]);
  });

  it("shows IPv4 clients of a dual-stack (::) server plainly, without ::ffff:", async () => {
    const server = await startCli(["echo-server", "--host", "::", "--port", "0", "--verbose"]);
    const socket = await openSocket(server.port, "127.0.0.1");
    const localPort = socket.localPort as number;
    const result = collectUntilClose(socket);
    socket.end("v4");
    assert.equal((await result).data.toString(), "v4");
    await sleep(100);
    const { stdout } = await server.stop();
    assert.match(stdout, new RegExp(`^Handling client 127\\.0\\.0\\.1:${localPort}$`, "m"));
    assert.doesNotMatch(stdout, /ffff/);
  });

  it("on SIGTERM stops accepting, finishes open connections, prints totals, exits 0", async () => {
    const server = await startCli(["echo-server", "--port", "0"]);
    const socket = await openSocket(server.port);
    const result = collectUntilClose(socket);
    socket.write("in flight");
    await new Promise((r) => socket.once("data", r));
    const stopped = await server.stop("SIGTERM");
    const { data, error } = await result;
    assert.equal(stopped.code, 0);
    assert.equal(error, undefined, "closed with a FIN, not a reset");
    assert.equal(data.toString(), "in flight");
    assert.match(
      stopped.stderr,
      /^tcpkit echo-server: stopped; 1 connections served, 0 refused over --max-connections, 0 closed idle; 9 bytes received, 9 bytes echoed\n$/,
    );
    await assert.rejects(openSocket(server.port), /ECONNREFUSED/);
  });

  it("listens on IPv6 loopback with --host ::1", async () => {
    const server = await startCli(["echo-server", "--host", "::1", "--port", "0"]);
    try {
      assert.match(server.line, /listening on tcp:\/\/\[::1\]:\d+$/);
      const got = await echoOnce(server.port, Buffer.from("v6"), "::1");
      assert.equal(got.toString(), "v6");
    } finally {
      await server.stop();
    }
  });

  it("reports a port in use on one line, exit 1", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(["echo-server", "--port", String(port)]);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `tcpkit: cannot listen on 127.0.0.1:${port}: address already in use\n`,
      );
    } finally {
      blocker.close();
    }
  });

  it("rejects bad flag values with exit 2", async () => {
    for (const args of [
      ["--port", "70000"],
      ["--max-connections", "0"],
      ["--idle-timeout", "soon"],
      ["extra"],
    ]) {
      const r = await runCli(["echo-server", ...args]);
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(r.stderr.trim().split("\n").length, 1);
      assert.match(r.stderr, /^tcpkit: /);
    }
  });
});

describe("tcpkit echo-server --udp", () => {
  it("echoes datagrams, but not from well-known service ports or from its own port", async () => {
    const server = await startCli(["echo-server", "--port", "0", "--udp"]);
    try {
      assert.match(server.line, /and udp:\/\/127\.0\.0\.1:\d+$/);
      const ask = async (
        bindAddress: string,
        bindPort: number,
        payload: string,
        waitMs = 700,
      ): Promise<string | null> => {
        const sock = createSocket("udp4");
        await new Promise<void>((r) => sock.bind(bindPort, bindAddress, r));
        try {
          const reply = new Promise<string>((r) =>
            sock.once("message", (m: Buffer) => r(m.toString())),
          );
          sock.send(payload, server.port, "127.0.0.1");
          return await Promise.race([reply, sleep(waitMs).then(() => null)]);
        } finally {
          sock.close();
        }
      };
      // Generous waits where a reply is due; 700 ms where none may come.
      assert.equal(await ask("127.0.0.1", 0, "ping", 5000), "ping");
      // Port 19 (chargen) would answer back forever; 127.0.0.3 avoids any real service.
      assert.equal(await ask("127.0.0.3", 19, "from chargen"), null);
      assert.equal(await ask("127.0.0.3", 7, "from echo"), null);
      // A twin echo service on this machine, same port, another loopback address.
      assert.equal(await ask("127.0.0.2", server.port, "from myself"), null);
      assert.equal(await ask("127.0.0.1", 0, "still answers", 5000), "still answers");
      const stopped = await server.stop();
      assert.match(
        stopped.stderr,
        /udp: 2 datagrams echoed \(17 bytes\), 3 refused by the reflection guard/,
      );
    } finally {
      await server.stop();
    }
  });
});
