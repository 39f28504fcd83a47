#!/usr/bin/env node
// npm run bench: tcpkit serve beside nginx, minimal Node servers and the Node static-file peers,
// each pinned to CPU 0 with the load generator on CPU 1, over the workloads of issue 6, with
// medians of repetitions and ratios to nginx. Writes JSON, Markdown and an SVG chart under
// bench/results/. `--quick` (under a minute): nginx and tcpkit only, W1 and W2 ratios.
// `--runtime node24,node22,bun` runs tcpkit's rows once per runtime in the same repetitions.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchArgv } from "./lib/argv.mjs";
import { ab, curlCheck, idleConns, idleConnsBinary, wrk } from "./lib/load.mjs";
import {
  alive,
  freePort,
  run,
  sampleRss,
  sleep,
  startServer,
  stopServer,
  treePids,
  waitQuiet,
} from "./lib/proc.mjs";
import { markdownTable, medians, svgChart } from "./lib/report.mjs";
import { benchRuntimes, expandRows, rowInfo, runtimeHelp } from "./lib/runtime-rows.mjs";
import {
  BIG_SIZE,
  makeFixture,
  NGINX,
  REPO,
  SCALING,
  SERVERS,
  SMALL_SIZE,
} from "./lib/servers.mjs";

const HELP = `Usage: node bench/http-bench.mjs [options]   (npm run bench, npm run bench:quick)

  --quick          under a minute: nginx and tcpkit, W1 (3 s) and W2 (5,000 requests), 3 reps;
                   prints tcpkit's keep-alive and HTTP/1.0 ratios to nginx (each further
                   --runtime adds about 20 s)
  --reps N         repetitions (default 3); medians are reported
  --only a,b       servers to run (default all): ${SERVERS.map((s) => s.name).join(", ")}
  ${runtimeHelp(19)}
  --skip W3,W6     workloads to skip (W1 W2 W3 W4 W6 W7; W5 is sampled during W1)
  --secs N         W1 and W4 duration in seconds (default 10; quick 3)
  --out DIR        results directory (default bench/results)
  --no-install     do not apt-get install missing tools (nginx-light, wrk, apache2-utils)
  --quiet-max N    wait up to N s before each server start until the machine is < 15% busy
                   (default 60; quick 0: only note it)
  -h, --help       this help

Workloads: W1 keep-alive GET of a 1 KiB file (wrk -t1 -c50), W2 HTTP/1.0 without keep-alive
(ab -n 20000 -c 50), W3 a 64 MiB file (wrk -t1 -c4), W4 404s keep-alive (wrk -t1 -c50), W5 peak
RSS of the server during W1, W6 RSS with 10,000 idle keep-alive connections, W7 tcpkit
--workers auto against 1 worker on both cores with an unpinned load generator.
`;

// --- options ------------------------------------------------------------------------------
const { argv, flag, option } = benchArgv(HELP);
const known = new Set([
  "--quick",
  "--reps",
  "--only",
  "--skip",
  "--secs",
  "--out",
  "--no-install",
  "--quiet-max",
  "--runtime",
]);
for (let i = 0; i < argv.length; i++) {
  if (!known.has(argv[i])) fail(`unknown option ${argv[i]} (see --help)`, 2);
  if (!["--quick", "--no-install"].includes(argv[i])) i++;
}
const QUICK = flag("--quick");
const REPS = Number(option("--reps", "3"));
const W1_SECS = Number(option("--secs", QUICK ? "3" : "10"));
const WARM_SECS = QUICK ? 1 : 2;
const W3_SECS = 10;
const AB_N = QUICK ? 5000 : 20000;
const W6_CONNS = 10000;
const QUIET_MAX = Number(option("--quiet-max", QUICK ? "0" : "60"));
// quick mode only samples (0.5 s) and notes a busy machine, to stay under a minute
const QUIET_WINDOW_MS = QUICK ? 500 : 1000;
const QUIET_PCT = 15;
const SKIP = new Set(
  option("--skip", QUICK ? "W3,W4,W6,W7" : "")
    .split(",")
    .filter(Boolean),
);
const ONLY = option("--only", QUICK ? "nginx,tcpkit" : "")
  .split(",")
  .filter(Boolean);
