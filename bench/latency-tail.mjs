#!/usr/bin/env node
// Where the keep-alive p99 comes from. Runs W1 (50 keep-alive connections GETting the 1 KiB
// file, server on CPU 0, client on CPU 1) with a client that records every request
// (bench/c/http-lat.c), the server's GC logged (Node: --trace-gc; Bun: BUN_JSC_logGC=1), and
// `perf record` of both CPUs' context switches and the server's system calls. It then reports,
// per server and runtime: the latency percentiles; p99 with the shared machine's noise removed
// (each request's latency minus the time another process held the server's or the client's CPU
// while it was in flight) and also without the GC pauses in flight; the server's loop turns
// measured on CPU (epoll return to next epoll call, time switched out subtracted); how long the
// first request read in a turn waits for its response to start; GC frequency and pauses; how
// many of the slowest 1 % of requests a GC pause touched; and the time the server's own helper
// threads (GC, JIT) took its single core. Needs perf (Debian: linux-perf), wrk and gcc; root or
// perf_event_paranoid <= -1 for the syscall tracepoints.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { benchArgv } from "./lib/argv.mjs";
import { cBinary, wrk } from "./lib/load.mjs";
import { freePort, run, sleep, startServer, stopServer, treePids, waitQuiet } from "./lib/proc.mjs";
import { median } from "./lib/report.mjs";
import { benchRuntimes, expandRows, rowInfo, runtimeHelp } from "./lib/runtime-rows.mjs";
import { analyseTail, startTrace } from "./lib/sched-trace.mjs";
import { makeFixture, REPO, SERVERS } from "./lib/servers.mjs";

const HELP = `Usage: node bench/latency-tail.mjs [options]

  --only a,b     servers (default nginx,tcpkit,node-net): ${SERVERS.map((s) => s.name).join(", ")}
  ${runtimeHelp(17)}; here the
                 node-net baseline also runs on each runtime (the runtime's own floor)
  --reps N       repetitions, interleaved (default 3); medians are reported
  --secs N       measured seconds per run (default 5), after a 2 s wrk warm-up
  --quiet-max N  before each run wait up to N s until the machine is < 15% busy (default 60)
  --out DIR      results directory (default bench/results)
  -h, --help     this help
`;
const { argv, option } = benchArgv(HELP);
const ONLY = option("--only", "nginx,tcpkit,node-net").split(",").filter(Boolean);
const REPS = Number(option("--reps", "3"));
const SECS = Number(option("--secs", "5"));
const QUIET_MAX = Number(option("--quiet-max", "60"));
const OUT = path.resolve(option("--out", path.join(REPO, "bench", "results")));
const log = (text) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
function fail(text, code = 1) {
  process.stderr.write(`latency-tail: ${text}\n`);
  process.exit(code);
}
if (!Number.isInteger(REPS) || REPS < 1 || REPS > 20) fail("--reps must be 1..20", 2);
if (!(SECS >= 1 && SECS <= 60)) fail("--secs must be 1..60", 2);
for (const n of ONLY) if (!SERVERS.some((s) => s.name === n)) fail(`unknown server '${n}'`, 2);
for (const tool of ["perf", "wrk", "gcc", "taskset"])
  if ((await run("sh", ["-c", `command -v ${tool}`])).code !== 0)
    fail(`${tool} is required (apt-get install linux-perf wrk gcc util-linux)`);

let runtimes;
try {
  runtimes = benchRuntimes(option("--runtime", "node24"), log);
} catch (err) {
  fail(err.message, 2);
}
const defs = ONLY.map((n) => SERVERS.find((s) => s.name === n)).map((d) =>
  d.name === "node-net" ? { ...d, runs: "tcpkit" } : d,
);
const rows = expandRows(defs, runtimes, () => "native");

/** The server's command with its GC logged: --trace-gc on Node, BUN_JSC_logGC on Bun. */
function withGcLog(row, ctx, port) {
  const cmd = row.def.argv(ctx, port, row.rt);
  if (row.rt === undefined) return { argv: cmd, env: row.def.env };
  if (row.rt.name === "bun") return { argv: cmd, env: { ...row.def.env, BUN_JSC_logGC: "1" } };
  return { argv: [cmd[0], "--trace-gc", ...cmd.slice(1)], env: row.def.env };
}

