#!/usr/bin/env node
// npm run bench:ab -- --a DIR --b DIR: two builds of tcpkit (repository folders with dist/ built)
// compared on W1 (keep-alive 1 KiB), W2 (HTTP/1.0, ab) and W4 (404s), A and B interleaved in the
// same run, each server pinned to CPU 0 and the load to CPU 1. Besides requests per second it
// reports the server's CPU time per request (utime + stime from /proc/PID/stat), which a shared
// machine disturbs far less than throughput. Prints medians and B/A ratios.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchArgv } from "./lib/argv.mjs";
import { ab, wrk } from "./lib/load.mjs";
import { freePort, sleep, startServer, stopServer } from "./lib/proc.mjs";
import { makeFixture } from "./lib/servers.mjs";

const HELP = `Usage: node bench/ab-http.mjs --a DIR --b DIR [options]   (npm run bench:ab -- ...)

  --a DIR, --b DIR   tcpkit checkouts to compare (each with dist/ built; bin/tcpkit.js is run)
  --reps N           interleaved repetitions A, B, A, B... (default 5)
  --secs N           W1 and W4 seconds per repetition (default 3)
  --requests N       W2 requests per repetition (default 5000)
  --skip W2          workloads to leave out (W1, W2, W4)
  --env-a K=V,...    environment of A's server (also --env-b), e.g. to switch a feature off
  --flags-a "..."    extra serve flags of A's server (also --flags-b), e.g. "--metrics /metrics"
  -h, --help         this help
`;

const { option } = benchArgv(HELP);
const A = option("--a", undefined);
const B = option("--b", undefined);
if (A === undefined || B === undefined) {
  process.stderr.write("ab-http: --a DIR and --b DIR are required (see --help)\n");
  process.exit(2);
}
const REPS = Number(option("--reps", "5"));
const SECS = Number(option("--secs", "3"));
const REQUESTS = Number(option("--requests", "5000"));
const SKIP = new Set(option("--skip", "").split(",").filter(Boolean));
const envOf = (s) =>
  Object.fromEntries(
    s
      .split(",")
      .filter(Boolean)
      .map((kv) => kv.split("=")),
  );
const SIDES = [
  {
    name: "A",
    dir: path.resolve(A),
    env: envOf(option("--env-a", "")),
    flags: option("--flags-a", ""),
  },
  {
    name: "B",
    dir: path.resolve(B),
    env: envOf(option("--env-b", "")),
    flags: option("--flags-b", ""),
  },
];
const log = (t) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${t}\n`);

/** utime + stime of `pid` in microseconds. */
function cpuMicros(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(f[11]) + Number(f[12]);
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tcpkit-ab-"));
const root = path.join(tmp, "root");
makeFixture(root);
const results = { A: {}, B: {} };
const push = (side, metric, v) => (results[side][metric] ??= []).push(v);

async function measure(side, port, pid, name, load) {
  const before = cpuMicros(pid);
  const r = await load();
  const used = cpuMicros(pid) - before;
  if (r.error) return log(`${side.name} ${name}: ${r.error}`);
  const n = r.requests ?? r.complete;
  push(side.name, `${name} req/s`, r.rps);
  push(side.name, `${name} cpu µs/req`, used / n);
}

for (let rep = 1; rep <= REPS; rep++) {
  // Alternate which side goes first, so a drift in the machine's load favours neither.
  const order = rep % 2 === 1 ? SIDES : [...SIDES].reverse();
  for (const side of order) {
    const port = await freePort();
    const srv = await startServer({
      argv: [
        process.execPath,
        path.join(side.dir, "bin", "tcpkit.js"),
        "serve",
        root,
        "--port",
        String(port),
        "--log",
        "off",
        ...side.flags.split(" ").filter(Boolean),
      ],
      cpus: "0",
      port,
      logFile: path.join(tmp, `${side.name}.log`),
      env: side.env,
    });
    if (srv.error) throw new Error(`${side.name}: ${srv.error}`);
    try {
      const base = `http://127.0.0.1:${port}`;
      await wrk(`${base}/index.html`, { conns: 50, secs: 1, cpus: "1" });
      if (!SKIP.has("W1")) {
        await measure(side, port, srv.pid, "W1 keep-alive", () =>
          wrk(`${base}/index.html`, { conns: 50, secs: SECS, cpus: "1" }),
        );
      }
      if (!SKIP.has("W2")) {
        await measure(side, port, srv.pid, "W2 HTTP/1.0", () =>
          ab(`${base}/index.html`, { requests: REQUESTS, conns: 50, cpus: "1" }),
        );
      }
      if (!SKIP.has("W4")) {
        await measure(side, port, srv.pid, "W4 404", () =>
          wrk(`${base}/missing`, { conns: 50, secs: SECS, cpus: "1" }),
        );
      }
    } finally {
      await stopServer(srv);
    }
    log(`rep ${rep} ${side.name} done`);
    await sleep(300);
  }
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
console.log(`A = ${SIDES[0].dir}  B = ${SIDES[1].dir}  (${REPS} reps, Node ${process.version})`);
console.log("| metric | A median | B median | B/A |");
console.log("| --- | --- | --- | --- |");
for (const metric of Object.keys(results.A)) {
  const a = median(results.A[metric]);
  const b = median(results.B[metric] ?? [NaN]);
  const fmt = (v) => (metric.includes("cpu") ? v.toFixed(2) : Math.round(v).toString());
  console.log(`| ${metric} | ${fmt(a)} | ${fmt(b)} | ${(b / a).toFixed(3)} |`);
}
console.log("\nEvery repetition (A; B):");
for (const metric of Object.keys(results.A)) {
  const all = (side) => (results[side][metric] ?? []).map((v) => v.toFixed(1)).join(" ");
  console.log(`${metric}: ${all("A")}; ${all("B")}`);
}
fs.rmSync(tmp, { recursive: true, force: true });
