/**
 * `tcpkit serve --workers N|auto`: worker processes share one port, the primary prints one
 * readiness line, replaces a worker that dies, stops them all on SIGTERM, and reports a bind
 * error once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli, startCli, startServe } from "../support/cli.js";
import { exchange } from "../support/raw-socket.js";

const ROOT = mkdtempSync(join(tmpdir(), "tcpkit-workers-"));
const BODY = "served by a worker\n";
writeFileSync(join(ROOT, "index.html"), BODY);

/** PIDs whose parent is `pid` (read from /proc). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === pid && fields[0] !== "Z") out.push(Number(entry));
    } catch {
      // exited while listing
    }
  }
  return out.sort((a, b) => a - b);
}

/** Polls `check` every 50 ms for at most `ms`; resolves with its last value. */
async function waitFor<T>(check: () => T, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = check();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    v = check();
  }
  return v;
}

async function getIndex(port: number): Promise<string> {
  const r = await exchange(
    port,
    ["GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
    {
      quietMs: 5000,
    },
  );
  return r.data.toString("latin1");
}

describe("tcpkit serve --workers", () => {
  it("runs N workers on one port, prints one readiness line, stops them all on SIGTERM", async () => {
    const s = await startCli(
      ["serve", ROOT, "--port", "0", "--allowed-hosts", "any", "--workers", "2", "--log", "off"],
      {
        timeoutMs: 20_000,
      },
    );
    const pid = s.child.pid as number;
    let workers: number[] = [];
    try {
      workers = await waitFor(
        () => childPids(pid),
        (w) => w.length === 2,
      );
      assert.equal(workers.length, 2);
      for (let i = 0; i < 6; i++) {
        const text = await getIndex(s.port);
        assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
        assert.ok(text.endsWith(`\r\n\r\n${BODY}`));
      }
    } finally {
      const r = await s.stop("SIGTERM");
      assert.equal(r.code, 0);
      assert.equal(r.stdout.match(/listening on/g)?.length, 1);
      assert.equal(r.stderr, "");
    }
    const left = await waitFor(
      () => workers.filter((w) => childPids(pid).includes(w) || existsProc(w)),
      (l) => l.length === 0,
    );
    assert.deepEqual(left, []);
  });

  it("keeps every access-log line whole on a piped stdout, whatever the workers write at once", async () => {
    // Two processes writing one pipe: a write over PIPE_BUF (4 KiB) can be split by the other's.
    // Long lines (a 3,000-byte User-Agent) in 64 KiB batches, from both workers at once.
    const s = await startCli(
      ["serve", ROOT, "--port", "0", "--workers", "2", "--log", "combined"],
      {
        timeoutMs: 20_000,
      },
    );
    const ua = "U".repeat(3000);
    const request = `GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ${ua}\r\n\r\n`;
    const PER_CONNECTION = 300;
    try {
      await Promise.all(
        Array.from({ length: 16 }, () =>
          exchange(s.port, [request.repeat(PER_CONNECTION)], { quietMs: 2000 }),
        ),
      );
    } finally {
      const r = await s.stop("SIGTERM");
      assert.equal(r.code, 0);
      const lines = r.stdout.split("\n").filter((l) => l !== "" && !/ listening on /.test(l));
      const line = new RegExp(
        `^127\\.0\\.0\\.1 - - \\[[^\\]]+\\] "GET /index\\.html HTTP/1\\.1" 200 ${BODY.length} "-" "${ua}"$`,
      );
      const torn = lines.filter((l) => !line.test(l));
      assert.deepEqual(
        torn.map((l) => `${l.slice(0, 60)}... (${l.length} chars)`),
        [],
        `${torn.length} of ${lines.length} lines torn`,
      );
      assert.ok(lines.length >= 500, `${lines.length} lines logged`);
    }
  });

  it("replaces a worker that dies and keeps serving", async () => {
    const s = await startCli(
      ["serve", ROOT, "--port", "0", "--allowed-hosts", "any", "--workers", "2", "--log", "off"],
      {
        timeoutMs: 20_000,
      },
    );
    const pid = s.child.pid as number;
    try {
      const before = await waitFor(
        () => childPids(pid),
        (w) => w.length === 2,
      );
      const victim = before[0] as number;
      process.kill(victim, "SIGKILL");
      const after = await waitFor(
        () => childPids(pid),
        (w) => w.length === 2 && !w.includes(victim),
      );
      assert.equal(after.length, 2);
      assert.ok(!after.includes(victim));
      // the replacement is in the rotation: every request still gets the file
      for (let i = 0; i < 4; i++) assert.match(await getIndex(s.port), /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(s.stderr(), new RegExp(`worker ${victim} exited \\(signal SIGKILL\\)`));
    } finally {
      assert.equal((await s.stop("SIGTERM")).code, 0);
    }
  });

  it("reports a port in use in one line and exits 1", async () => {
    const s = await startServe(ROOT);
    try {
      const r = await runCli(["serve", ROOT, "--port", String(s.port), "--workers", "2"], {
        timeoutMs: 20_000,
      });
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `tcpkit: cannot listen on 127.0.0.1:${s.port}: address already in use\n`,
      );
      assert.equal(r.stdout, "");
    } finally {
      await s.stop();
    }
  });

  it("--workers auto starts one worker per CPU", async () => {
    const cpus = availableParallelism();
    const s = await startCli(
      ["serve", ROOT, "--port", "0", "--allowed-hosts", "any", "--workers", "auto", "--log", "off"],
      {
        timeoutMs: 20_000,
      },
    );
    try {
      // one CPU: auto means a single process, no primary
      const want = cpus > 1 ? cpus : 0;
      const kids = await waitFor(
        () => childPids(s.child.pid as number),
        (w) => w.length === want,
      );
      assert.equal(kids.length, want);
      assert.match(await getIndex(s.port), /^HTTP\/1\.1 200 OK\r\n/);
    } finally {
      assert.equal((await s.stop("SIGTERM")).code, 0);
    }
  });

  for (const bad of ["0", "two", "-1", "1000"]) {
    it(`rejects --workers ${bad} as a usage error`, async () => {
      const r = await runCli(["serve", ROOT, "--port", "0", `--workers=${bad}`]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^tcpkit: --workers must be/);
      assert.equal(r.stderr.split("\n").length, 2);
    });
  }
});

function existsProc(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
