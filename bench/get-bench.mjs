#!/usr/bin/env node
// npm run bench:get: tcpkit get beside curl, wget and aria2c, downloading from one nginx on
// loopback in the same run. G1: one 1 GiB file (tcpkit get with 1 connection against curl and
// wget; tcpkit get -x 4 against aria2c -x4 -s4). G2: 100 files of 1 KiB over one connection
// (tcpkit get URL... and --pipeline against wget -i, curl and aria2c -i). Clients run in turn
// within each repetition (interleaved), nginx pinned to CPU 0 and the client to CPU 1; every
// download is checked (size, and SHA-256 of G1's file in the first repetition). Prints a
// Markdown table (medians, ratios, peak client RSS) and writes it with the raw figures as JSON
// under bench/results/.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchArgv } from "./lib/argv.mjs";
import { saveResults } from "./lib/report.mjs";
import { nginxArgv, sha256File, writeSeededFile } from "./lib/servers.mjs";
import {
  freePort,
  settle,
  sleep,
  startServer,
  statusKib,
  stopServer,
  treeStatusKib,
} from "./lib/proc.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(HERE);
const HELP = `Usage: node bench/get-bench.mjs [options]   (npm run bench:get)

  --quick        about a minute: G1 with 256 MiB, 1 repetition
  --reps N       repetitions (default 3; quick 1); medians are reported
  --only a,b     clients to run (default all): tcpkit, tcpkit-x4, curl, wget, aria2c-x4,
                 tcpkit-100, tcpkit-100-pipeline, tcpkit-start, wget-100, curl-100, aria2c-100
  --quiet-max N  before each run, wait up to N s until the machine is < 15% busy (default 20)
  --dir DIR      where downloads are written (default: a folder in the OS temp dir)
  --out DIR      results directory (default bench/results)
  -h, --help     this help

Needs nginx, curl, wget, aria2c and taskset; a missing client is skipped with a note. With
perf installed, each client's CPU time (user + system, perf stat's task-clock) is reported too:
on a shared machine it moves far less than the wall-clock time. Run it under
flock /tmp/tcpkit-bench.lock on a shared machine.
`;

const { flag, option } = benchArgv(HELP);
const quick = flag("--quick");
const reps = Number(option("--reps", quick ? 1 : 3));
const quietMax = Number(option("--quiet-max", quick ? 5 : 20));
const outDir = path.resolve(option("--out", path.join(HERE, "results")));
const BIG = (quick ? 256 : 1024) * 1024 * 1024;
const SMALL_COUNT = 100;
const SERVER_CPU = "0";
const CLIENT_CPU = "1";
const NODE = process.execPath;
const TCPKIT = path.join(REPO, "bin", "tcpkit.js");

const log = (text) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);