const OUT = path.resolve(option("--out", path.join(REPO, "bench", "results")));
if (!Number.isInteger(REPS) || REPS < 1 || REPS > 20) fail("--reps must be 1..20", 2);
if (!(W1_SECS >= 1 && W1_SECS <= 120)) fail("--secs must be 1..120", 2);
for (const n of ONLY) if (!SERVERS.some((s) => s.name === n)) fail(`unknown server '${n}'`, 2);
const LIST = ONLY.length ? ONLY.map((n) => SERVERS.find((s) => s.name === n)) : SERVERS;
const RUNTIME_LIST = option("--runtime", "node24");
const SERVER_CPU = "0";
const LOAD_CPU = "1";

function fail(text, code = 1) {
  process.stderr.write(`http-bench: ${text}\n`);
  process.exit(code);
}
const log = (text) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);

// --- tools ----------------------------------------------------------------------------------
async function ensureTools() {
  const need = [];
  for (const [cmd, pkg] of [
    ["wrk", "wrk"],
    ["ab", "apache2-utils"],
    ["curl", "curl"],
    ["taskset", "util-linux"],
    ["gcc", "gcc"],
    [NGINX, "nginx-light"],
  ]) {
    const found = cmd.startsWith("/")
      ? fs.existsSync(cmd)
      : (await run("sh", ["-c", `command -v ${cmd}`])).code === 0;
    if (!found) need.push(pkg);
  }
  if (!need.length) return;
  if (flag("--no-install")) fail(`missing tools; install: apt-get install -y ${need.join(" ")}`);
  log(`installing ${need.join(" ")} from Debian's packages`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  let r = await run("apt-get", ["install", "-y", "--no-install-recommends", ...need], {
    timeoutMs: 300_000,
    env,
  });
  if (r.code !== 0) {
    await run("apt-get", ["update"], { timeoutMs: 300_000, env });
    r = await run("apt-get", ["install", "-y", "--no-install-recommends", ...need], {
      timeoutMs: 300_000,
      env,
    });
  }
  if (r.code !== 0) fail(`cannot install ${need.join(" ")}: ${r.stderr.trim().split("\n").pop()}`);
}

// --- results ----------------------------------------------------------------------------------
const raw = {}; // server -> metric -> [values per rep]
const notes = []; // { rep, server, text }
const flagged = new Set(); // servers that gave a wrong answer
function record(server, metric, value) {
  if (value === undefined || !Number.isFinite(value)) return;
  raw[server] ??= {};
  (raw[server][metric] ??= []).push(value);
}
function note(rep, server, text, wrong = false) {
  notes.push({ rep, server, text });
  if (wrong) flagged.add(server);
  log(`NOTE ${server} (rep ${rep}): ${text}`);
}

// --- one server, one repetition -----------------------------------------------------------------
async function runServer(rep, row, ctx) {
  const { def, key } = row;
  const port = await freePort();
  const busy = await waitQuiet(QUIET_MAX, QUIET_PCT, QUIET_WINDOW_MS);
  record(key, "busy_before_pct", busy);
  if (busy > QUIET_PCT)
    note(rep, key, `machine was ${busy}% busy (other processes) when this rep started`);
  log(`rep ${rep}: ${def.name} on ${row.runtime} on :${port} (machine ${busy}% busy before start)`);
  const logFile = path.join(ctx.tmp, `${key}.r${rep}.log`);
  const srv = await startServer({
    argv: def.argv(ctx, port, row.rt),
    cpus: SERVER_CPU,
    port,
    logFile,
    env: def.env,
  });
  if (srv.error) {
    note(rep, key, `failed to start: ${srv.error}`, true);
    return;
  }
  try {
    await sleep(300);
    await loadServer(rep, row, ctx, port, srv.pid);
  } finally {
    await stopServer(srv);
    fs.copyFileSync(logFile, path.join(ctx.logs, path.basename(logFile)));
  }
  await sleep(500);
}

async function loadServer(rep, { def, key: name }, ctx, port, pid) {
  const base = `http://127.0.0.1:${port}`;
  // --- correctness first: a fast wrong answer is not a result ---
  const idx = await curlCheck(`${base}/index.html`, { twice: true });
  if (idx.status !== 200 || idx.size !== SMALL_SIZE || idx.sha256 !== ctx.hash.small) {
    note(
      rep,
      name,
      `GET /index.html gave ${idx.status} with ${idx.size} bytes (expected 200 and the 1 KiB file)`,
      true,
    );
  }
  const missing = await curlCheck(`${base}/missing`);
  if (missing.status !== 404)
    note(rep, name, `GET /missing gave ${missing.status} (expected 404)`, true);

  if (!SKIP.has("W1")) {
    await wrk(`${base}/index.html`, { conns: 50, secs: WARM_SECS, cpus: LOAD_CPU });
    const rss = sampleRss(pid);
    const r = await wrk(`${base}/index.html`, { conns: 50, secs: W1_SECS, cpus: LOAD_CPU });
    record(name, "W5_rss_mib", rss.stop() / 1024);
    if (r.error) note(rep, name, `W1: ${r.error}`, true);
    else {
      record(name, "W1_rps", r.rps);
      record(name, "W1_p99_ms", r.p99_us / 1000);
      if (r.non2xx > 0)
        note(rep, name, `W1: ${r.non2xx} of ${r.requests} responses were not 2xx`, true);
      if (r.errors > 0 || r.timeouts > 0)
        note(rep, name, `W1: wrk socket errors ${r.errors}, timeouts ${r.timeouts}`, true);
      const per = r.bytes / r.requests;
      if (per < SMALL_SIZE || per > SMALL_SIZE + 1024)
        note(rep, name, `W1: ${per.toFixed(0)} bytes per response`, true);
    }
  }
  if (!alive(pid)) return note(rep, name, "server process exited during W1", true);

  if (!SKIP.has("W2")) {
    await sleep(300);
    const r = await ab(`${base}/index.html`, { requests: AB_N, conns: 50, cpus: LOAD_CPU });
    if (r.error) note(rep, name, `W2: ${r.error}`, true);
    else {
      record(name, "W2_rps", r.rps);
      if (r.failed > 0)
        note(rep, name, `W2: ab failed requests ${r.failed} ${r.failedDetail ?? ""}`, true);
      if (r.non2xx > 0) note(rep, name, `W2: ab non-2xx responses ${r.non2xx}`, true);
      if (r.complete !== AB_N) note(rep, name, `W2: ab completed ${r.complete} of ${AB_N}`, true);
      if (r.docLength !== SMALL_SIZE)
        note(rep, name, `W2: ab document length ${r.docLength}`, true);
    }
  }
  if (!alive(pid)) return note(rep, name, "server process exited during W2", true);

  if (!SKIP.has("W4")) {
    await sleep(300);
    const r = await wrk(`${base}/missing`, { conns: 50, secs: W1_SECS, cpus: LOAD_CPU });
    if (r.error) note(rep, name, `W4: ${r.error}`, true);
    else {
      record(name, "W4_rps", r.rps);
      if (r.non2xx < r.requests)
        note(rep, name, `W4: only ${r.non2xx} of ${r.requests} responses were >= 400`, true);
      if (r.errors > 0 || r.timeouts > 0)
        note(rep, name, `W4: wrk socket errors ${r.errors}, timeouts ${r.timeouts}`);
    }
  }
  if (!alive(pid)) return note(rep, name, "server process exited during W4", true);

  if (!SKIP.has("W6")) await runIdleConnections(rep, name, ctx, port, pid, idx.keepAlive);
  if (!alive(pid)) return;

  if (!SKIP.has("W3") && def.files) {
    await sleep(300);
    const big = await curlCheck(`${base}/big.bin`, { timeoutSecs: 60 });
    if (big.status !== 200 || big.size !== BIG_SIZE || big.sha256 !== ctx.hash.big) {
      note(
        rep,
        name,
        `W3 skipped: GET /big.bin gave ${big.status} with ${big.size} bytes (or wrong bytes)`,
        true,
      );
    } else {
      const r = await wrk(`${base}/big.bin`, {
        conns: 4,
        secs: W3_SECS,
        cpus: LOAD_CPU,
        timeout: "30s",
      });
      if (r.error) note(rep, name, `W3: ${r.error}`, true);
      else {
        record(name, "W3_MBps", r.mbps);
        if (r.non2xx > 0 || r.timeouts > 0)
          note(rep, name, `W3: non-2xx ${r.non2xx}, timeouts ${r.timeouts}`, true);
      }
    }
  }
  if (!alive(pid)) note(rep, name, "server process exited during W3", true);
}

/**
 * W6 on the server W1, W2 and W4 warmed up (as the reference figures of issue 6 were measured),
 * before W3, whose 64 MiB transfers can leave garbage that would blur the per-connection figure.
 */
async function runIdleConnections(rep, name, ctx, port, pid, keepAlive) {
  if (!keepAlive)
    return note(rep, name, "W6 skipped: the server closed the connection after a response");
  await sleep(500);
  const r = await idleConns(ctx.idleBin, {
    port,
    conns: W6_CONNS,
    path: "/index.html",
    serverPid: pid,
    cpus: LOAD_CPU,
  });
  if (r.error) note(rep, name, `W6: ${r.error}`);
  else {
    record(name, "W6_rss_mib", r.rssKib / 1024);
    record(name, "W6_kib_per_conn", r.perConnKib);
    if (r.open !== W6_CONNS)
      note(
        rep,
        name,
        `W6: only ${r.open} of ${W6_CONNS} connections open at the sample (${r.line})`,
      );
  }
  if (!alive(pid)) note(rep, name, "server process exited during W6", true);
}

// --- W7: --workers auto against 1 worker ----------------------------------------------------
async function runScaling(rep, { def, key, rt, runtime }, ctx) {
  const port = await freePort();
  const busy = await waitQuiet(QUIET_MAX, QUIET_PCT, QUIET_WINDOW_MS);
  if (busy > QUIET_PCT)
    note(rep, key, `machine was ${busy}% busy (other processes) when this rep started`);
  log(`rep ${rep}: ${def.name} on ${runtime} on :${port}, both CPUs, load unpinned`);
  const logFile = path.join(ctx.tmp, `${key}.r${rep}.log`);
  const srv = await startServer({
    argv: def.argv(ctx, port, rt),
    cpus: "0-" + (os.availableParallelism() - 1),
    port,
    logFile,
  });
  if (srv.error) return note(rep, key, `failed to start: ${srv.error}`, true);
  try {
    await sleep(300);
    const url = `http://127.0.0.1:${port}/index.html`;
    await wrk(url, { conns: 50, secs: WARM_SECS });
    const r = await wrk(url, { conns: 50, secs: W1_SECS });
    if (r.error) note(rep, key, `W7: ${r.error}`, true);
    else {
      record(key, "W7_rps", r.rps);
      if (r.non2xx > 0 || r.errors > 0)
        note(rep, key, `W7: non-2xx ${r.non2xx}, socket errors ${r.errors}`, true);
    }
    record(key, "W7_processes", treePids(srv.pid).length);
  } finally {
    await stopServer(srv);
    fs.copyFileSync(logFile, path.join(ctx.logs, path.basename(logFile)));
  }
  await sleep(500);
}

// --- main ---------------------------------------------------------------------------------------
async function main() {
  await ensureTools();
  let runtimes;
  try {
    runtimes = benchRuntimes(RUNTIME_LIST, log);
  } catch (err) {
    fail(err.message, 2);
  }
  const nginx = (await run(NGINX, ["-v"])).stderr.match(/nginx\/([\w.]+)/)?.[1] ?? "?";
  const native = (def) => (def.name.startsWith("nginx") ? `native (nginx ${nginx})` : "native");
  const rows = expandRows(LIST, runtimes, native);
  const scaling = SKIP.has("W7") || ONLY.length ? [] : expandRows(SCALING, runtimes, native);
  for (const rt of runtimes.tcpkit) log(`tcpkit runs on ${rt.label} (${rt.exe})`);
  log(`Node peers run on ${runtimes.node.label}`);
  if (os.availableParallelism() < 2)
    log("warning: fewer than 2 CPUs; server and load share a core");
  if (!fs.existsSync(path.join(REPO, "dist", "cli", "main.js"))) {
    log("building tcpkit (npm run build)");
    const r = await run("npm", ["run", "build"], { timeoutMs: 300_000 });
    if (r.code !== 0) fail(`npm run build failed: ${r.stderr.trim().slice(-300)}`);
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tcpkit-bench-"));
  // nginx's worker runs as an unprivileged user when started as root: let it read the docroot
  fs.chmodSync(tmp, 0o755);
  fs.mkdirSync(OUT, { recursive: true });
  const logs = path.join(OUT, `http-${stamp}-logs`);
  fs.mkdirSync(logs, { recursive: true });
  const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
  process.once("SIGINT", () => {
    cleanup();
    process.exit(130);
  });
  const root = path.join(tmp, "site");
  log(`fixture in ${root}`);
  const ctx = {
    tmp,
    root,
    logs,
    hash: makeFixture(root),
    idleBin: SKIP.has("W6") ? "" : await idleConnsBinary(),
    node: runtimes.node,
  };
  const started = Date.now();
  try {
    for (let rep = 1; rep <= REPS; rep++) {
      for (const row of rows) await runServer(rep, row, ctx);
      for (const row of scaling) await runScaling(rep, row, ctx);
    }
  } finally {
    cleanup();
  }
  report(stamp, Math.round((Date.now() - started) / 1000), { rows, scaling, runtimes });
}

function report(stamp, secs, { rows, scaling, runtimes }) {
  const med = medians(raw);
  const command = `node bench/http-bench.mjs ${argv.join(" ")}`.trim();
  const tcpkitOn = runtimes.tcpkit.map((rt) => rt.label).join(", ");
  const header = [
    `${new Date().toISOString()} · ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim()}) · Linux ${os.release()} · tcpkit on ${tcpkitOn} · Node peers on ${runtimes.node.label}`,
    `command: ${command} · ${REPS} repetitions, medians · server on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU} · ${secs} s`,
  ];
  const lines = [...header, "", markdownTable(raw, rows, flagged)];
  const w7 = scaling.filter((row) => med[row.key]?.W7_rps !== undefined);
  if (w7.length) {
    lines.push(
      "",
      "W7 (--workers): keep-alive 1 KiB, server on both CPUs, wrk -t1 -c50 unpinned",
      "",
    );
    lines.push("| server | runtime | req/s | ratio |", "| --- | --- | ---: | ---: |");
    for (const row of w7) {
      // each --workers auto row against 1 worker on the same runtime
      const oneKey = row.key.replace(/-auto(@|$)/, "-1w$1");
      const base = oneKey === row.key ? undefined : med[oneKey]?.W7_rps;
      const v = med[row.key].W7_rps;
      lines.push(
        `| ${row.server}${flagged.has(row.key) ? " (!)" : ""} | ${row.runtime} | ${Math.round(v).toLocaleString("en-US")} | ${base ? (v / base).toFixed(2) + "x 1 worker" : "–"} |`,
      );
    }
  }
  if (notes.length) {
    lines.push(
      "",
      "Notes (!: the server gave a wrong answer or failed; its figures are not comparable)",
      "",
    );
    const seen = new Map();
    for (const n of notes) {
      const key = `${n.server}\t${n.text.replace(/[0-9.]+/g, "#")}`;
      if (!seen.has(key)) seen.set(key, { ...n, reps: [] });
      seen.get(key).reps.push(n.rep);
    }
    for (const n of seen.values()) lines.push(`- ${n.server} (rep ${n.reps.join(",")}): ${n.text}`);
  }
  const ratios = [];
  const WORKLOADS = [
    ["W1_rps", "keep-alive 1 KiB"],
    ["W2_rps", "HTTP/1.0 ab"],
    ["W3_MBps", "64 MiB file"],
    ["W4_rps", "404 keep-alive"],
  ];
  const tcpkitKeys = rows.filter((r) => r.server === "tcpkit").map((r) => r.key);
  for (const key of tcpkitKeys) {
    for (const [m, label] of WORKLOADS) {
      const t = med[key]?.[m];
      const n = med.nginx?.[m];
      if (t !== undefined && n) ratios.push(`RATIO ${key}/nginx ${label}: ${(t / n).toFixed(2)}`);
    }
    const p = med[key]?.W1_p99_ms;
    const np = med.nginx?.W1_p99_ms;
    if (p !== undefined && np)
      ratios.push(`RATIO ${key}/nginx keep-alive p99: ${(p / np).toFixed(2)}`);
  }
  // runtimes against the first one named, measured in the same repetitions
  const [first, ...others] = tcpkitKeys;
  for (const key of others) {
    for (const [m, label] of WORKLOADS) {
      const t = med[key]?.[m];
      const f = med[first]?.[m];
      if (t !== undefined && f)
        ratios.push(`RATIO ${key}/${first} ${label}: ${(t / f).toFixed(2)}`);
    }
  }
  for (const row of rows.filter((r) => r.server === "tcpkit-log")) {
    const base = row.key.replace("tcpkit-log", "tcpkit");
    const tl = med[row.key]?.W1_rps;
    if (tl !== undefined && med[base]?.W1_rps)
      ratios.push(`RATIO ${row.key}/${base} keep-alive: ${(tl / med[base].W1_rps).toFixed(2)}`);
  }
  for (const key of tcpkitKeys) {
    for (const peer of ["sirv", "http-server", "serve"]) {
      const p = med[peer]?.W1_rps;
      if (p && med[key]?.W1_rps)
        ratios.push(`RATIO ${key}/${peer} keep-alive: ${(med[key].W1_rps / p).toFixed(2)}`);
    }
  }
  for (const row of scaling.filter((r) => r.server === "tcpkit-auto")) {
    const one = row.key.replace("tcpkit-auto", "tcpkit-1w");
    const wa = med[row.key]?.W7_rps;
    if (wa && med[one]?.W7_rps)
      ratios.push(`RATIO ${row.key} / ${one}: ${(wa / med[one].W7_rps).toFixed(2)}`);
  }
  for (const key of tcpkitKeys)
    if (flagged.has(key))
      ratios.push(
        `WARNING: ${key} gave wrong answers or failed (see notes); its ratios are not valid`,
      );
  lines.push("", ...ratios);
  const text = lines.join("\n") + "\n";
  process.stdout.write("\n" + text);
  const file = path.join(OUT, `http-${stamp}`);
  fs.writeFileSync(`${file}.md`, text);
  fs.writeFileSync(
    `${file}.json`,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        command,
        reps: REPS,
        quick: QUICK,
        host: header[0],
        rows: [...rows, ...scaling].map(rowInfo),
        raw,
        medians: med,
        notes,
        flagged: [...flagged],
      },
      null,
      2,
    ) + "\n",
  );
  fs.writeFileSync(
    `${file}.svg`,
    svgChart(raw, rows, {
      title: `tcpkit serve vs nginx and Node servers, 1 KiB file${QUICK ? " (quick)" : ""}`,
      subtitle: `medians of ${REPS} · server on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU} · ${header[0].split(" · ").slice(0, 2).join(" · ")}`,
    }),
  );
  log(
    `results: ${file}.{md,json,svg}; server logs in ${path.relative(REPO, OUT)}/http-${stamp}-logs`,
  );
}

main().catch((err) => fail(err.stack ?? String(err)));
