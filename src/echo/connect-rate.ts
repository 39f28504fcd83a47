/**
 * The echo client's connect-rate mode, like netperf's TCP_CRR: each of `connections` workers
 * repeatedly opens a new connection, sends one message, waits for its whole echo (checked), and
 * closes, as fast as the server takes them. Reports new connections per second, and the connect
 * time (SYN to established, which a full listen backlog stretches by the kernel's SYN
 * retransmits: 1 s, 3 s...) apart from the first echo (request to response on the new
 * connection, where a server slow to accept shows up).
 *
 * A connection that fails after the first one succeeded (refused, reset, timed out: what an
 * overloaded server does) is counted and the run goes on; a wrong echoed byte ends it.
 */
import { performance } from "node:perf_hooks";
import { connectEcho, resolveTarget, type EchoClientOptions } from "./client-socket.js";
import { EchoReceiver } from "./echo-receiver.js";
import { LatencyHistogram, type LatencySummary } from "./latency-histogram.js";
import {
  checkBounded,
  checkSize,
  every,
  LoadRecorder,
  whenToStop,
  type IntervalReport,
  type LoadReportBase,
  type LoadRunOptions,
} from "./load-recorder.js";
import { findPatternMismatch, patternAt, PATTERN_PERIOD } from "./payload-pattern.js";
import { TcpkitError } from "../util/tcpkit-error.js";

export interface ConnectRateOptions extends EchoClientOptions, LoadRunOptions {
  /** Workers, each with one connection at a time (default 1). */
  connections?: number;
  /** Connections in all (default: until durationMs or the signal ends the run). */
  count?: number;
  /** Bytes echoed on each connection (default 64, at most 65,521). */
  size?: number;
  /** Interval reports carry the connect times. */
  onInterval?: (report: IntervalReport) => void;
}

export interface ConnectRateReport extends LoadReportBase {
  mode: "connect-rate";
  connections: number;
  /** Connections that connected, echoed and closed. */
  count: number;
  /** Connections that failed (refused, reset, timed out, closed early). */
  failed: number;
  /** The first failure's message, when there was one. */
  firstError?: string;
  elapsedMs: number;
  /** count / elapsed: new connections per second. */
  ratePerSec: number;
  /** connect() to established, ms. */
  connectMs: LatencySummary;
  /** First byte sent to last byte echoed on the new connection, ms. */
  firstEchoMs: LatencySummary;
  /** The latencies of the whole cycle (connect, echo), ms. */
  latencyMs: LatencySummary;
}

/** Runs the connect-rate measurement; rejects on a mismatch, or when the first connect fails. */
export async function measureConnectRate(options: ConnectRateOptions): Promise<ConnectRateReport> {
  const target = resolveTarget(options);
  const size = options.size ?? 64;
  const workers = options.connections ?? 1;
  const total = options.count ?? Infinity;
  checkSize(size, 1, PATTERN_PERIOD);
  checkBounded(total, options, "connect rate");
  const started = performance.now();
  const recorder = new LoadRecorder(started, options.percentiles);
  const connects = new LatencyHistogram();
  const echoes = new LatencyHistogram();
  let begun = 0;
  let succeeded = 0;
  let failed = 0;
  let firstError: string | undefined;
  let fatal: TcpkitError | undefined;
  let stopping = false;
  let interrupted = false;
  let lastDone = started;
  const payload = patternAt(0, size);

  /** One cycle: connect, echo, close. Resolves false when the run must end. */
  async function cycle(): Promise<boolean> {
    const t0 = performance.now();
    let connection;
    try {
      connection = await connectEcho(target);
    } catch (err) {
      return countFailure(err);
    }
    const { socket, connectMs } = connection;
    try {
      const receiver = new EchoReceiver(socket, target);
      const sentAt = performance.now();
      socket.write(payload);
      const echoed = await receiver.read(size);
      const now = performance.now();
      const bad = findPatternMismatch(echoed, 0);
      if (bad !== -1) {
        fatal ??= new TcpkitError(
          "ERR_ECHO_MISMATCH",
          `connection ${succeeded + failed + 1}: echoed byte ${bad} differs from the byte sent`,
        );
        return false;
      }
      connects.record(connectMs);
      echoes.record(now - sentAt);
      recorder.record(now - t0);
      succeeded++;
      lastDone = now;
      return true;
    } catch (err) {
      return countFailure(err);
    } finally {
      socket.end();
      socket.destroySoon();
    }
  }

  function countFailure(err: unknown): boolean {
    const message = err instanceof Error ? err.message : String(err);
    if (succeeded === 0 && failed === 0) {
      // Nothing has worked yet: a wrong port or a dead server, not an overloaded one.
      fatal ??= err instanceof TcpkitError ? err : new TcpkitError("ERR_NETWORK", message);
      return false;
    }
    failed++;
    firstError ??= message;
    recorder.countOnly();
    return true;
  }

  async function worker(): Promise<void> {
    while (!stopping && fatal === undefined && begun < total) {
      begun++;
      if (!(await cycle())) return;
    }
  }

  const stopReports = every(options.reportIntervalMs, () => options.onInterval?.(recorder.flush()));
  const disposeStop = whenToStop(options, () => {
    stopping = true;
    interrupted = options.signal?.aborted === true;
  });
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    disposeStop();
    stopReports();
  }
  if (fatal !== undefined) throw fatal;
  const last = recorder.flush(lastDone);
  if (options.reportIntervalMs !== undefined && last.count > 0) options.onInterval?.(last);
  const elapsedMs = lastDone - started;
  return {
    mode: "connect-rate",
    host: target.host,
    port: target.port,
    connections: workers,
    size,
    count: succeeded,
    failed,
    ...(firstError === undefined ? {} : { firstError }),
    elapsedMs,
    ratePerSec: elapsedMs > 0 ? (succeeded * 1000) / elapsedMs : 0,
    interrupted,
    connectMs: connects.summary(options.percentiles),
    firstEchoMs: echoes.summary(options.percentiles),
    latencyMs: recorder.summary(),
  };
}
