/**
 * `tcpkit serve` under the attacks of issue 18, each a regression test: TLS handshakes that never
 * finish, clients that never read, a stalled access-log reader, running out of file
 * descriptors. The built CLI is spawned; figures come from its /proc entries.
 */
import assert from "node:assert/strict";
import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readdirSync,
  writeFileSync,
} from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { processMemory, startCli, startServe, type RunningServer } from "../support/cli.js";
import { CLI_RUNTIME_NAME } from "../support/runtime.js";
import { makeSelfSignedCert } from "../support/tls-cert.js";
import { runTool } from "../support/tools.js";

const ROOT = mkdtempSync(join(tmpdir(), "tcpkit-attacks-"));
writeFileSync(join(ROOT, "a.txt"), "hello\n");
// A sparse 1 GiB file: no client here reads more than its kernel buffers hold.
const big = openSync(join(ROOT, "big.bin"), "w");
ftruncateSync(big, 1024 ** 3);
closeSync(big);
const MIB = 1024 * 1024;

/** Open descriptors of a process (Linux /proc). */
function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Resolves true once `check()` holds, polling every 50 ms, false after `ms`. */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

describe("serve over TLS: handshakes that never finish (issue 18 #1)", () => {
  let s: RunningServer;
  let tlsFlags: string[];
  before(async () => {
    const { cert, key } = await makeSelfSignedCert(ROOT);
    tlsFlags = ["--tls-cert", cert, "--tls-key", key];
    s = await startServe(ROOT, ...tlsFlags, "--head-timeout", "1", "--max-connections", "20");
  });
  after(() => s.stop());

  it("closes silent and half-record handshakes within the head timeout, serving real clients meanwhile", async () => {
    const socks: Socket[] = [];
    const closedAt: number[] = [];
    const start = Date.now();
    // Twice the connection limit: the silent, then a TLS record header's first 4 bytes.
    for (let i = 0; i < 40; i++) {
      const sock = await open(s.port);
      sock.on("error", () => {});
      sock.on("close", () => closedAt.push(Date.now() - start));
      sock.resume();
      if (i % 2 === 1) sock.write(Buffer.from([0x16, 0x03, 0x01, 0x02]));
      socks.push(sock);
    }
    // A real client gets in while they are held (an unfinished handshake gives up its slot).
    const r = await runTool("curl", ["-sSk", "-m", "5", `https://127.0.0.1:${s.port}/a.txt`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), "hello\n");
    // Every one is closed by the server within head-timeout plus a sweep (bounded here by 6 s).
    assert.ok(await eventually(() => closedAt.length === 40, 6000), `${closedAt.length} closed`);
    for (const sock of socks) sock.destroy();
  });

  it("keeps no socket of a client that closes before the handshake (no CLOSE-WAIT)", async () => {
    // A server of its own with a 60 s head timeout: the client's FIN, not that timeout, must
    // free the socket, and a loaded machine gets 10 s for it (with the 1 s head timeout above,
    // the bound was 800 ms).
    const quiet = await startServe(ROOT, ...tlsFlags, "--head-timeout", "60");
    try {
      const pid = quiet.child.pid as number;
      const baseline = fdCount(pid);
      // A port scan or a load balancer's TCP check: connect, then close at once.
      for (let i = 0; i < 100; i++) {
        const sock = await open(quiet.port);
        sock.on("error", () => {});
        sock.end();
      }
      assert.ok(
        await eventually(() => fdCount(pid) <= baseline + 2, 10_000),
        `${fdCount(pid) - baseline} descriptors held`,
      );
    } finally {
      await quiet.stop();
    }
  });
});

describe("serve: clients that never read their download (issue 18 #8)", () => {
  let s: RunningServer;
  before(async () => {
    s = await startServe(ROOT);
  });
  after(() => s.stop());

  // Run on Bun too, but not met there (Bun 1.4.5: 54-99 KiB per stalled download, Node 29-40).
  // Bun's node:net copies the tail of a write the kernel refused into a native buffer of its own
  // (oven-sh/bun#35940, open), so the chunk written is dead at once and freed only when
  // JavaScriptCore collects: a forced Bun.gc(true) took 400 stalled downloads from 27.8 to
  // 15.2 MiB of external memory. Tried and not kept: queueing one cautious chunk instead of two
  // (writableLength 32 KiB instead of 64 at the stall; RSS unchanged, 58-72 KiB), 16 KiB cautious
  // chunks (no change), Bun.gc(false) per MiB of dropped chunks (no change), and Bun.gc(true)
  // per MiB (31-61 KiB, but a ~20 ms full collection per 32 stalled clients: an attacker's lever).
  // Nor runtime-tuning's full collection paced by 16 MiB of RSS growth, fed by stalled writes
  // (59-92 KiB: the resident size hardly falls after it).
  // 2026-12-05: 48-104 KiB over 13 runs (Node 24: 28-33), bimodal by whether JavaScriptCore
  // collected before the measure; releasing the spare chunk at a not-yet-reading client's stall
  // did not move it (48-99 KiB).
  const onBun =
    CLI_RUNTIME_NAME === "bun" ? "Bun copies refused socket writes: oven-sh/bun#35940" : false;
  it(
    "costs under 100 KiB more per stalled download than per idle connection (400 of each)",
    { todo: onBun },
    async () => {
      // Full size, measured for issue 18 #8: 2,000 stalled downloads +82 MiB (+246 MiB before).
      const pid = s.child.pid as number;
      const socks: Socket[] = [];
      /** Opens `n` connections asking for `path`, reading nothing more than the stream's buffer
       * (the kernel's fill, then stall); resolves with the RSS once settled (at most 10 s). */
      const hold = async (n: number, path: string): Promise<number> => {
        for (let i = 0; i < n; i++) {
          const sock = await open(s.port);
          sock.on("error", () => {});
          sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
          sock.pause();
          socks.push(sock);
        }
        let last = -1;
        for (let t = 0; t < 40; t++) {
          await new Promise((r) => setTimeout(r, 250));
          const rss = await processMemory(pid);
          if (t >= 4 && Math.abs(rss - last) < 512 * 1024) return rss;
          last = rss;
        }
        return last;
      };
      const n = 400;
      // The first 200 warm the heap up (its young generation grows with any load).
      const warm = await hold(200, "/a.txt");
      const idle = await hold(n, "/a.txt");
      const stalled = await hold(n, "/big.bin");
      for (const sock of socks) sock.destroy();
      const extra = stalled - idle - (idle - warm);
      // The bound: under 200 MiB for 2,000 stalled downloads, 100 KiB each (the fault
      // held 256 KiB each). Measured 2026-12-05: Node 24 28-33 KiB, Node 22 64-72 KiB (this
      // test's old 64 KiB bound failed there in 5 of 12 runs, before and after that day's
      // changes alike), Bun 48-104 KiB.
      assert.ok(
        extra < n * 100 * 1024,
        `stalled +${((stalled - idle) / MIB).toFixed(1)} MiB, idle +${((idle - warm) / MIB).toFixed(1)} MiB for ${n}`,
      );
    },
  );
});

