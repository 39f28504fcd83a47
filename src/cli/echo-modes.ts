/**
 * `tcpkit echo`'s measuring modes: which one the flags select (refusing combinations that mean
 * nothing), the flags turned into the mode's options, Ctrl-C turned into "stop and report", and
 * the report printed as text, JSON or NDJSON (echo-output.ts).
 */
import type { EchoFlagValues } from "./echo-flags.js";
import {
  formatInterval,
  formatLoadReport,
  formatThroughput,
  toJson,
  type LoadReport,
} from "./echo-output.js";
import { ProgressLine } from "./progress-line.js";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "./usage-error.js";
import type { EchoClientOptions } from "../echo/client-socket.js";
import { measureConnectRate } from "../echo/connect-rate.js";
import type { IntervalReport } from "../echo/load-recorder.js";
import { measureOpenLoop } from "../echo/open-loop.js";
import { PATTERN_PERIOD } from "../echo/payload-pattern.js";
import { measureRoundTrips } from "../echo/round-trips.js";
import { measureThroughput } from "../echo/throughput.js";
import { measureUdp, UDP_HEADER_BYTES } from "../echo/udp-probe.js";
import { formatHostPort } from "../net/address.js";

type Given = ReadonlySet<keyof EchoFlagValues & string>;

/** A measuring mode and the flag that chose it (for messages). */
export interface EchoMode {
  kind: "throughput" | "udp" | "open-loop" | "connect-rate" | "round-trips";
  flag: string;
}

/** Run length when a rate-driven mode has neither --count nor --duration. */
const DEFAULT_RUN_MS = 10_000;
/** UDP datagrams per second without --rate. */
const DEFAULT_UDP_RATE = 100;

const ROUND_TRIP_FLAGS = [
  "count",
  "interval",
  "size",
  "connections",
  "duration",
  "percentiles",
  "report-interval",
  "json-stream",
] as const;

/** The measuring mode the flags select, or undefined (message or stdin); throws UsageError. */
export function selectMode(values: EchoFlagValues, given: Given): EchoMode | undefined {
  const refuse = (a: string, b: string): never => {
    throw new UsageError(`--${a} cannot be combined with --${b}`);
  };
  if (values.json && values["json-stream"]) refuse("json", "json-stream");
  if (values.bench !== undefined) {
    for (const other of ["udp", "connect-rate", "rate", ...ROUND_TRIP_FLAGS] as const) {
      if (given.has(other) && other !== "connections") refuse("bench", other);
    }
    return { kind: "throughput", flag: "--bench" };
  }
  if (values.udp && values["connect-rate"]) refuse("udp", "connect-rate");
  if (values.rate !== undefined && values["connect-rate"]) refuse("rate", "connect-rate");
  const rated = values.udp || values["connect-rate"] || values.rate !== undefined;
  if (rated && given.has("interval")) {
    refuse("interval", values.udp ? "udp" : values["connect-rate"] ? "connect-rate" : "rate");
  }
  if (values.udp) {
    if (given.has("connections")) refuse("connections", "udp");
    return { kind: "udp", flag: "--udp" };
  }
  if (values["connect-rate"]) return { kind: "connect-rate", flag: "--connect-rate" };
  if (values.rate !== undefined) return { kind: "open-loop", flag: "--rate" };
  const chosen = ROUND_TRIP_FLAGS.find((f) => given.has(f));
  return chosen === undefined ? undefined : { kind: "round-trips", flag: `--${chosen}` };
}

