// Where a server's latency tail comes from, from the kernel's point of view: `perf record` of
// the scheduler's context switches and the server's system calls (epoll waits, reads, writes) on
// the server's and the client's CPUs, on CLOCK_MONOTONIC (the clock of bench/c/http-lat.c and
// of process.hrtime), then an analysis that puts every request, loop turn and GC pause on one
// time line. Used by bench/latency-tail.mjs.
import { spawn } from "node:child_process";
import fs from "node:fs";
import { run, sleep } from "./proc.mjs";

const SYSCALLS = [
  "epoll_wait",
  "epoll_pwait",
  "epoll_pwait2",
  "read",
  "readv",
  "recvfrom",
  "write",
  "writev",
  "sendto",
  "sendmsg",
  "sendfile64",
];
const READS = new Set(["read", "readv", "recvfrom"]);
const WRITES = new Set(["write", "writev", "sendto", "sendmsg", "sendfile64"]);

/** Kernel threads: their CPU time is the machine's own (softirq network work, RCU), not noise. */
const isKernelThread = (comm) =>
  /^(swapper|ksoftirqd|kworker|rcu|migration|kcompactd|kswapd|cpuhp|irq\/|watchdog|kdamond)/.test(
    comm,
  );

/**
 * Starts `perf record` on `cpus` into `file`: every context switch, and the system calls of
 * process `pid` only (a filter, so that perf's own work stays small); `stop()` ends it and
 * resolves with `perf script`.
 */
export async function startTrace(file, cpus, pid) {
  const args = ["record", "-q", "-m", "8M", "-k", "CLOCK_MONOTONIC", "-C", cpus, "-o", file];
  args.push("-e", "sched:sched_switch");
  for (const s of SYSCALLS) {
    const events = [`syscalls:sys_enter_${s}`];
    if (s.startsWith("epoll")) events.push(`syscalls:sys_exit_${s}`);
    for (const e of events) args.push("-e", e, "--filter", `common_pid == ${pid}`);
  }
  const perf = spawn("perf", args, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  perf.stderr.setEncoding("utf8").on("data", (d) => (err += d));
  const exited = new Promise((resolve) => perf.once("close", resolve));
  await sleep(500); // perf needs a moment before it records
  if (perf.exitCode !== null) throw new Error(`perf record failed: ${err.trim().slice(-300)}`);
  return {
    async stop() {
      perf.kill("SIGINT");
      await exited;
      const r = await run("perf", ["script", "-i", file, "-F", "tid,cpu,time,event,trace"], {
        timeoutMs: 120_000,
      });
      fs.rmSync(file, { force: true });
      if (r.code !== 0) throw new Error(`perf script failed: ${r.stderr.trim().slice(-300)}`);
      return r.stdout;
    },
  };
}

const LINE = /^\s*(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)$/;
const FD = /fd: (0x[0-9a-f]+)/;
const SWITCH = /prev_pid=(\d+) .*prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+)/;

/**
 * The time line of one run. `mainTid`: the server's event-loop thread; `ownTids`: all the
 * server's threads (GC and JIT helpers, thread pool); `clientTid`: http-lat; `requests`:
 * [sendUs, latencyUs] pairs; `gcLines`: [{ stamp, pause }] (µs, CLOCK_MONOTONIC, stamped when the
 * GC log line arrived). Returns the metrics bench/latency-tail.mjs reports.
 */