describe("serve: an access-log reader that stops reading (issue 18 #5)", () => {
  // On Bun, process.stdout on a pipe reports writableLength 0 whatever it holds: the log counts
  // its queue from the write callbacks too (cli/access-log.ts).
  it("keeps memory bounded, drops lines, counts them and says so once (64 MiB of lines)", async () => {
    const s = await startCli(["serve", ROOT, "--port", "0", "--allowed-hosts", "any"]);
    try {
      await stalledReader(s);
    } finally {
      await s.stop("SIGKILL");
    }
  });
});

async function stalledReader(s: RunningServer): Promise<void> {
  const pid = s.child.pid as number;
  s.child.stdout!.pause(); // the reader stalls: the pipe fills, then the server's queue
  const before = await processMemory(pid);
  // 16,000 requests with 4 KiB targets: 64 MiB of log lines.
  const n = 16000;
  const target = `/a.txt?${"x".repeat(4096)}`;
  const r = await runTool("ab", [
    "-q",
    "-k",
    "-n",
    `${n}`,
    "-c",
    "4",
    `http://127.0.0.1:${s.port}${target}`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const grown = (await processMemory(pid)) - before;
  s.child.stdout!.resume();
  // Once the reader has caught up, the server says how many lines it dropped.
  const said = /^tcpkit: access log: (\d+) lines dropped: its reader did not keep up$/m;
  assert.ok(await eventually(() => said.test(s.stderr()), 5000), s.stderr());
  const dropped = Number(said.exec(s.stderr())?.[1]);
  const logged = (): number =>
    s
      .stdout()
      .split("\n")
      .filter((l) => l.includes('"GET /a.txt?')).length;
  await eventually(() => logged() + dropped === n, 5000);
  assert.equal(logged() + dropped, n, `${logged()} logged, ${dropped} dropped`);
  const { stderr } = await s.stop();
  assert.equal(stderr.split("\n").filter((l) => l.includes("dropped")).length, 1, stderr);
  // The stream holds 1 MiB at most; the rest is the heap's growth under any load.
  assert.ok(grown < 32 * MIB, `+${(grown / MIB).toFixed(1)} MiB`);
}

describe("serve: the access log of downloads cut short by the client (issue 18 #9)", () => {
  it("logs every response once, with the bytes sent, not the file's size", async () => {
    const s = await startCli(["serve", ROOT, "--port", "0", "--allowed-hosts", "any"]);
    try {
      const received: number[] = [];
      // Eight downloads of the 1 GiB file, each dropped after its first MiB or so.
      for (let i = 0; i < 8; i++) {
        const sock = await open(s.port);
        sock.on("error", () => {});
        sock.write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
        let got = 0;
        await new Promise<void>((resolve) => {
          sock.on("data", (c: Buffer) => {
            got += c.length;
            if (got >= MIB) {
              sock.resetAndDestroy();
              resolve();
            }
          });
        });
        received.push(got);
      }
      const lines = (): string[] =>
        s
          .stdout()
          .split("\n")
          .filter((l) => l.includes("/big.bin"));
      await eventually(() => lines().length >= 8, 5000);
      await new Promise((r) => setTimeout(r, 300)); // a second line per response would show
      const logged = lines();
      assert.equal(logged.length, 8, logged.join("\n"));
      for (const line of logged) {
        const m = /" 200 (\d+)$/.exec(line);
        assert.ok(m !== null, line);
        const bytes = Number(m[1]);
        // At least the head-less part the client got; never the whole 1 GiB.
        assert.ok(bytes >= MIB - 1024 && bytes < 64 * MIB, line);
      }
    } finally {
      await s.stop("SIGKILL");
    }
  });
});
