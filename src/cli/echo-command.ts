/**
 * `tcpkit echo [MESSAGE]`: the RFC 862 client. Sends a message (or stdin) and checks it comes
 * back; with --count it measures round trips like ping, with --bench throughput.
 */
import { defineCommand } from "./command.js";
import { flag, invalidValue, section } from "./flags.js";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "./usage-error.js";
import {
  DEFAULT_CLIENT_TIMEOUT_MS,
  DEFAULT_WINDOW_BYTES,
  type EchoClientOptions,
} from "../echo/client-socket.js";
import { echoMessage, echoStream } from "../echo/echo-message.js";
import { DEFAULT_ECHO_PORT } from "../echo/echo-server.js";
import { PATTERN_PERIOD } from "../echo/payload-pattern.js";
import { measureRoundTrips, type RoundTripReport } from "../echo/round-trips.js";
import { measureThroughput, type ThroughputReport } from "../echo/throughput.js";
import { formatHostPort } from "../net/address.js";

/** The `echo` command: one message, round trips, a throughput run or stdin, each byte checked. */
export const echoCommand = defineCommand({
  usage: "[OPTIONS] [MESSAGE | -]",
  description: `RFC 862 echo client. Sends MESSAGE, reads until as many bytes came back, prints
"Received: MESSAGE" and exits 0 if they match. With - or no MESSAGE it sends stdin and writes
the echoed bytes to stdout, checking every byte.`,
  flags: {
    host: flag.text({ metavar: "HOST", default: "127.0.0.1", help: "server" }),
    port: flag.port({ default: DEFAULT_ECHO_PORT, help: "port" }),
    timeout: flag.seconds({
      default: DEFAULT_CLIENT_TIMEOUT_MS,
      help: "limit for connecting and for each echo",
    }),
    nodelay: flag.bool({
      negatable: true,
      default: true,
      help: "TCP_NODELAY on the client socket",
    }),
    json: flag.bool({ help: "print the report as JSON" }),
    ...section("Round trips (like ping; any of these flags selects the mode)", {
      count: flag.count({ short: "c", default: 10, help: "round trips on one connection" }),
      interval: flag.count({
        short: "i",
        metavar: "MS",
        min: 0,
        default: 1000,
        help: "pause between round trips",
      }),
      size: flag.count({
        short: "s",
        metavar: "BYTES",
        max: PATTERN_PERIOD,
        default: 64,
        help: "payload per round trip",
      }),
    }),
    ...section("Throughput", {
      bench: flag.custom({
        metavar: "BYTES|SECONDS",
        help:
          "send this much (64M, 1G, 1000000) or for this long (10s), reading the echo back at " +
          "the same time; MB/s each way (MB = 10^6 bytes)",
        convert: parseBenchBudget,
      }),
      connections: flag.count({ default: 1, help: "parallel connections, with --bench" }),
      window: flag.custom({
        metavar: "BYTES",
        default: DEFAULT_WINDOW_BYTES,
        defaultText: `${DEFAULT_WINDOW_BYTES / 1024 ** 2}M`,
        help:
          "most bytes in flight (sent, not yet echoed) per connection, in the throughput and " +
          "stdin modes. socat's PIPE echo deadlocks with more than about 56K in flight: use " +
          "--window 32K with it",
        convert: (text, name) => {
          const bytes = parseByteCount(text);
          if (bytes === undefined) throw invalidValue(name, "a byte count (48K, 4M)", text);
          return bytes;
        },
      }),
    }),
  },
  notes: `Every echoed payload is checked byte for byte. Exit codes: 0 all bytes came back intact, 1 a
mismatch, an early close, a refused connection, an unknown host or a timeout, 2 usage error.`,
  examples: [
    ["tcpkit echo --port 7007 hello", "send hello, check it comes back"],
    ["tcpkit echo -c 5 -s 1024", "5 round trips of 1024 bytes, like ping"],
    ["tcpkit echo --bench 1G --connections 4", "throughput over 4 connections"],
    ["tcpkit echo < file.bin > echoed.bin", "stream stdin through the server"],
  ],
  async run({ values, given, positionals }) {
    const client: EchoClientOptions = {
      host: values.host,
      port: values.port,
      timeoutMs: values.timeout,
      noDelay: values.nodelay,
    };
    const json = values.json;
    const window = { windowBytes: values.window };
    const roundTrips = given.has("count") || given.has("interval") || given.has("size");
    const budget = values.bench;
    if (roundTrips && budget !== undefined) {
      throw new UsageError("--bench cannot be combined with --count, --interval or --size");
    }
    if (given.has("connections") && budget === undefined) {
      throw new UsageError("--connections needs --bench");
    }
    if ((roundTrips || budget !== undefined) && positionals.length > 0) {
      throw new UsageError("MESSAGE cannot be combined with --count, --size or --bench");
    }

    if (budget !== undefined) {
      const report = await measureThroughput({
        ...client,
        ...budget,
        connections: values.connections,
        ...window,
        ...(process.stderr.isTTY && !json ? { onProgress: showProgress } : {}),
      }).finally(clearProgress);
      process.stdout.write(
        json ? toJson({ mode: "throughput", ...report }) : formatThroughput(report),
      );
      return EXIT_OK;
    }

    if (roundTrips) {
      const { count, size } = values;
      const peer = formatHostPort(values.host, values.port);
      const report = await measureRoundTrips({
        ...client,
        count,
        size,
        intervalMs: values.interval,
        ...(json
          ? {}
          : {
              onRoundTrip: (i: number, rtt: number) => {
                process.stdout.write(
                  `${size} bytes from ${peer}: seq=${i + 1} time=${ms(rtt)} ms\n`,
                );
              },
            }),
      });
      process.stdout.write(
        json ? toJson({ mode: "round-trips", ...report }) : formatRoundTrips(report, peer),
      );
      return EXIT_OK;
    }

    const message = positionals.join(" ");
    if (positionals.length === 0 || message === "-") {
      if (json)
        throw new UsageError("--json needs MESSAGE, --count or --bench (stdout carries the echo)");
      await echoStream({ ...client, ...window, input: process.stdin, output: process.stdout });
      return EXIT_OK;
    }
    const result = await echoMessage({ ...client, message });
    const matched = result.firstMismatch === -1;
    if (json) {
      process.stdout.write(
        toJson({
          mode: "message",
          sent: result.sent.toString("utf8"),
          received: result.received.toString("utf8"),
          match: matched,
          firstMismatch: result.firstMismatch,
          bytes: result.sent.length,
          connectMs: result.connectMs,
          roundTripMs: result.roundTripMs,
        }),
      );
    } else {
      process.stdout.write(`Received: ${result.received.toString("utf8")}\n`);
    }
    if (!matched) {
      process.stderr.write(
        `tcpkit: echo mismatch: byte ${result.firstMismatch} of ${result.sent.length} differs from the byte sent\n`,
      );
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  },
});

/** "10s", "2.5s" → a duration; "64M", "1G", "512K", "1000000" → bytes (K, M, G are binary). */
export function parseBenchBudget(
  value: string,
  name = "--bench",
): { bytes: number } | { durationMs: number } {
  const expected = "a byte count (64M, 1G) or seconds above 0 (10s)";
  const seconds = /^(\d+(?:\.\d+)?)s$/.exec(value);
  if (seconds !== null) {
    const ms = Math.round(Number(seconds[1]) * 1000);
    if (ms <= 0) throw invalidValue(name, expected, value);
    return { durationMs: ms };
  }
  const bytes = parseByteCount(value);
  if (bytes === undefined) throw invalidValue(name, expected, value);
  return { bytes };
}

/** "1000", "64K", "4M", "1G" (binary units) → bytes > 0; undefined if malformed. */
export function parseByteCount(value: string): number | undefined {
  const m = /^(\d+)([KMG]?)$/i.exec(value);
  if (m === null) return undefined;
  const unit = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(m[2] ?? "").toUpperCase()] ?? 1;
  const n = Number(m[1]) * unit;
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

function ms(x: number): string {
  return x.toFixed(3);
}

function toJson(report: object): string {
  return `${JSON.stringify(report, (_k, v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? Number(v.toFixed(4)) : v))}\n`;
}

function formatRoundTrips(r: RoundTripReport, peer: string): string {
  const s = r.rtt;
  return [
    "",
    `--- ${peer} echo statistics ---`,
    `${r.count} round trips of ${r.size} bytes, all verified; connect ${ms(r.connectMs)} ms`,
    `rtt min/avg/p50/p90/p99/max/stddev = ${[s.min, s.avg, s.p50, s.p90, s.p99, s.max, s.stddev].map(ms).join("/")} ms`,
    "",
  ].join("\n");
}

function formatThroughput(r: ThroughputReport): string {
  const mb = (b: number): string => (b / 1e6).toFixed(1);
  const conns = `${r.connections} connection${r.connections === 1 ? "" : "s"}`;
  return [
    `${formatHostPort(r.host, r.port)}: ${conns}, connect ${ms(r.connectMs)} ms`,
    `sent   ${mb(r.bytesSent)} MB in ${(r.sendMs / 1000).toFixed(3)} s: ${r.sendMBps.toFixed(1)} MB/s`,
    `echoed ${mb(r.bytesReceived)} MB in ${(r.receiveMs / 1000).toFixed(3)} s: ${r.receiveMBps.toFixed(1)} MB/s, all verified`,
    "",
  ].join("\n");
}

let progressShown = false;

/** The live line on a terminal (stderr), redrawn in place. */
function showProgress(p: {
  bytesSent: number;
  bytesReceived: number;
  elapsedMs: number;
  totalBytes?: number;
}): void {
  const of = p.totalBytes === undefined ? "" : ` of ${(p.totalBytes / 1e6).toFixed(1)}`;
  process.stderr.write(
    `\r\x1b[K${(p.bytesSent / 1e6).toFixed(1)}${of} MB sent, ${(p.bytesReceived / 1e6).toFixed(1)} MB echoed, ${(p.elapsedMs / 1000).toFixed(1)} s`,
  );
  progressShown = true;
}

function clearProgress(): void {
  if (progressShown) process.stderr.write("\r\x1b[K");
  progressShown = false;
}
