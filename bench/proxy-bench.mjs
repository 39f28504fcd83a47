#!/usr/bin/env node
// npm run bench:proxy: tcpkit serve --proxy against nginx as a reverse proxy, both in front of
// the same back end (issue 15: proxied keep-alive GETs of a 1 KiB response at >= 0.8x nginx).
// The back end is nginx serving a 1 KiB file from its open-file cache, pinned with the load
// generator (wrk -t1 -c50) to CPU 1; each proxy (one process, one worker) is pinned to CPU 0.
// Repetitions interleave the two proxies, so slow phases of a shared machine hit both. Reported:
// requests/s, and the proxy's CPU time per request (utime + stime from /proc/PID/stat over the
// run, divided by the requests): the figure that holds while other work runs on the machine.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchArgv } from "./lib/argv.mjs";
import { curlCheck, wrk } from "./lib/load.mjs";
import { freePort, run, sleep, startServer, stopServer, treePids, waitQuiet } from "./lib/proc.mjs";
import { median } from "./lib/report.mjs";
import { makeFixture, nginxArgv, REPO, tcpkitServeArgs } from "./lib/servers.mjs";

const HELP = `Usage: node bench/proxy-bench.mjs [options]   (npm run bench:proxy)

  --reps N        repetitions, interleaved (default 5); medians are reported
  --secs N        seconds of load per repetition (default 5)
  --out DIR       results directory (default bench/results)
  --quiet-max N   wait up to N s before each run until the machine is < 15% busy (default 20)
  -h, --help      this help

Rows: nginx-proxy (nginx 1 worker, proxy_pass with an upstream keepalive pool of 32, HTTP/1.1 to
the back end, X-Forwarded-For/-Proto and Host set, no access log) and tcpkit-proxy (tcpkit serve
--proxy /=BACKEND --log off). Both forward GET /index.html (1 KiB) to the same back end. For
context, a minimal Node pass-through (bench/peers/proxy-pass-min.mjs: bytes copied both ways
over one back-end connection per client, no HTTP): what Node itself costs per request.
`;

const { argv, option } = benchArgv(HELP);
for (let i = 0; i < argv.length; i += 2) {
  if (!["--reps", "--secs", "--out", "--quiet-max"].includes(argv[i])) {
    process.stderr.write(`proxy-bench: unknown option ${argv[i]} (see --help)\n`);
    process.exit(2);
  }
}
const REPS = Number(option("--reps", "5"));
const SECS = Number(option("--secs", "5"));
const OUT = path.resolve(option("--out", path.join(REPO, "bench", "results")));
const QUIET_MAX = Number(option("--quiet-max", "20"));
const SERVER_CPU = "0";
const LOAD_CPU = "1";
const CLK_TCK = Number((await run("getconf", ["CLK_TCK"])).stdout.trim()) || 100;
const log = (line) => process.stderr.write(`${line}\n`);

/** CPU ticks (user + system) of a process tree, from /proc/PID/stat (fields 14 and 15). */
function cpuTicks(root) {
  let total = 0;
  for (const pid of treePids(root)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += Number(f[11]) + Number(f[12]);
    } catch {
      // exited between the listing and the read
    }
  }
  return total;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tcpkit-proxy-bench-"));
fs.chmodSync(tmp, 0o755); // nginx's worker (nobody, when started as root) reads the site
const root = path.join(tmp, "site");
makeFixture(root);
fs.rmSync(path.join(root, "big.bin")); // only the 1 KiB index.html is asked for
const empty = path.join(tmp, "empty");
fs.mkdirSync(empty);

const started = [];
async function start(name, argvOf, cpus) {
  const port = await freePort();
  const s = await startServer({ argv: argvOf(port), cpus, port, logFile: `${tmp}/${name}.log` });
  if (s.error) throw new Error(`${name}: ${s.error}`);
  started.push(s);
  return { name, port, ...s };
}

