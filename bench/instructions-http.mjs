#!/usr/bin/env node
// npm run bench:instructions: user-space instructions per request of tcpkit serve, counted by
// `valgrind --tool=callgrind`. Unlike requests/s or CPU time, the count does not move with what
// else the machine (or its host) is doing, so a change of a few percent shows in one run: the
// measure to decide a change by on a shared machine, before confirming it with bench:proxy or
// bench. Kernel work (the socket syscalls, about half of a small request's time) is not counted.
//
// For each row: the server starts under callgrind (one file per thread; the main thread, which
// runs every request, is the figure), gets --warmup rounds of --requests keep-alive GETs of the
// 1 KiB index.html over 50 connections (so that V8 has compiled its hot code), then the counters
// are zeroed, --requests more are sent, and the counts dumped; --reps times, the median reported.
// Needs valgrind (apt-get install valgrind) and nginx (the proxy rows' back end).
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { benchArgv } from "./lib/argv.mjs";
import { freePort, run, sleep, startServer, stopServer } from "./lib/proc.mjs";
import { median } from "./lib/report.mjs";
import { makeFixture, nginxArgv, REPO, tcpkitServeArgs } from "./lib/servers.mjs";

const HELP = `Usage: node bench/instructions-http.mjs [options]   (npm run bench:instructions)

  --mode M        static, proxy, close, both (static and proxy) or all (default both)
  --requests N    requests per measurement and per warm-up round (default 3000)
  --warmup N      warm-up rounds before the first measurement (default 8)
  --reps N        measurements per row; the median is reported (default 3)
  --ab DIR        also measure the tcpkit checkout in DIR (built), for an A/B of two builds
  -h, --help      this help

Rows (static): tcpkit serve of a folder; node-net-memory (bench/baselines: a minimal node:net
server answering from memory). Rows (proxy): tcpkit serve --proxy /=BACKEND; the minimal Node
pass-through (bench/peers/proxy-pass-min.mjs); the back end is nginx, outside the count.
Rows (close): the static rows' servers, each request an HTTP/1.0 GET on a connection of its own
(ab's W2: accept, parse, answer, close), 20 connections at a time.
`;

const { argv, option } = benchArgv(HELP);
for (let i = 0; i < argv.length; i += 2) {
  if (!["--mode", "--requests", "--warmup", "--reps", "--ab"].includes(argv[i])) {
    process.stderr.write(`instructions-http: unknown option ${argv[i]} (see --help)\n`);
    process.exit(2);
  }
}
const MODE = option("--mode", "both");
const REQUESTS = Number(option("--requests", "3000"));
const WARMUP = Number(option("--warmup", "8"));
const REPS = Number(option("--reps", "3"));
const AB = option("--ab", "");
if (!["static", "proxy", "close", "both", "all"].includes(MODE) || !(REQUESTS > 0) || !(REPS > 0)) {
  process.stderr.write("instructions-http: bad --mode, --requests or --reps (see --help)\n");
  process.exit(2);
}
for (const tool of ["valgrind", "callgrind_control"]) {
  if ((await run("sh", ["-c", `command -v ${tool}`])).code !== 0) {
    process.stderr.write(`instructions-http: ${tool} not found (apt-get install valgrind)\n`);
    process.exit(2);
  }
}
const log = (line) => process.stderr.write(`${line}\n`);

/** `total` keep-alive GETs of `target` over 50 connections; rejects on anything but 200. */
function load(port, total, target = "/index.html") {
  const request = Buffer.from(
    `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n`,
  );
  let sent = 0;
  let open = 0;
  return new Promise((resolve, reject) => {
    for (let i = 0; i < 50; i++) {
      const socket = net.connect(port, "127.0.0.1");
      open++;
      let pending = Buffer.alloc(0);
      const next = () => {
        if (sent < total) {
          sent++;
          socket.write(request);
        } else socket.end();
      };
      socket.on("connect", next);
      socket.on("data", (data) => {
        pending = Buffer.concat([pending, data]);
        for (;;) {
          const end = pending.indexOf("\r\n\r\n");
          if (end < 0) return;
          const head = pending.toString("latin1", 0, end);
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
          if (!head.startsWith("HTTP/1.1 200 ") || !(length >= 0)) {
            socket.destroy();
            return reject(new Error(`unexpected response: ${head.split("\r\n")[0]}`));
          }
          if (pending.length < end + 4 + length) return;
          pending = pending.subarray(end + 4 + length);
          next();
        }
      });
      socket.on("error", reject);
      socket.on("close", () => {
        if (--open === 0) resolve();
      });
    }
  });
}

