// Workload C1 of npm run bench:echo: does `tcpkit echo` measure the server, not itself? Against
// the C epoll server (CPU 0), the C load client (bench/c/echo-load.c pingpong) and tcpkit echo's
// closed loop (--connections N --count M) each drive N connections x M round trips of SIZE bytes
// from CPU 1, interleaved, REPS times. Both clients start their clock once every connection is
// up and verify every echoed byte. Reported: round trips/s and p50 of each, medians, and the
// ratios the claim is about (tcpkit echo >= 0.8x the C client's rate, p50 within 10 %), and the
// ratio of each back-to-back pair, the figure least disturbed by other work on the machine.
import { spawn } from "node:child_process";
import path from "node:path";

/**
 * Runs `argv` to completion (killed after timeoutMs); resolves with its exit code, output and
 * CPU seconds (user + system, from bash's `times`: the process's whole life, start-up included).
 */
function run(argv, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", '"$@"; s=$?; times >&2; exit $s', "_", ...argv], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("close", (code) => {
      clearTimeout(timer);
      const t = err.trim().split("\n").pop() ?? "";
      const secs = [...t.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      resolve({ code, out, err, cpuS: secs.length === 2 ? secs[0] + secs[1] : NaN });
    });
  });
}

/** The `ok=...` line of a load client's output, and its key=value pairs. */
function resultLine(out) {
  const line = out.split("\n").find((l) => l.startsWith("ok=")) ?? "";
  const kv = Object.fromEntries(
    line
      .split(" ")
      .filter(Boolean)
      .map((p) => p.split("=")),
  );
  return { line, kv };
}

const median = (xs) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/** One C-client run: round trips/s and p50 (µs) from its key=value line. */
async function cClient({ load, port, conns, rounds, size, cpu }) {
  const r = await run(
    [
      "taskset",
      "-c",
      cpu,
      load,
      "pingpong",
      String(port),
      String(conns),
      String(rounds),
      String(size),
      "60",
    ],
    70_000,
  );
  const { line, kv } = resultLine(r.out);
  if (kv.ok !== "1") return { error: line || r.err.trim() };
  const n = Number(kv.roundtrips);
  return {
    rtps: Number(kv.rtps),
    p50Us: Number(kv.p50_us),
    p99Us: Number(kv.p99_us),
    cpuUsPerRt: (r.cpuS * 1e6) / n,
  };
}

/**
 * One run of the minimal Node client (bench/peers/echo-client-min.mjs): round trips/s and CPU
 * per round trip, the floor any Node client starts from (no p50: it records no latencies).
 */
async function nodeFloorClient({ node, repo, port, conns, rounds, size, cpu }) {
  const r = await run(
    [
      "taskset",
      "-c",
      cpu,
      node,
      path.join(repo, "bench/peers/echo-client-min.mjs"),
      String(port),
      String(conns),
      String(rounds),
      String(size),
    ],
    70_000,
  );
  const { line, kv } = resultLine(r.out);
  if (kv.ok !== "1") return { error: line || r.err.trim() };
  return {
    rtps: Number(kv.rtps),
    p50Us: NaN,
    p99Us: NaN,
    cpuUsPerRt: (r.cpuS * 1e6) / Number(kv.roundtrips),
  };
}

/** One tcpkit echo run (closed loop, --json): round trips/s and p50 (µs). */
async function tcpkitClient({ node, repo, port, conns, rounds, size, cpu }) {
  return tcpkitClientOn(node, { repo, port, conns, rounds, size, cpu });
}

/** The same run with the CLI on another runtime (`exe`: Node 22, Bun). */
async function tcpkitClientOn(exe, { repo, port, conns, rounds, size, cpu }) {
  const r = await run(
    [
      "taskset",
      "-c",
      cpu,
      exe,
      path.join(repo, "bin/tcpkit.js"),
      "echo",
      "--port",
      String(port),
      "--connections",
      String(conns),
      "--count",
      String(rounds),
      "--size",
      String(size),
      "--json",
    ],
    70_000,
  );
  if (r.code !== 0) return { error: r.err.trim() || `exit ${r.code}` };
  const report = JSON.parse(r.out);
  return {
    cpuUsPerRt: (r.cpuS * 1e6) / report.count,
    rtps: report.ratePerSec,
    p50Us: report.latencyMs.percentiles.p50 * 1000,
    p99Us: report.latencyMs.percentiles.p99 * 1000,
  };
}

/**
 * Runs the comparison against a started server on `port`; returns { rows, verdict, raw }.
 * `log` prints progress. `others` ([{ label, exe }]): tcpkit echo on further runtimes, one row
 * each beside the primary one (context: the targets are about the primary runtime).
 */
