/**
 * How `tcpkit echo` prints its reports: text for people (a ping-like summary, one line per
 * --report-interval), one JSON object (--json), or NDJSON (--json-stream: one object per
 * interval, then the summary).
 */
import { describeBytes } from "./echo-values.js";
import type { ConnectRateReport } from "../echo/connect-rate.js";
import type { LatencySummary } from "../echo/latency-histogram.js";
import type { IntervalReport } from "../echo/load-recorder.js";
import type { OpenLoopReport } from "../echo/open-loop.js";
import type { RoundTripReport } from "../echo/round-trips.js";
import type { ThroughputReport } from "../echo/throughput.js";
import type { UdpProbeReport } from "../echo/udp-probe.js";
import { formatHostPort } from "../net/address.js";

export type LoadReport = RoundTripReport | OpenLoopReport | ConnectRateReport | UdpProbeReport;

/** A report as one JSON line; fractions rounded to 4 decimals, NaN as null. */
export function toJson(report: object): string {
  return `${JSON.stringify(report, (_k, v: unknown) =>
    typeof v === "number" && !Number.isInteger(v) && Number.isFinite(v) ? Number(v.toFixed(4)) : v,
  )}\n`;
}

/** Milliseconds with three decimals. */
export function ms(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : "-";
}

const count = (n: number): string => n.toLocaleString("en-US");
const perSec = (n: number): string =>
  n.toLocaleString("en-US", { maximumFractionDigits: n < 100 ? 1 : 0 });
const plural = (n: number, word: string): string => `${count(n)} ${word}${n === 1 ? "" : "s"}`;

/** Two lines: "min .. mean .. max .. stddev" and the percentiles, under a label. */
function latencyLines(label: string, s: LatencySummary): string[] {
  const pad = " ".repeat(14);
  const first = `${label.padEnd(14)}min ${ms(s.min)}  mean ${ms(s.mean)}  max ${ms(s.max)}  stddev ${ms(s.stddev)}`;
  const ps = Object.entries(s.percentiles)
    .map(([k, v]) => `${k} ${ms(v)}`)
    .join("  ");
  return ps === "" || s.count < 2 ? [first] : [first, `${pad}${ps}`];
}

/** How busy the client was: near 100 % of one core, it may be what limits the rate. */
function clientCpuLine(cpuMs: number, elapsedMs: number): string {
  const share = elapsedMs > 0 ? Math.round((cpuMs * 100) / elapsedMs) : 0;
  return `client cpu    ${(cpuMs / 1000).toFixed(3)} s, ${share}% of one core${share >= 90 ? " (the client may be the bottleneck)" : ""}`;
}

/** The summary of a load mode, ping's "--- HOST echo statistics ---" first. */
export function formatLoadReport(r: LoadReport): string {
  const peer = formatHostPort(r.host, r.port);
  const lines = [`--- ${peer} echo statistics ---`];
  const stopped = r.interrupted ? " (stopped by Ctrl-C)" : "";
  switch (r.mode) {
    case "round-trips":
      lines.push(
        `${plural(r.count, "round trip")} of ${r.size} bytes on ${plural(r.connections, "connection")}` +
          ` in ${(r.elapsedMs / 1000).toFixed(3)} s: ${perSec(r.ratePerSec)}/s, all verified${stopped}`,
        ...latencyLines("rtt ms", r.latencyMs),
        ...latencyLines("connect ms", r.connectMs),
        ...(r.connections > 1 ? [clientCpuLine(r.clientCpuMs, r.elapsedMs)] : []),
      );
      break;
    case "open-loop":
      lines.push(
        `open loop: ${plural(r.count, "message")} of ${r.size} bytes on ${plural(r.connections, "connection")}` +
          ` in ${(r.elapsedMs / 1000).toFixed(3)} s, all verified${stopped}`,
        `rate          requested ${perSec(r.rate)}/s, sent ${perSec(r.sentRatePerSec)}/s, echoed ${perSec(r.ratePerSec)}/s`,
        ...latencyLines("latency ms", r.latencyMs),
        `              (from each message's scheduled send time: coordinated omission corrected)`,
        ...latencyLines("send lag ms", r.sendLagMs),
        ...latencyLines("connect ms", r.connectMs),
      );
      break;
    case "connect-rate":
      lines.push(
        `connect rate: ${plural(r.count, "connection")} in ${(r.elapsedMs / 1000).toFixed(3)} s:` +
          ` ${perSec(r.ratePerSec)}/s over ${plural(r.connections, "worker")}, ${r.size} bytes echoed on each, all verified${stopped}`,
        ...(r.failed > 0
          ? [`failed        ${count(r.failed)} (first: ${r.firstError ?? "?"})`]
          : []),
        ...latencyLines("connect ms", r.connectMs),
        ...latencyLines("first echo ms", r.firstEchoMs),
      );
      break;
    case "udp":
      lines.push(
        `udp: ${plural(r.sent, "datagram")} of ${r.size} bytes sent at ${perSec(r.sentRatePerSec)}/s` +
          ` (requested ${perSec(r.rate)}/s), ${count(r.count)} echoed, all verified${stopped}`,
        `loss ${count(r.lost)} (${r.lossPercent.toFixed(2)}%), duplicates ${count(r.duplicates)},` +
          ` reordered ${count(r.reordered)}, jitter ${ms(r.jitterMs)} ms (RFC 3550)`,
        ...latencyLines("rtt ms", r.latencyMs),
      );
      break;
  }
  return `${lines.join("\n")}\n`;
}

/** One --report-interval line: "[  2.0s]  51,234/s  p50 0.421  p99 0.974  max 2.100 ms". */
export function formatInterval(r: IntervalReport & { sent?: number }): string {
  const p = r.latencyMs.percentiles;
  const tail = ["p50", "p99", "p99.9"]
    .filter((k) => p[k] !== undefined)
    .map((k) => `${k} ${ms(p[k] as number)}`);
  const sent = r.sent === undefined ? "" : `  sent ${count(r.sent)}`;
  return `[${r.t.toFixed(1).padStart(6)}s]  ${perSec(r.ratePerSec).padStart(9)}/s${sent}  ${[...tail, `max ${ms(r.latencyMs.max)}`].join("  ")} ms\n`;
}

/** The throughput report: sizes in binary units with the exact count, rates in MB/s and Gbit/s. */
export function formatThroughput(r: ThroughputReport): string {
  const rate = (bytes: number, elapsedMs: number): string => {
    const bps = elapsedMs > 0 ? (bytes * 1000) / elapsedMs : 0;
    return `${(bps / 1e6).toFixed(1)} MB/s, ${((bps * 8) / 1e9).toFixed(2)} Gbit/s`;
  };
  return [
    `${formatHostPort(r.host, r.port)}: ${plural(r.connections, "connection")}, connect ${ms(r.connectMs)} ms`,
    `sent   ${describeBytes(r.bytesSent)} in ${(r.sendMs / 1000).toFixed(3)} s: ${rate(r.bytesSent, r.sendMs)}`,
    `echoed ${describeBytes(r.bytesReceived)} in ${(r.receiveMs / 1000).toFixed(3)} s: ${rate(r.bytesReceived, r.receiveMs)}, all verified`,
    "(MB = 10^6 bytes; KiB, MiB, GiB = 2^10, 2^20, 2^30 bytes)",
    "",
  ].join("\n");
}