/** `total` HTTP/1.0 GETs, each on a new connection read to its close, 20 at a time. */
function loadClose(port, total) {
  const request = Buffer.from(`GET /index.html HTTP/1.0\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  let sent = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    const one = () => {
      if (sent === total) return;
      sent++;
      const chunks = [];
      const socket = net.connect(port, "127.0.0.1", () => socket.end(request));
      socket.on("data", (data) => chunks.push(data));
      socket.on("error", reject);
      socket.on("close", () => {
        const head = Buffer.concat(chunks).toString("latin1", 0, 16);
        if (!head.startsWith("HTTP/1.1 200 ") && !head.startsWith("HTTP/1.0 200 "))
          return reject(new Error(`unexpected response: ${head}`));
        if (++done === total) resolve();
        else one();
      });
    };
    for (let i = 0; i < Math.min(20, total); i++) one();
  });
}

/** Starts `argv` under callgrind; resolves once it answers. */
async function startCounted(name, argv, port, outDir) {
  const child = spawn(
    "valgrind",
    [
      "--tool=callgrind",
      "--smc-check=all-non-file", // V8 writes the code it runs
      "--separate-threads=yes",
      `--callgrind-out-file=${outDir}/${name}.%p`,
      ...argv,
    ],
    { stdio: ["ignore", "ignore", fs.openSync(`${outDir}/${name}.log`, "w")] },
  );
  for (let i = 0; i < 120; i++) {
    await sleep(500);
    if (child.exitCode !== null) throw new Error(`${name} exited (see ${outDir}/${name}.log)`);
    const up = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (up) return child;
  }
  child.kill("SIGKILL");
  throw new Error(`${name} did not start under valgrind within 60 s`);
}

/** Main-thread instructions per request: zero, send `REQUESTS`, dump, read the count. */
async function measure(child, name, port, outDir, dumps, send) {
  await run("callgrind_control", ["-z", String(child.pid)]);
  await send(port, REQUESTS);
  await run("callgrind_control", ["-d", String(child.pid)]);
  // --separate-threads: NAME.PID.N-01 is the main thread's part of dump N.
  const file = path.join(outDir, `${name}.${child.pid}.${dumps}-01`);
  for (let i = 0; i < 50 && !fs.existsSync(file); i++) await sleep(100);
  const summary = /^summary: (\d+)/m.exec(fs.readFileSync(file, "latin1"))?.[1];
  if (summary === undefined) throw new Error(`${name}: no summary in ${file}`);
  return Number(summary) / REQUESTS;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tcpkit-instructions-"));
fs.chmodSync(tmp, 0o755); // nginx's worker (nobody, when started as root) reads the site
const site = path.join(tmp, "site");
makeFixture(site);
fs.rmSync(path.join(site, "big.bin"));
const empty = path.join(tmp, "empty");
fs.mkdirSync(empty);
const node = process.execPath;
const tcpkitOf = (dir) => path.join(dir, "bin", "tcpkit.js");

const rows = [];
let backend;
try {
  if (MODE === "proxy" || MODE === "both" || MODE === "all") {
    const port = await freePort();
    backend = await startServer({
      argv: nginxArgv(`${tmp}/backend`, port, { root: site, tag: "bench/instructions-http.mjs" }),
      cpus: "0-1",
      port,
      logFile: `${tmp}/backend.log`,
    });
    if (backend.error) throw new Error(`back end: ${backend.error}`);
    backend.port = port;
  }
  /** tcpkit serve ROOT of the checkout in `dir`, with `extra` flags (bench/lib/servers.mjs). */
  const tcpkit =
    (dir, root, extra = []) =>
    (port) => {
      const [cli, ...rest] = tcpkitServeArgs(root, port, ["--log", "off", ...extra]);
      return [node, dir === REPO ? cli : tcpkitOf(dir), ...rest];
    };
  const serve = (dir) => tcpkit(dir, site);
  // every answer comes from the back end
  const proxy = (dir) => tcpkit(dir, empty, ["--proxy", `/=http://127.0.0.1:${backend?.port}`]);
  const defs = [];
  const both = MODE === "both" || MODE === "all";
  if (MODE === "static" || both) {
    defs.push(["static: tcpkit serve", serve(REPO)]);
    if (AB) defs.push([`static: tcpkit serve (${AB})`, serve(path.resolve(AB))]);
    defs.push([
      "static: node-net-memory (minimal node:net server)",
      (port) => [node, path.join(REPO, "bench/baselines/node-net-memory.mjs"), site, String(port)],
    ]);
  }
  if (MODE === "close" || MODE === "all") {
    defs.push(["close: tcpkit serve", serve(REPO), loadClose]);
    if (AB) defs.push([`close: tcpkit serve (${AB})`, serve(path.resolve(AB)), loadClose]);
    defs.push([
      "close: node-net-memory (minimal node:net server)",
      (port) => [node, path.join(REPO, "bench/baselines/node-net-memory.mjs"), site, String(port)],
      loadClose,
    ]);
  }
  if (MODE === "proxy" || both) {
    defs.push(["proxy: tcpkit serve --proxy", proxy(REPO)]);
    if (AB) defs.push([`proxy: tcpkit serve --proxy (${AB})`, proxy(path.resolve(AB))]);
    defs.push([
      "proxy: minimal Node pass-through (no HTTP)",
      (port) => [
        node,
        path.join(REPO, "bench/peers/proxy-pass-min.mjs"),
        String(port),
        String(backend?.port),
      ],
    ]);
  }
  for (const [label, argvOf, send = load] of defs) {
    const name = `row${rows.length}`;
    const port = await freePort();
    const child = await startCounted(name, argvOf(port), port, tmp);
    try {
      log(`${label}: warming up (${WARMUP} x ${REQUESTS} requests under valgrind)`);
      for (let i = 0; i < WARMUP; i++) await send(port, REQUESTS);
      const counts = [];
      for (let rep = 1; rep <= REPS; rep++) {
        counts.push(await measure(child, name, port, tmp, rep, send));
        log(`${label}: ${Math.round(counts.at(-1))} instructions per request`);
      }
      rows.push({ label, counts });
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
    }
  }
} finally {
  if (backend && !backend.error) await stopServer(backend);
  fs.rmSync(tmp, { recursive: true, force: true });
}

const lines = [
  `User-space instructions per request (callgrind, main thread; median of ${REPS} x ${REQUESTS} GETs of 1 KiB, keep-alive except the close rows, after ${WARMUP} warm-up rounds), Node ${process.versions.node}, ${new Date().toISOString()}`,
  "",
  "| server | instructions per request | each measurement |",
  "| --- | ---: | --- |",
  ...rows.map(
    (r) =>
      `| ${r.label} | ${Math.round(median(r.counts)).toLocaleString("en-US")} | ${r.counts.map((c) => Math.round(c)).join(", ")} |`,
  ),
];
process.stdout.write(`${lines.join("\n")}\n`);