if (!fs.existsSync(path.join(REPO, "dist/cli/main.js"))) {
  process.stderr.write("get-bench: build first (npm run build)\n");
  process.exit(1);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tcpkit-get-bench-"));
const root = path.join(tmp, "www");
const work = path.resolve(option("--dir", path.join(tmp, "downloads")));
fs.mkdirSync(path.join(root, "small"), { recursive: true });
fs.mkdirSync(work, { recursive: true });

// --- fixture: a seeded pseudo-random big file (nothing compresses it) and 100 small ones ----
log(`writing the fixture: ${BIG >> 20} MiB and ${SMALL_COUNT} x 1 KiB`);
const bigHash = writeSeededFile(path.join(root, "big.bin"), BIG);
for (let i = 0; i < SMALL_COUNT; i++) {
  fs.writeFileSync(path.join(root, "small", `f${i}.bin`), crypto.randomBytes(1024));
}
const listFile = path.join(tmp, "urls.txt");

// --- nginx --------------------------------------------------------------------------------------
const nginxFiles = (dir, port) => nginxArgv(dir, port, { root, tag: "bench/get-bench.mjs" });

// --- clients --------------------------------------------------------------------------------------
/** G1 clients: argv for downloading URL into FILE. */
const BIG_CLIENTS = [
  { name: "tcpkit", tool: NODE, argv: (url, file) => [NODE, TCPKIT, "get", "-q", "-o", file, url] },
  {
    name: "tcpkit-x4",
    tool: NODE,
    argv: (url, file) => [NODE, TCPKIT, "get", "-q", "-x", "4", "-o", file, url],
  },
  { name: "curl", tool: "curl", argv: (url, file) => ["curl", "-sS", "-o", file, url] },
  { name: "wget", tool: "wget", argv: (url, file) => ["wget", "-q", "-O", file, url] },
  {
    name: "aria2c-x4",
    tool: "aria2c",
    argv: (url, file) => [
      "aria2c",
      "-q",
      "-x4",
      "-s4",
      "--min-split-size=1M",
      "--allow-overwrite=true",
      "--auto-file-renaming=false",
      "-d",
      path.dirname(file),
      "-o",
      path.basename(file),
      url,
    ],
  },
];

/** G2 clients: argv for downloading every URL of `urls` (also in listFile) into the cwd. */
const SMALL_CLIENTS = [
  { name: "tcpkit-100", tool: NODE, argv: (urls) => [NODE, TCPKIT, "get", "-q", ...urls] },
  {
    name: "tcpkit-100-pipeline",
    tool: NODE,
    argv: () => [NODE, TCPKIT, "get", "-q", "--pipeline", "-i", listFile],
  },
  // The process start alone, for reading the rows above: what is left is the per-file cost.
  { name: "tcpkit-start", tool: NODE, noFiles: true, argv: () => [NODE, TCPKIT, "get", "--help"] },
  { name: "wget-100", tool: "wget", argv: () => ["wget", "-q", "-i", listFile] },
  { name: "curl-100", tool: "curl", argv: (urls) => ["curl", "-sS", "--remote-name-all", ...urls] },
  {
    name: "aria2c-100",
    tool: "aria2c",
    // One connection to the server, as the others: -j1 (one download at a time), keep-alive on.
    argv: () => ["aria2c", "-q", "-j1", "-x1", "--auto-file-renaming=false", "-i", listFile],
  },
];

const only = option("--only", "");
const notes = [];
const have = (tool) =>
  tool === NODE ||
  (process.env.PATH ?? "").split(":").some((dir) => fs.existsSync(path.join(dir, tool)));
const pick = (clients) =>
  clients
    .filter((c) => only === "" || only.split(",").includes(c.name))
    .filter((c) => {
      if (have(c.tool)) return true;
      notes.push(`${c.tool} not installed: ${c.name} skipped`);
      return false;
    });
const bigClients = pick(BIG_CLIENTS);
const smallClients = pick(SMALL_CLIENTS);

const PERF = have("perf");
if (!PERF) notes.push("perf not installed: no CPU-time column");

/**
 * Runs argv pinned to the client CPU in `cwd`, with a 10-minute bound; resolves with wall
 * seconds, exit code, peak RSS (VmHWM, sampled every 20 ms while it runs) and, with perf, the
 * CPU milliseconds the client used (children included).
 */
function timed(argv, cwd) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const perfOut = path.join(tmp, "perf-stat.csv");
    const pinned = ["taskset", "-c", CLIENT_CPU, ...argv];
    const [exe, ...args] = PERF
      ? ["perf", "stat", "-x", ",", "-e", "task-clock", "-o", perfOut, "--", ...pinned]
      : pinned;
    const child = spawn(exe, args, {
      cwd,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    let peak = 0;
    const sampler = setInterval(() => {
      // Under perf, the client's tree is what perf started, not perf itself.
      const rss = treeStatusKib(child.pid, "VmHWM");
      peak = Math.max(peak, PERF ? rss - statusKib(child.pid, "VmHWM") : rss);
    }, 20);
    const killer = setTimeout(() => child.kill("SIGKILL"), 600_000);
    child.once("close", (code) => {
      clearInterval(sampler);
      clearTimeout(killer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({
        seconds,
        code,
        rssKib: peak,
        cpuMs: perfCpuMs(perfOut),
        stderr: stderr.trim().slice(0, 300),
      });
    });
  });
}

/** task-clock milliseconds from perf stat's CSV output (NaN without perf or on a failure). */
function perfCpuMs(file) {
  if (!PERF) return NaN;
  const line =
    fs
      .readFileSync(file, "utf8")
      .split("\n")
      .find((l) => l.includes("task-clock")) ?? "";
  return Number(line.split(",")[0]);
}

function emptyDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
}

// --- run ------------------------------------------------------------------------------------------
const port = await freePort();
const nginx = await startServer({
  argv: nginxFiles(path.join(tmp, "nginx"), port),
  cpus: SERVER_CPU,
  port,
  logFile: path.join(tmp, "nginx.log"),
});
if (nginx.error !== undefined) {
  process.stderr.write(`get-bench: nginx: ${nginx.error}\n`);
  process.exit(1);
}
const base = `http://127.0.0.1:${port}`;
const smallUrls = Array.from({ length: SMALL_COUNT }, (_, i) => `${base}/small/f${i}.bin`);
fs.writeFileSync(listFile, `${smallUrls.join("\n")}\n`);

