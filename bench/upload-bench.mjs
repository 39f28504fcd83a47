#!/usr/bin/env node
// npm run bench:upload: issue 14's speed target, in one run. One `tcpkit serve --upload` on
// loopback; a 1 GiB file uploaded with `tcpkit put` and the same file downloaded with
// `tcpkit get` from the same server, and curl -T / curl -o beside them as the peer, interleaved
// in every repetition (the order reversed every other one), the server pinned to CPU 0 and the
// client to CPU 1. Every transfer is
// checked (size; SHA-256 in the first repetition). Reports MiB/s both ways, the ratio put/get
// (target >= 0.8) and the server's RSS growth during the upload (target < 64 MiB: sampled
// VmRSS every 20 ms, minus its value just before). Prints a Markdown table and writes it with
// the raw figures as JSON under bench/results/.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchArgv } from "./lib/argv.mjs";
import { saveResults } from "./lib/report.mjs";
import { sha256File, tcpkitServeArgs, writeSeededFile } from "./lib/servers.mjs";
import { freePort, settle, startServer, stopServer, treeStatusKib } from "./lib/proc.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(HERE);
const HELP = `Usage: node bench/upload-bench.mjs [options]   (npm run bench:upload)

  --quick        about half a minute: 256 MiB, 1 repetition
  --reps N       repetitions (default 3; quick 1); medians are reported
  --size MIB     file size in MiB (default 1024; quick 256)
  --dir DIR      where the server's tree, the source and the download live (default: a folder
                 in /dev/shm when it exists, so that the disk does not decide; else the OS temp
                 dir). The upload is fsynced by the server; the download is not by get.
  --quiet-max N  before each transfer, wait up to N s until the machine is < 15% busy (default 20)
  --out DIR      results directory (default bench/results)
  -h, --help     this help

Needs taskset. Bounded: each transfer is killed after 10 minutes. Run it under
flock /tmp/tcpkit-bench.lock on a shared machine.
`;

const { flag, option } = benchArgv(HELP);
const quick = flag("--quick");
const reps = Number(option("--reps", quick ? 1 : 3));
const sizeMiB = Number(option("--size", quick ? 256 : 1024));
const quietMax = Number(option("--quiet-max", quick ? 5 : 20));
const outDir = path.resolve(option("--out", path.join(HERE, "results")));
const SIZE = sizeMiB * 1024 * 1024;
const SERVER_CPU = "0";
const CLIENT_CPU = "1";
const NODE = process.execPath;
const TCPKIT = path.join(REPO, "bin", "tcpkit.js");
const TRANSFER_LIMIT_MS = 600_000;

const log = (text) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);

if (!fs.existsSync(path.join(REPO, "dist/cli/main.js"))) {
  process.stderr.write("upload-bench: build first (npm run build)\n");
  process.exit(1);
}
if (!Number.isInteger(sizeMiB) || sizeMiB < 1 || !Number.isInteger(reps) || reps < 1) {
  process.stderr.write("upload-bench: --size and --reps take whole numbers above 0\n");
  process.exit(2);
}

const base = option("--dir", fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir());
const tmp = fs.mkdtempSync(path.join(base, "tcpkit-upload-bench-"));
const root = path.join(tmp, "www");
const work = path.join(tmp, "work");
const state = path.join(tmp, "state");
fs.mkdirSync(root);
fs.mkdirSync(work);

log(`writing the fixture: ${sizeMiB} MiB in ${tmp}`);
const source = path.join(tmp, "source.bin");
const sourceHash = writeSeededFile(source, SIZE);
// What get downloads: the same bytes, already on the server.
fs.copyFileSync(source, path.join(root, "served.bin"));

/**
 * Runs argv pinned to the client CPU; resolves with wall seconds, exit code, the client's peak
 * RSS and the server's VmRSS growth over the run (peak sampled every 20 ms minus its start).
 */
