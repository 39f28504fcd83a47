/**
 * `tcpkit echo [MESSAGE]`: the RFC 862 client. Sends a message (or stdin) and checks it comes
 * back; with --count it measures round trips like ping, with --bench throughput.
 */
import { parseCount, parsePort, parseSecondsToMs, parseFlags } from "./args.js";
import type { Command } from "./command.js";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "./usage-error.js";
import { DEFAULT_CLIENT_TIMEOUT_MS, type EchoClientOptions } from "../echo/echo-connect.js";
import { echoMessage, echoStream } from "../echo/echo-message.js";
import { DEFAULT_ECHO_PORT } from "../echo/echo-server.js";
import { PATTERN_PERIOD } from "../echo/payload-pattern.js";
import { measureRoundTrips, type RoundTripReport } from "../echo/round-trips.js";
import { measureThroughput, type ThroughputReport } from "../echo/throughput.js";
import { formatHostPort } from "../net/address.js";

const HELP = `Usage: tcpkit echo [OPTIONS] [MESSAGE | -]

RFC 862 echo client. Sends MESSAGE, reads until as many bytes came back, prints
"Received: MESSAGE" and exits 0 if they match. With - or no MESSAGE it sends stdin and writes
the echoed bytes to stdout, checking every byte.

Options:
  --host HOST            server (default 127.0.0.1)
  --port N               port (default ${DEFAULT_ECHO_PORT})
  --timeout SECONDS      limit for connecting and for each echo (default ${DEFAULT_CLIENT_TIMEOUT_MS / 1000})
  --nodelay, --no-nodelay  TCP_NODELAY on the client socket (default on)
  --json                 print the report as JSON

Round trips (like ping; any of these flags selects the mode):
  --count N              round trips on one connection (default 10)
  --interval MS          pause between round trips (default 1000)
  --size BYTES           payload per round trip (default 64, at most ${PATTERN_PERIOD})

Throughput:
  --bench BYTES|SECONDS  send this much (64M, 1G, 1000000) or for this long (10s), reading the
                         echo back at the same time; MB/s each way (MB = 10^6 bytes)
  --connections N        parallel connections (default 1)
  --window BYTES         most bytes in flight (sent, not yet echoed) per connection, in the
                         throughput and stdin modes (default 4M). socat's PIPE echo deadlocks
                         with more than about 56K in flight: use --window 32K with it

Every echoed payload is checked byte for byte. Exit codes: 0 all bytes came back intact, 1 a
mismatch, an early close, a refused connection, an unknown host or a timeout, 2 usage error.
`;

export const echoCommand: Command = {
  name: "echo",
  summary: "RFC 862 echo client: send and verify, round-trip times, throughput",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, {
      host: { type: "string" },
      port: { type: "string" },
      timeout: { type: "string" },
      nodelay: { type: "boolean" },
      "no-nodelay": { type: "boolean" },
      json: { type: "boolean" },
      count: { type: "string", short: "c" },
      interval: { type: "string", short: "i" },
      size: { type: "string", short: "s" },
      bench: { type: "string" },
      connections: { type: "string" },
      window: { type: "string" },
    });
    const client: EchoClientOptions = {
      host: values.host ?? "127.0.0.1",
      port: parsePort(values.port, "--port", DEFAULT_ECHO_PORT),
      timeoutMs: parseSecondsToMs(values.timeout, "--timeout", DEFAULT_CLIENT_TIMEOUT_MS),
      noDelay: values["no-nodelay"] !== true,
    };
    if (values.nodelay === true && values["no-nodelay"] === true) {
      throw new UsageError("--nodelay and --no-nodelay contradict each other");
    }
    if (client.timeoutMs === 0) throw new UsageError("--timeout must be more than 0");
    const json = values.json === true;
    let windowBytes: number | undefined;
    if (values.window !== undefined) {
      windowBytes = parseByteCount(values.window);
      if (windowBytes === undefined) {
        throw new UsageError(`--window must be a byte count (48K, 4M), not '${values.window}'`);
      }
    }
    const window = windowBytes === undefined ? {} : { windowBytes };
    const roundTrips =
      values.count !== undefined || values.interval !== undefined || values.size !== undefined;
    const bench = values.bench !== undefined;
    if (roundTrips && bench) {
      throw new UsageError("--bench cannot be combined with --count, --interval or --size");
    }
    if (values.connections !== undefined && !bench) {
      throw new UsageError("--connections needs --bench");
    }
    if ((roundTrips || bench) && positionals.length > 0) {
      throw new UsageError("MESSAGE cannot be combined with --count, --size or --bench");
    }

    if (bench) {
      const budget = parseBenchBudget(values.bench as string);
      const connections = parseCount(values.connections, "--connections", 1);
      const report = await measureThroughput({
        ...client,
        ...budget,
        connections,
        ...window,
        ...(process.stderr.isTTY && !json ? { onProgress: showProgress } : {}),
      }).finally(clearProgress);
      process.stdout.write(
        json ? toJson({ mode: "throughput", ...report }) : formatThroughput(report),
      );
      return EXIT_OK;
    }

    if (roundTrips) {
      const count = parseCount(values.count, "--count", 10);
      const size = parseCount(values.size, "--size", 64);
      if (size > PATTERN_PERIOD) throw new UsageError(`--size must be at most ${PATTERN_PERIOD}`);
      const peer = formatHostPort(client.host as string, client.port as number);
      const report = await measureRoundTrips({
        ...client,
        count,
        size,
        intervalMs: parseCount(values.interval, "--interval", 1000, 0),
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
};

/** "10s", "2.5s" → a duration; "64M", "1G", "512K", "1000000" → bytes (K, M, G are binary). */
export function parseBenchBudget(value: string): { bytes: number } | { durationMs: number } {
  const seconds = /^(\d+(?:\.\d+)?)s$/.exec(value);
  if (seconds !== null) {
    const ms = Math.round(Number(seconds[1]) * 1000);
    if (ms <= 0) throw new UsageError("--bench duration must be more than 0 s");
    return { durationMs: ms };
  }
  const bytes = parseByteCount(value);
  if (bytes === undefined) {
    throw new UsageError(`--bench must be a byte count (64M, 1G) or seconds (10s), not '${value}'`);
  }
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