const results = {};
const record = (name, r) => (results[name] ??= []).push(r);
try {
  for (let rep = 1; rep <= reps; rep++) {
    for (const client of bigClients) {
      emptyDir(work);
      await settle(quietMax);
      const file = path.join(work, "big.bin");
      const r = await timed(client.argv(`${base}/big.bin`, file), work);
      const size = fs.existsSync(file) ? fs.statSync(file).size : -1;
      const ok = r.code === 0 && size === BIG && (rep > 1 || sha256File(file) === bigHash);
      record(client.name, { ...r, ok });
      log(
        `G1 rep ${rep} ${client.name}: ${r.seconds.toFixed(2)} s, ${r.rssKib >> 10} MiB${ok ? "" : ` FAILED ${r.stderr}`}`,
      );
    }
    for (const client of smallClients) {
      emptyDir(work);
      await settle(quietMax);
      const r = await timed(client.argv(smallUrls), work);
      const ok =
        r.code === 0 &&
        (client.noFiles === true ||
          smallUrls.every(
            (_, i) =>
              fs.statSync(path.join(work, `f${i}.bin`), { throwIfNoEntry: false })?.size === 1024,
          ));
      record(client.name, { ...r, ok });
      log(
        `G2 rep ${rep} ${client.name}: ${r.seconds.toFixed(3)} s${ok ? "" : ` FAILED ${r.stderr}`}`,
      );
    }
  }
} finally {
  await stopServer(nginx);
  emptyDir(work);
}

// --- report ---------------------------------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = Object.fromEntries(
  Object.entries(results).map(([name, runs]) => [
    name,
    {
      seconds: median(runs.map((r) => r.seconds)),
      cpuMs: median(runs.map((r) => r.cpuMs)),
      rssMiB: Math.max(...runs.map((r) => r.rssKib)) / 1024,
      failed: runs.filter((r) => !r.ok).length,
      runs: runs.map((r) => Number(r.seconds.toFixed(4))),
    },
  ]),
);
const ratio = (a, b) =>
  summary[a] && summary[b] ? `${(summary[b].seconds / summary[a].seconds).toFixed(2)}x` : "n/a";
const cpuRatio = (a, b) =>
  summary[a] && summary[b] && PERF ? `${(summary[b].cpuMs / summary[a].cpuMs).toFixed(2)}x` : "n/a";
const perFile = (name, start) =>
  summary[name]
    ? (
        ((summary[name].seconds - (start ? (summary[start]?.seconds ?? 0) : 0)) * 1000) /
        SMALL_COUNT
      ).toFixed(2)
    : "n/a";
const mbps = (name) => (BIG / 1e6 / summary[name].seconds).toFixed(0);
const lines = [
  `### tcpkit get beside curl, wget and aria2c (${new Date().toISOString().slice(0, 10)}, ${reps} rep${reps > 1 ? "s" : ""}, medians)`,
  "",
  `nginx 1 worker (sendfile) on CPU ${SERVER_CPU}, each client on CPU ${CLIENT_CPU}, loopback, downloads to ${work}; Node ${process.versions.node}.`,
  "",
  `G1: one ${BIG >> 20} MiB file`,
  "",
  "| client | seconds | MB/s | peak RSS MiB | failed |",
  "| ------ | ------: | ---: | -----------: | -----: |",
  ...Object.keys(summary)
    .filter((n) => BIG_CLIENTS.some((c) => c.name === n))
    .map(
      (n) =>
        `| ${n} | ${summary[n].seconds.toFixed(2)} | ${mbps(n)} | ${summary[n].rssMiB.toFixed(0)} | ${summary[n].failed} |`,
    ),
  "",
  `tcpkit (1 connection) / curl: ${ratio("tcpkit", "curl")} · tcpkit / wget: ${ratio("tcpkit", "wget")} · tcpkit -x 4 / aria2c -x4: ${ratio("tcpkit-x4", "aria2c-x4")} (speed ratios: > 1 means tcpkit is faster)`,
  "",
  `G2: ${SMALL_COUNT} files of 1 KiB, one connection (process start included)`,
  "",
  "| client | seconds | files/s | CPU ms | peak RSS MiB | failed |",
  "| ------ | ------: | ------: | -----: | -----------: | -----: |",
  ...Object.keys(summary)
    .filter((n) => SMALL_CLIENTS.some((c) => c.name === n))
    .map(
      (n) =>
        `| ${n} | ${summary[n].seconds.toFixed(3)} | ${(SMALL_COUNT / summary[n].seconds).toFixed(0)} | ${summary[n].cpuMs.toFixed(1)} | ${summary[n].rssMiB.toFixed(0)} | ${summary[n].failed} |`,
    ),
  "",
  `tcpkit / wget -i: ${ratio("tcpkit-100", "wget-100")} · tcpkit --pipeline / wget -i: ${ratio("tcpkit-100-pipeline", "wget-100")} · per file after start-up: tcpkit ${perFile("tcpkit-100", "tcpkit-start")} ms, wget ${perFile("wget-100")} ms`,
  `CPU time, wget -i / tcpkit: ${cpuRatio("tcpkit-100", "wget-100")} (> 1 means tcpkit used less)`,
  ...notes.map((n) => `\nNote: ${n}`),
  "",
];
const report = lines.join("\n");
process.stdout.write(report);
saveResults(outDir, "get", report, {
  bigBytes: BIG,
  reps,
  node: process.versions.node,
  summary,
  results,
});
fs.rmSync(tmp, { recursive: true, force: true });
await sleep(0);