export function analyseTail({ perfText, mainTid, ownTids, clientTid, requests, gcLines }) {
  const t0 = requests[0][0];
  const t1 = Math.max(...requests.slice(-200).map(([s, l]) => s + l));
  const inWindow = (t) => t >= t0 && t <= t1;
  const turns = []; // main thread: from an epoll return to its next epoll call
  let turn = null;
  const residence = []; // [readTime, firstWriteTime] per request, matched by socket
  const readAt = new Map(); // fd -> time of the first read since its last response
  const logWrites = []; // main thread's writes to fd 1/2: where the GC log lines come from
  const noise = []; // main thread or client runnable, but another process on its CPU
  const offMain = []; // main thread runnable but off its CPU, whoever ran
  let ownPreemptUs = 0;
  const running = [null, null]; // per CPU: { tid, comm, since }
  const othersUs = [0, 0];
  const off = new Map(); // tid -> { since, byOther }
  for (const line of perfText.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    const tid = Number(m[1]);
    const cpu = Number(m[2]);
    const t = Math.round(Number(m[3]) * 1e6);
    const event = m[4];
    if (event === "sched:sched_switch") {
      const s = SWITCH.exec(m[5]);
      if (!s || cpu > 1) continue;
      const prev = Number(s[1]);
      const next = Number(s[4]);
      const nextComm = s[3];
      const r = running[cpu];
      if (r && inWindow(t) && !ownTids.has(r.tid) && r.tid !== clientTid && !isKernelThread(r.comm))
        othersUs[cpu] += t - r.since;
      running[cpu] = { tid: next, comm: nextComm, since: t };
      const byOther = !ownTids.has(next) && next !== clientTid && !isKernelThread(nextComm);
      for (const watched of [mainTid, clientTid]) {
        if (prev === watched) {
          off.set(watched, s[2].startsWith("R") ? { since: t, byOther } : null);
        } else if (next === watched && off.get(watched)) {
          const o = off.get(watched);
          if (o.byOther) noise.push([o.since, t]);
          if (watched === mainTid) {
            offMain.push([o.since, t]);
            if (!o.byOther && inWindow(t)) ownPreemptUs += t - o.since;
          }
          off.delete(watched);
        } else if (off.get(watched) && byOther) off.get(watched).byOther = true;
      }
      continue;
    }
    if (tid !== mainTid) continue;
    const name = event.replace(/^syscalls:sys_(enter|exit)_/, "");
    if (event.startsWith("syscalls:sys_exit_epoll")) {
      turn = { s: t, e: 0, reads: 0, writes: 0, firstRead: 0, firstWrite: 0 };
    } else if (event.startsWith("syscalls:sys_enter_epoll")) {
      if (turn) {
        turn.e = t;
        turns.push(turn);
      }
      turn = null;
    } else if (name === "write" && /fd: 0x0*[12]\b/.test(m[5])) {
      logWrites.push(t);
    } else if (turn && READS.has(name)) {
      turn.reads++;
      turn.firstRead ||= t;
      const fd = FD.exec(m[5])?.[1];
      if (fd !== undefined && !readAt.has(fd)) readAt.set(fd, t);
    } else if (turn && WRITES.has(name)) {
      turn.writes++;
      turn.firstWrite ||= t;
      const fd = FD.exec(m[5])?.[1];
      if (fd !== undefined && readAt.has(fd)) {
        residence.push([readAt.get(fd), t]);
        readAt.delete(fd);
      }
    }
  }
  // Each GC pause ends at the main thread's last log write before its line arrived.
  const gcs = [];
  let w = 0;
  for (const g of gcLines) {
    while (w + 1 < logWrites.length && logWrites[w + 1] <= g.stamp) w++;
    const end = logWrites[w];
    if (end !== undefined && end <= g.stamp && g.stamp - end < 20_000 && inWindow(end))
      gcs.push([end - g.pause, end]);
  }
  const offIn = overlapSum(offMain);
  const gcEnds = gcs.map(([, e]) => e).sort((a, b) => a - b);
  const inTurns = turns.filter((x) => inWindow(x.s));
  for (const x of inTurns) {
    x.onCpu = x.e - x.s - offIn(x.s, x.e);
    x.gc = gcEnds.some((e) => e >= x.s && e <= x.e);
  }
  const withIo = inTurns.filter((x) => x.writes > 0);
  // a request's time in the server: from the read that brought it to its response's first write,
  // time switched out subtracted
  const stay = residence.filter(([r]) => inWindow(r));
  const stayTimes = sorted(stay.map(([r, wr]) => wr - r - offIn(r, wr)));
  const turnTimes = sorted(inTurns.map((x) => x.onCpu));
  // a turn's first read to its first write, time switched out subtracted
  const readToWrite = sorted(
    withIo
      .filter((x) => x.firstRead)
      .map((x) => x.firstWrite - x.firstRead - offIn(x.firstRead, x.firstWrite)),
  );
  const turnP99 = q(turnTimes, 0.99);
  const slowTurns = inTurns.filter((x) => x.onCpu >= turnP99);
  // requests: raw latency, minus the time others held the server's or the client's CPU, and
  // also minus the GC pauses in flight
  const noiseIn = overlapSum(merge(noise));
  const gcIn = overlapSum(gcs);
  const lat = sorted(requests.map(([, l]) => l));
  const p99 = q(lat, 0.99);
  const corrected = requests.map(([s, l]) => l - noiseIn(s, s + l));
  const noGc = requests.map(([s, l], i) => corrected[i] - gcIn(s, s + l));
  const slowest = requests.filter(([, l]) => l >= p99);
  const secs = (t1 - t0) / 1e6;
  return {
    othersCpuPct: othersUs.map((u) => round((u / (t1 - t0)) * 100, 1)),
    p99CorrectedUs: q(sorted(corrected), 0.99),
    p999CorrectedUs: q(sorted(corrected), 0.999),
    p99CorrectedNoGcUs: q(sorted(noGc), 0.99),
    serverTimeP50Us: q(stayTimes, 0.5),
    serverTimeP99Us: q(stayTimes, 0.99),
    serverTimeP99WithoutGcUs: q(
      sorted(stay.filter(([r, wr]) => gcIn(r, wr) === 0).map(([r, wr]) => wr - r - offIn(r, wr))),
      0.99,
    ),
    turnsPerSec: Math.round(inTurns.length / secs),
    writesPerTurn: q(sorted(withIo.map((x) => x.writes)), 0.5),
    turnOnCpuP50Us: q(turnTimes, 0.5),
    turnOnCpuP99Us: turnP99,
    turnOnCpuP99WithoutGcUs: q(sorted(inTurns.filter((x) => !x.gc).map((x) => x.onCpu)), 0.99),
    readToFirstWriteP50Us: q(readToWrite, 0.5),
    readToFirstWriteP99Us: q(readToWrite, 0.99),
    gcPerSec: round(gcs.length / secs, 1),
    gcPauseP50Us: q(sorted(gcs.map(([s, e]) => e - s)), 0.5),
    gcPauseMaxUs: Math.max(0, ...gcs.map(([s, e]) => e - s)),
    turnsWithGcPct: round((inTurns.filter((x) => x.gc).length / inTurns.length) * 100, 2),
    slowestTurnsWithGcPct: round(
      (slowTurns.filter((x) => x.gc).length / slowTurns.length) * 100,
      1,
    ),
    requestsDuringGcPct: round(
      (requests.filter(([s, l]) => gcIn(s, s + l) > 0).length / requests.length) * 100,
      2,
    ),
    slowestRequestsDuringGcPct: round(
      (slowest.filter(([s, l]) => gcIn(s, s + l) > 0).length / slowest.length) * 100,
      1,
    ),
    ownThreadsMsPerSec: round(ownPreemptUs / 1000 / secs, 2),
  };
}

/** Merges overlapping [start, end] intervals. */
function merge(intervals) {
  const out = [];
  for (const iv of [...intervals].sort((a, b) => a[0] - b[0])) {
    const last = out.at(-1);
    if (last && iv[0] <= last[1]) last[1] = Math.max(last[1], iv[1]);
    else out.push([...iv]);
  }
  return out;
}

/** (a, b) => how much of [a, b] the given intervals cover (counted once per interval). */
function overlapSum(intervals) {
  const s = [...intervals].sort((x, y) => x[0] - y[0]);
  const longest = Math.max(0, ...s.map(([a, b]) => b - a));
  return (a, b) => {
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid][0] + longest < a) lo = mid + 1;
      else hi = mid;
    }
    let n = 0;
    for (let i = lo; i < s.length && s[i][0] < b; i++)
      n += Math.max(0, Math.min(s[i][1], b) - Math.max(s[i][0], a));
    return n;
  };
}

const sorted = (values) => [...values].sort((a, b) => a - b);
const q = (values, p) =>
  values.length
    ? Math.round(values[Math.min(values.length - 1, Math.floor(values.length * p))])
    : 0;
const round = (v, d) => Number(v.toFixed(d));