/** Runs a measuring mode and prints its report; resolves with the exit code. */
export async function runMeasurement(
  mode: EchoMode,
  values: EchoFlagValues,
  given: Given,
  client: EchoClientOptions,
): Promise<number> {
  const json = values.json;
  const stream = values["json-stream"];
  const stop = onCtrlC();
  try {
    if (mode.kind === "throughput") return await runThroughput(values, client, stop.signal);
    const size = values.size;
    if (mode.kind === "udp" ? size < UDP_HEADER_BYTES : size > PATTERN_PERIOD) {
      throw new UsageError(
        mode.kind === "udp"
          ? `--size must be at least ${UDP_HEADER_BYTES} with --udp (sequence number and send time)`
          : `--size must be at most ${PATTERN_PERIOD} without --udp`,
      );
    }
    const reportIntervalMs = values["report-interval"] ?? (stream ? 1000 : undefined);
    const onInterval = (r: IntervalReport & { sent?: number }): void => {
      process.stdout.write(
        stream ? toJson({ type: "interval", mode: mode.kind, ...r }) : formatInterval(r),
      );
    };
    const rated = given.has("count") || given.has("duration");
    const common = {
      ...client,
      size,
      signal: stop.signal,
      ...(values.percentiles === undefined ? {} : { percentiles: values.percentiles }),
      ...(reportIntervalMs === undefined ? {} : { reportIntervalMs, onInterval }),
      ...(values.duration === undefined ? {} : { durationMs: values.duration }),
      ...(values.count === undefined || values.count === 0 ? {} : { count: values.count }),
    };
    const runLength = rated ? {} : { durationMs: DEFAULT_RUN_MS };
    let report: LoadReport;
    switch (mode.kind) {
      case "round-trips":
        report = await roundTrips(values, given, common, reportIntervalMs !== undefined);
        break;
      case "open-loop":
        report = await measureOpenLoop({
          ...common,
          ...runLength,
          rate: values.rate as number,
          connections: values.connections,
          windowBytes: values.window,
        });
        break;
      case "connect-rate":
        report = await measureConnectRate({
          ...common,
          ...runLength,
          connections: values.connections,
        });
        break;
      case "udp":
        report = await measureUdp({
          ...common,
          ...runLength,
          rate: values.rate ?? DEFAULT_UDP_RATE,
          ...(given.has("timeout") ? { lingerMs: values.timeout } : {}),
        });
        break;
    }
    process.stdout.write(
      json
        ? toJson(report)
        : stream
          ? toJson({ type: "summary", ...report })
          : (given.has("report-interval") ||
            (report.mode === "round-trips" && report.connections === 1)
              ? "\n"
              : "") + formatLoadReport(report),
    );
    if (report.mode === "connect-rate" && report.failed > 0) {
      process.stderr.write(
        `tcpkit: ${report.failed} of ${report.failed + report.count} connections failed (first: ${report.firstError ?? "?"})\n`,
      );
      return EXIT_FAILURE;
    }
    if (report.mode === "udp" && report.sent > 0 && report.count === 0) {
      // As ping: statistics, then exit 1 when no reply came back at all (a script reading
      // the exit code took 100 % loss for success).
      process.stderr.write(
        `tcpkit: no datagram came back from ${formatHostPort(report.host, report.port)} (${report.sent} sent)\n`,
      );
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  } finally {
    stop.dispose();
  }
}

/** Closed loop: ping's defaults with one connection (1 s apart, per-line output), load with more. */
function roundTrips(
  values: EchoFlagValues,
  given: Given,
  common: Parameters<typeof measureRoundTrips>[0],
  intervalLines: boolean,
): ReturnType<typeof measureRoundTrips> {
  const connections = values.connections;
  const intervalMs = given.has("interval")
    ? (values.interval as number)
    : connections === 1
      ? 1000
      : 0;
  // ping: no count with --interval (or --count 0) runs until Ctrl-C.
  const untilStopped =
    (given.has("count") && values.count === 0) ||
    (!given.has("count") && (given.has("interval") || given.has("duration")));
  const peer = formatHostPort(common.host as string, common.port as number);
  const perLine = connections === 1 && !values.json && !values["json-stream"] && !intervalLines;
  return measureRoundTrips({
    ...common,
    connections,
    intervalMs,
    count: untilStopped ? 0 : given.has("count") ? (values.count as number) : 10,
    ...(perLine
      ? {
          onRoundTrip: (_c: number, seq: number, rtt: number) => {
            process.stdout.write(
              `${values.size} bytes from ${peer}: seq=${seq + 1} time=${rtt.toFixed(3)} ms\n`,
            );
          },
        }
      : {}),
  });
}

async function runThroughput(
  values: EchoFlagValues,
  client: EchoClientOptions,
  signal: AbortSignal,
): Promise<number> {
  const budget = values.bench as { bytes: number } | { durationMs: number };
  const progress =
    process.stderr.isTTY && !values.json ? new ProgressLine(process.stderr) : undefined;
  const total = "bytes" in budget ? budget.bytes : undefined;
  const report = await measureThroughput({
    ...client,
    ...budget,
    connections: values.connections,
    windowBytes: values.window,
    signal,
    ...(progress === undefined
      ? {}
      : {
          onProgress: (p) => progress.update({ received: p.bytesReceived, offset: 0, total }),
        }),
  })
    .then((r) => {
      // The last tick may be up to 250 ms old: end the line on the final figures.
      progress?.update({ received: r.bytesReceived, offset: 0, total });
      return r;
    })
    .finally(() => progress?.finish());
  process.stdout.write(
    values.json ? toJson({ mode: "throughput", ...report }) : formatThroughput(report),
  );
  return EXIT_OK;
}

/**
 * Ctrl-C during a measurement: the first stops it (what is in flight is awaited, then the
 * statistics print, as ping does); a second exits at once with 130.
 */
function onCtrlC(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on("SIGINT", handler);
  return { signal: controller.signal, dispose: () => process.off("SIGINT", handler) };
}