/** A GC pause from one log line, in µs, or undefined. */
function gcPause(line) {
  const v8 = /(Scavenge|Mark-Compact|Minor|Mark-Sweep).* ([\d.]+) \/ [\d.]+ ms/i.exec(line);
  if (v8) return Number(v8[2]) * 1000;
  const jsc = /\bp=([\d.]+)ms/.exec(line); // JSC: one "... p=0.86ms (max ...)" line per collection
  return jsc ? Number(jsc[1]) * 1000 : undefined;
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

async function runOnce(rep, row, ctx) {
  const busy = await waitQuiet(QUIET_MAX, 15);
  const port = await freePort();
  log(`rep ${rep}: ${row.server} on ${row.runtime} on :${port} (machine ${busy}% busy before)`);
  const gcLines = [];
  let recording = false;
  const { argv: cmd, env } = withGcLog(row, ctx, port);
  const srv = await startServer({
    argv: cmd,
    env,
    cpus: "0",
    port,
    logFile: path.join(ctx.tmp, `${row.key}.log`),
    onLine: (line) => {
      const pause = recording ? gcPause(line) : undefined;
      if (pause !== undefined) gcLines.push({ stamp: monotonicUs(), pause });
    },
  });
  if (srv.error) return log(`${row.key}: ${srv.error}`);
  try {
    await wrk(`http://127.0.0.1:${port}/index.html`, { conns: 50, secs: 2, cpus: "1" });
    const pids = treePids(srv.pid);
    // nginx serves from its worker, the master's child; the others from their main thread
    const mainTid = row.server === "nginx" ? pids[pids.length - 1] : srv.pid;
    const trace = await startTrace(path.join(ctx.tmp, "perf.data"), "0,1", mainTid);
    recording = true;
    const latFile = path.join(ctx.tmp, "requests.txt");
    const client = spawn(
      "taskset",
      ["-c", "1", ctx.httpLat, String(port), "50", String(SECS), "/index.html", latFile],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    client.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    client.stderr.setEncoding("utf8").on("data", (d) => (out += d));
    const code = await new Promise((resolve) => client.once("close", resolve));
    await sleep(300); // the last GC lines
    recording = false;
    const ownTids = new Set();
    for (const pid of treePids(srv.pid)) {
      try {
        for (const t of fs.readdirSync(`/proc/${pid}/task`)) ownTids.add(Number(t));
      } catch {
        // gone
      }
    }
    const perfText = await trace.stop();
    if (code !== 0) return log(`${row.key}: http-lat failed: ${out.trim().slice(-200)}`);
    const kv = Object.fromEntries(
      out
        .trim()
        .split("\n")
        .find((l) => l.startsWith("RESULT "))
        .slice(7)
        .split(" ")
        .map((p) => p.split("="))
        .map(([k, v]) => [k, Number(v)]),
    );
    const requests = fs
      .readFileSync(latFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" ").map(Number));
    const m = analyseTail({
      perfText,
      mainTid,
      ownTids,
      clientTid: client.pid,
      requests,
      gcLines,
    });
    const result = { rps: kv.rps, p50Us: kv.p50_us, p99Us: kv.p99_us, p999Us: kv.p999_us, ...m };
    log(`${row.key}: ${JSON.stringify(result)}`);
    return result;
  } finally {
    await stopServer(srv);
  }
}

const COLUMNS = [
  ["rps", "req/s"],
  ["p50Us", "p50 µs"],
  ["p99Us", "p99 µs"],
  ["p99CorrectedUs", "p99, noise removed"],
  ["p99CorrectedNoGcUs", "p99, noise and GC removed"],
  ["serverTimeP50Us", "in server p50"],
  ["serverTimeP99Us", "in server p99"],
  ["turnOnCpuP50Us", "turn on CPU p50"],
  ["turnOnCpuP99Us", "turn p99"],
  ["writesPerTurn", "writes/turn"],
  ["readToFirstWriteP99Us", "1st read → 1st write p99"],
  ["gcPerSec", "GC/s"],
  ["gcPauseP50Us", "GC pause p50"],
  ["requestsDuringGcPct", "requests in a GC %"],
  ["slowestRequestsDuringGcPct", "slowest 1 % in a GC %"],
  ["ownThreadsMsPerSec", "own helper threads ms/s"],
  ["othersCpuPct", "others' CPU % (server, client)"],
];

async function main() {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tcpkit-tail-"));
  fs.chmodSync(tmp, 0o755); // nginx's worker reads the docroot as an unprivileged user
  const ctx = { tmp, root: path.join(tmp, "site"), node: runtimes.node, httpLat: "" };
  try {
    makeFixture(ctx.root);
    ctx.httpLat = await cBinary("http-lat");
    const raw = {};
    for (let rep = 1; rep <= REPS; rep++) {
      for (const row of rows) {
        const r = await runOnce(rep, row, ctx);
        if (r) (raw[row.key] ??= []).push(r);
      }
    }
    const lines = [
      `${new Date().toISOString()} · ${os.availableParallelism()} CPUs · Linux ${os.release()} · command: node bench/latency-tail.mjs ${argv.join(" ")}`,
      `W1 (50 keep-alive connections, 1 KiB file), ${SECS} s per run after a 2 s warm-up, ${REPS} repetitions, medians; server on CPU 0, http-lat on CPU 1; times in µs.`,
      "",
      `| server | runtime | ${COLUMNS.map(([, h]) => h).join(" | ")} |`,
      `| --- | --- | ${COLUMNS.map(() => "---:").join(" | ")} |`,
    ];
    for (const row of rows) {
      const rs = raw[row.key] ?? [];
      const cell = ([k]) =>
        k === "othersCpuPct"
          ? `${median(rs.map((r) => r[k][0]))}, ${median(rs.map((r) => r[k][1]))}`
          : String(median(rs.map((r) => r[k])) ?? "–");
      lines.push(`| ${row.server} | ${row.runtime} | ${COLUMNS.map(cell).join(" | ")} |`);
    }
    const text = lines.join("\n") + "\n";
    process.stdout.write(`\n${text}`);
    fs.mkdirSync(OUT, { recursive: true });
    const file = path.join(OUT, `tail-${stamp}`);
    fs.writeFileSync(`${file}.md`, text);
    fs.writeFileSync(
      `${file}.json`,
      JSON.stringify(
        { command: argv, secs: SECS, reps: REPS, rows: rows.map(rowInfo), raw },
        null,
        2,
      ),
    );
    log(`results: ${file}.{md,json}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => fail(err.stack ?? String(err)));