const results = { nginx: [], tcpkit: [], "node-min": [] };
try {
  const backend = await start(
    "backend",
    (port) => nginxArgv(`${tmp}/backend`, port, { root, tag: "bench/proxy-bench.mjs" }),
    LOAD_CPU,
  );
  const proxies = [
    await start(
      "nginx",
      (port) =>
        nginxArgv(`${tmp}/nginx`, port, { upstream: backend.port, tag: "bench/proxy-bench.mjs" }),
      SERVER_CPU,
    ),
    await start(
      "tcpkit",
      (port) => [
        process.execPath,
        ...tcpkitServeArgs(empty, port, [
          "--log",
          "off",
          "--proxy",
          `/=http://127.0.0.1:${backend.port}`,
        ]),
      ],
      SERVER_CPU,
    ),
    // Context, not a target: what a Node process costs to copy the same bytes both ways.
    await start(
      "node-min",
      (port) => [
        process.execPath,
        path.join(REPO, "bench/peers/proxy-pass-min.mjs"),
        String(port),
        String(backend.port),
      ],
      SERVER_CPU,
    ),
  ];
  for (const p of proxies) {
    const url = `http://127.0.0.1:${p.port}/index.html`;
    const check = await curlCheck(url);
    if (check.error || check.status !== 200 || check.size !== 1024)
      throw new Error(`${p.name}: ${JSON.stringify(check)}`);
    await wrk(url, { conns: 50, secs: 2, cpus: LOAD_CPU }); // warm-up (JIT, pools)
  }
  for (let rep = 1; rep <= REPS; rep++) {
    for (const p of rep % 2 === 1 ? proxies : [...proxies].reverse()) {
      const busy = await waitQuiet(QUIET_MAX, 15);
      const url = `http://127.0.0.1:${p.port}/index.html`;
      const t0 = cpuTicks(p.pid);
      const b0 = cpuTicks(backend.pid);
      const r = await wrk(url, { conns: 50, secs: SECS, cpus: LOAD_CPU });
      if (r.error || r.errors > 0 || r.non2xx > 0)
        throw new Error(`${p.name}: ${JSON.stringify(r)}`);
      const us = ((cpuTicks(p.pid) - t0) * 1e6) / CLK_TCK / r.requests;
      const backUs = ((cpuTicks(backend.pid) - b0) * 1e6) / CLK_TCK / r.requests;
      results[p.name].push({
        rps: r.rps,
        cpu_us: us,
        backend_cpu_us: backUs,
        p99_us: r.p99_us,
        busy,
      });
      log(
        `rep ${rep} ${p.name}: ${Math.round(r.rps)} req/s, ${us.toFixed(1)} µs CPU/request ` +
          `(back end ${backUs.toFixed(1)}), p99 ${r.p99_us} µs, machine ${busy}% busy before`,
      );
      await sleep(200);
    }
  }
} finally {
  for (const s of started.reverse()) await stopServer(s);
}

const med = (name, key) => median(results[name].map((r) => r[key]));
const ratio = (key) => med("tcpkit", key) / med("nginx", key);
const perRepRatios = results.tcpkit.map((t, i) => t.rps / results.nginx[i].rps);
const md = `| proxy | req/s (median of ${REPS}) | proxy CPU µs/request | back end CPU µs/request | p99 µs |
| --- | ---: | ---: | ---: | ---: |
${["nginx", "tcpkit", "node-min"]
  .map(
    (n) =>
      `| ${n === "node-min" ? "minimal Node pass-through (no HTTP; the floor)" : `${n}-proxy`} | ${Math.round(med(n, "rps"))} | ${med(n, "cpu_us").toFixed(1)} | ${med(n, "backend_cpu_us").toFixed(1)} | ${Math.round(med(n, "p99_us"))} |`,
  )
  .join("\n")}

tcpkit / nginx: throughput ${ratio("rps").toFixed(2)}x (per repetition: ${perRepRatios.map((x) => x.toFixed(2)).join(", ")}), CPU per request ${ratio("cpu_us").toFixed(2)}x (target: throughput >= 0.8x)
minimal Node pass-through / nginx: throughput ${(med("node-min", "rps") / med("nginx", "rps")).toFixed(2)}x, CPU per request ${(med("node-min", "cpu_us") / med("nginx", "cpu_us")).toFixed(2)}x
`;
process.stdout.write(md);
fs.mkdirSync(OUT, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
fs.writeFileSync(
  path.join(OUT, `proxy-${stamp}.json`),
  JSON.stringify({ reps: REPS, secs: SECS, results }, null, 2),
);
fs.writeFileSync(path.join(OUT, `proxy-${stamp}.md`), md);
fs.rmSync(tmp, { recursive: true, force: true });