export async function compareClients({
  load,
  node,
  others = [],
  repo,
  port,
  conns,
  rounds,
  size,
  reps,
  cpu,
  log,
}) {
  const raw = { c: [], tcpkit: [], nodeFloor: [] };
  const clients = { c: cClient, tcpkit: tcpkitClient, nodeFloor: nodeFloorClient };
  for (const [i, other] of others.entries()) {
    raw[`other${i}`] = [];
    clients[`other${i}`] = (args) => tcpkitClientOn(other.exe, args);
  }
  for (let rep = 1; rep <= reps; rep++) {
    // Interleaved, and the order alternates, so a drift in the machine's load hits both. The
    // minimal Node client runs last: it is context, not one of the two the targets compare.
    const order = [
      ...(rep % 2 ? ["c", "tcpkit"] : ["tcpkit", "c"]),
      ...others.map((_, i) => `other${i}`),
      "nodeFloor",
    ];
    for (const who of order) {
      const args = { load, node, repo, port, conns, rounds, size, cpu };
      const r = await clients[who](args);
      raw[who].push(r);
      const p50 = Number.isNaN(r.p50Us) ? "" : `, p50 ${r.p50Us?.toFixed(1)} µs`;
      log(
        `C1 rep ${rep}/${reps} ${who}: ${r.error ?? `${Math.round(r.rtps)} round trips/s${p50}, client CPU ${r.cpuUsPerRt.toFixed(2)} µs per round trip`}`,
      );
      await new Promise((done) => setTimeout(done, 300));
    }
  }
  const summary = (rs) => ({
    rtps: median(rs.map((r) => r.rtps)),
    p50Us: median(rs.map((r) => r.p50Us)),
    p99Us: median(rs.map((r) => r.p99Us)),
    cpuUsPerRt: median(rs.map((r) => r.cpuUsPerRt)),
    errors: rs.filter((r) => r.error !== undefined).map((r) => r.error),
  });
  const c = summary(raw.c);
  const t = summary(raw.tcpkit);
  const floor = summary(raw.nodeFloor);
  const rateRatio = c.rtps && t.rtps ? t.rtps / c.rtps : null;
  const p50Ratio = c.p50Us && t.p50Us ? t.p50Us / c.p50Us : null;
  // Per repetition too: each pair ran back to back, so its ratio is the least disturbed figure.
  const pairRatios = raw.c
    .map((cr, i) => (cr.rtps && raw.tcpkit[i]?.rtps ? raw.tcpkit[i].rtps / cr.rtps : null))
    .filter((x) => x !== null);
  const fmt = (x, d = 0) =>
    x === null ? "failed" : x.toLocaleString("en-US", { maximumFractionDigits: d });
  const rows = [
    `| client (median of ${reps}), against c-epoll | round trips/s | p50 | p99 | client CPU per round trip |`,
    `| --- | --- | --- | --- | --- |`,
    `| C load client (echo-load pingpong) | ${fmt(c.rtps)} | ${fmt(c.p50Us, 1)} µs | ${fmt(c.p99Us, 1)} µs | ${fmt(c.cpuUsPerRt, 2)} µs |`,
    `| tcpkit echo --connections ${conns} --count ${rounds} | ${fmt(t.rtps)} (${rateRatio?.toFixed(2) ?? "?"}x) | ${fmt(t.p50Us, 1)} µs (${p50Ratio?.toFixed(2) ?? "?"}x) | ${fmt(t.p99Us, 1)} µs | ${fmt(t.cpuUsPerRt, 2)} µs |`,
    ...others.map((other, i) => {
      const o = summary(raw[`other${i}`]);
      const r = c.rtps && o.rtps ? `${(o.rtps / c.rtps).toFixed(2)}x` : "?";
      const p = c.p50Us && o.p50Us ? `${(o.p50Us / c.p50Us).toFixed(2)}x` : "?";
      return `| tcpkit echo on ${other.label} | ${fmt(o.rtps)} (${r}) | ${fmt(o.p50Us, 1)} µs (${p}) | ${fmt(o.p99Us, 1)} µs | ${fmt(o.cpuUsPerRt, 2)} µs |`;
    }),
    `| minimal Node client (bench/peers/echo-client-min.mjs: onread + socket.write, nothing checked or recorded) | ${fmt(floor.rtps)} (${c.rtps && floor.rtps ? (floor.rtps / c.rtps).toFixed(2) : "?"}x) | - | - | ${fmt(floor.cpuUsPerRt, 2)} µs |`,
    "",
  ];
  const verdict =
    rateRatio === null || p50Ratio === null
      ? `C1: failed (${[...c.errors, ...t.errors].join("; ")})`
      : `C1 targets (median): tcpkit echo >= 0.8x the C client's round trips/s ${rateRatio >= 0.8 ? "met" : "missed"} (${rateRatio.toFixed(2)}x; per back-to-back pair ${pairRatios.map((x) => x.toFixed(2)).join(", ")}), ` +
        `p50 within 10 % ${Math.abs(p50Ratio - 1) <= 0.1 ? "met" : "missed"} (${p50Ratio.toFixed(2)}x)`;
  return {
    rows,
    verdict,
    summary: { c, tcpkit: t, nodeFloor: floor, rateRatio, p50Ratio, pairRatios },
    raw,
  };
}
