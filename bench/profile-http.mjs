#!/usr/bin/env node
// Profiles tcpkit serve under one benchmark workload: runs the built server with
// `node --cpu-prof` pinned to CPU 0, loads it from CPU 1 (W1: wrk keep-alive 1 KiB; W2: ab
// HTTP/1.0; W4: wrk 404s), stops it with SIGTERM so the profile is written, and prints
// bench/cpuprofile-summary.mjs's tables. Usage:
//   node bench/profile-http.mjs W1|W2|W4 [--secs N] [--out DIR] [-- extra serve flags]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ab, wrk } from "./lib/load.mjs";
import { freePort, run, sleep, startServer, stopServer } from "./lib/proc.mjs";
import { makeFixture, REPO, tcpkitServeArgs } from "./lib/servers.mjs";

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const extra = dash >= 0 ? argv.slice(dash + 1) : ["--log", "off"];
const own = dash >= 0 ? argv.slice(0, dash) : argv;
const workload = own[0] ?? "W1";
const secs = Number(own[own.indexOf("--secs") + 1]) || 10;
const out = path.resolve(
  own.includes("--out") ? own[own.indexOf("--out") + 1] : path.join(REPO, "bench", "results"),
);
if (!["W1", "W2", "W4"].includes(workload)) {
  process.stderr.write(
    "usage: node bench/profile-http.mjs W1|W2|W4 [--secs N] [--out DIR] [-- serve flags]\n",
  );
  process.exit(2);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tcpkit-profile-"));
try {
  const root = path.join(tmp, "site");
  makeFixture(root);
  const port = await freePort();
  const profDir = path.join(tmp, "prof");
  const serverArgv = [
    process.execPath,
    "--cpu-prof",
    `--cpu-prof-dir=${profDir}`,
    ...tcpkitServeArgs(root, port, extra),
  ];
  const srv = await startServer({
    argv: serverArgv,
    cpus: "0",
    port,
    logFile: path.join(tmp, "server.log"),
  });
  if (srv.error) throw new Error(srv.error);
  const base = `http://127.0.0.1:${port}`;
  let result;
  try {
    await sleep(300);
    if (workload === "W2")
      result = await ab(`${base}/index.html`, {
        requests: 20000 * Math.max(1, Math.round(secs / 5)),
        conns: 50,
        cpus: "1",
      });
    else
      result = await wrk(`${base}${workload === "W4" ? "/missing" : "/index.html"}`, {
        conns: 50,
        secs,
        cpus: "1",
      });
  } finally {
    await stopServer(srv);
  }
  const prof = fs.existsSync(profDir)
    ? fs.readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile"))
    : [];
  if (!prof.length)
    throw new Error("no .cpuprofile written (did the server exit cleanly on SIGTERM?)");
  fs.mkdirSync(out, { recursive: true });
  const dest = path.join(
    out,
    `profile-${workload}-${new Date().toISOString().replace(/[-:]/g, "").slice(0, 15)}.cpuprofile`,
  );
  fs.copyFileSync(path.join(profDir, prof[0]), dest);
  console.log(
    `${workload}: ${Math.round(result.rps)} req/s under the profiler (${JSON.stringify(result)})`,
  );
  const summary = await run(
    process.execPath,
    [path.join(REPO, "bench", "cpuprofile-summary.mjs"), dest],
    { timeoutMs: 60_000 },
  );
  process.stdout.write(summary.stdout + summary.stderr);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