function timed(argv, serverPid) {
  return new Promise((resolve) => {
    const serverBefore = treeStatusKib(serverPid, "VmRSS");
    let serverPeak = serverBefore;
    let clientPeak = 0;
    const started = process.hrtime.bigint();
    const child = spawn("taskset", ["-c", CLIENT_CPU, ...argv], {
      cwd: work,
      env: { ...process.env, TCPKIT_STATE_DIR: state },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const sampler = setInterval(() => {
      serverPeak = Math.max(serverPeak, treeStatusKib(serverPid, "VmRSS"));
      clientPeak = Math.max(clientPeak, treeStatusKib(child.pid, "VmHWM"));
    }, 20);
    const killer = setTimeout(() => child.kill("SIGKILL"), TRANSFER_LIMIT_MS);
    child.once("close", (code) => {
      clearInterval(sampler);
      clearTimeout(killer);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({
        seconds,
        code,
        clientRssMiB: clientPeak / 1024,
        serverGrowthMiB: (serverPeak - serverBefore) / 1024,
        stderr: stderr.trim().slice(0, 300),
      });
    });
  });
}

const port = await freePort();
const server = await startServer({
  argv: [
    NODE,
    ...tcpkitServeArgs(root, port, [
      "--log",
      "off",
      "--upload",
      "--max-upload-bytes",
      String(SIZE + 1),
    ]),
  ],
  cpus: SERVER_CPU,
  port,
  logFile: path.join(tmp, "serve.log"),
});
if (server.error !== undefined) {
  process.stderr.write(`upload-bench: tcpkit serve: ${server.error}\n`);
  process.exit(1);
}
const url = `http://127.0.0.1:${port}`;

const DIRECTIONS = {
  put: {
    argv: () => [NODE, TCPKIT, "put", "-q", source, `${url}/uploaded.bin`],
    before: () => fs.rmSync(path.join(root, "uploaded.bin"), { force: true }),
    result: () => path.join(root, "uploaded.bin"),
  },
  get: {
    argv: () => [
      NODE,
      TCPKIT,
      "get",
      "-q",
      "-o",
      path.join(work, "downloaded.bin"),
      `${url}/served.bin`,
    ],
    before: () => fs.rmSync(path.join(work, "downloaded.bin"), { force: true }),
    result: () => path.join(work, "downloaded.bin"),
  },
  // The peer, to tell the client's share from the server's: curl -T and curl -o, same server.
  "curl-T": {
    tool: "curl",
    argv: () => ["curl", "-sS", "-f", "-T", source, "-o", "/dev/null", `${url}/uploaded.bin`],
    before: () => fs.rmSync(path.join(root, "uploaded.bin"), { force: true }),
    result: () => path.join(root, "uploaded.bin"),
  },
  "curl-o": {
    tool: "curl",
    argv: () => ["curl", "-sS", "-f", "-o", path.join(work, "downloaded.bin"), `${url}/served.bin`],
    before: () => fs.rmSync(path.join(work, "downloaded.bin"), { force: true }),
    result: () => path.join(work, "downloaded.bin"),
  },
};
const haveCurl = (process.env.PATH ?? "")
  .split(":")
  .some((dir) => fs.existsSync(path.join(dir, "curl")));
const names = Object.keys(DIRECTIONS).filter((n) => DIRECTIONS[n].tool === undefined || haveCurl);

const results = Object.fromEntries(names.map((n) => [n, []]));
try {
  for (let rep = 1; rep <= reps; rep++) {
    // Interleaved, the order reversed every other repetition.
    const order = rep % 2 === 1 ? names : [...names].reverse();
    for (const name of order) {
      const direction = DIRECTIONS[name];
      direction.before();
      await settle(quietMax);
      const r = await timed(direction.argv(), server.pid);
      const file = direction.result();
      const size = fs.existsSync(file) ? fs.statSync(file).size : -1;
      const ok = r.code === 0 && size === SIZE && (rep > 1 || sha256File(file) === sourceHash);
      results[name].push({ ...r, ok, mibps: sizeMiB / r.seconds });
      log(
        `rep ${rep} ${name}: ${r.seconds.toFixed(2)} s, ${(sizeMiB / r.seconds).toFixed(0)} MiB/s, server RSS +${r.serverGrowthMiB.toFixed(1)} MiB, client peak ${r.clientRssMiB.toFixed(0)} MiB${ok ? "" : ` FAILED ${r.stderr}`}`,
      );
    }
  }
} finally {
  await stopServer(server);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = Object.fromEntries(
  Object.entries(results).map(([name, runs]) => [
    name,
    {
      mibps: median(runs.map((r) => r.mibps)),
      seconds: median(runs.map((r) => r.seconds)),
      serverGrowthMiB: Math.max(...runs.map((r) => r.serverGrowthMiB)),
      clientRssMiB: Math.max(...runs.map((r) => r.clientRssMiB)),
      failed: runs.filter((r) => !r.ok).length,
      runs: runs.map((r) => Number(r.seconds.toFixed(3))),
    },
  ]),
);
const ratio = summary.put.mibps / summary.get.mibps;
const growth = summary.put.serverGrowthMiB;
const lines = [
  `### tcpkit put beside tcpkit get (${new Date().toISOString().slice(0, 10)}, ${reps} rep${reps > 1 ? "s" : ""}, medians)`,
  "",
  `One tcpkit serve --upload on CPU ${SERVER_CPU}, the client on CPU ${CLIENT_CPU}, loopback, ${sizeMiB} MiB, files in ${base}; Node ${process.versions.node}.`,
  "",
  "| direction | seconds | MiB/s | server RSS growth MiB (max) | client peak RSS MiB | failed |",
  "| --------- | ------: | ----: | --------------------------: | ------------------: | -----: |",
  ...names.map(
    (n) =>
      `| ${DIRECTIONS[n].tool === undefined ? `tcpkit ${n}` : n.replace("-", " -")} | ${summary[n].seconds.toFixed(2)} | ${summary[n].mibps.toFixed(0)} | ${summary[n].serverGrowthMiB.toFixed(1)} | ${summary[n].clientRssMiB.toFixed(0)} | ${summary[n].failed} |`,
  ),
  "",
  `${haveCurl ? `curl -T / curl -o: ${(summary["curl-T"].mibps / summary["curl-o"].mibps).toFixed(2)}x · tcpkit put / curl -T: ${(summary.put.mibps / summary["curl-T"].mibps).toFixed(2)}x · ` : "curl not installed: no peer rows · "}tcpkit put / tcpkit get: ${ratio.toFixed(2)}x (target >= 0.8: ${ratio >= 0.8 ? "met" : "NOT met"}) · server RSS growth during the upload: ${growth.toFixed(1)} MiB (target < 64: ${growth < 64 ? "met" : "NOT met"})`,
  "",
];
const report = lines.join("\n");
process.stdout.write(report);
saveResults(outDir, "upload", report, {
  bytes: SIZE,
  reps,
  dir: base,
  node: process.versions.node,
  summary,
  results,
});
fs.rmSync(tmp, { recursive: true, force: true });
process.exitCode = names.some((n) => summary[n].failed > 0) ? 1 : 0;
