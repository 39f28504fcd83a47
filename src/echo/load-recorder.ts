/**
 * What the measuring modes share: how a run ends (a count, a duration, or a stop signal such as
 * Ctrl-C), latencies recorded into a histogram per reporting interval and for the whole run, and
 * the watchdog that fails a connection whose echo stalls.
 */
import { performance } from "node:perf_hooks";
import { DEFAULT_PERCENTILES, LatencyHistogram, type LatencySummary } from "./latency-histogram.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** Options every load mode takes besides the target. */
export interface LoadRunOptions {
  /** Stop after this long, ms (from the first send). */
  durationMs?: number;
  /** Stop when this aborts (the CLI's Ctrl-C): what is in flight is awaited, then reported. */
  signal?: AbortSignal;
  /** Percentiles to report (default 50, 90, 99, 99.9, 99.99). */
  percentiles?: readonly number[];
  /** Call onInterval every this many ms with that interval's figures. */
  reportIntervalMs?: number;
}

/** What every load mode's report says (each adds its own figures). */
export interface LoadReportBase {
  host: string;
  port: number;
  /** Payload bytes per message (datagram, connection). */
  size: number;
  /** Operations completed: round trips, messages, connections, distinct datagrams. */
  count: number;
  /** The run's length, ms (each mode says from when to when). */
  elapsedMs: number;
  /** count / elapsed, per second. */
  ratePerSec: number;
  /** True if the signal (Ctrl-C) stopped the run before its count or duration. */
  interrupted: boolean;
  /** The latencies of the operations, ms. */
  latencyMs: LatencySummary;
}

/** One reporting interval's figures. */
export interface IntervalReport {
  /** Seconds from the start of the run to the end of this interval. */
  t: number;
  /** Length of this interval, s. */
  seconds: number;
  /** Operations completed in it (round trips, connections, datagrams). */
  count: number;
  /** count / seconds. */
  ratePerSec: number;
  /** Latencies of the operations completed in it. */
  latencyMs: LatencySummary;
}

/**
 * Latencies of a run: recorded into the current interval's histogram, which joins the run's
 * total at each flush (one histogram add per interval instead of two records per sample).
 */
export class LoadRecorder {
  readonly percentiles: readonly number[];
  private readonly total = new LatencyHistogram();
  private readonly current = new LatencyHistogram();
  private intervalStart: number;
  private intervalCount = 0;

  constructor(
    private startedAt: number,
    percentiles: readonly number[] = DEFAULT_PERCENTILES,
  ) {
    this.percentiles = percentiles;
    this.intervalStart = startedAt;
  }

  /** Moves the start of the run (and of the first interval) to `now`: after connecting. */
  restart(now: number): void {
    this.startedAt = now;
    this.intervalStart = now;
  }

  /** Records one completed operation and its latency, ms. */
  record(ms: number): void {
    this.current.record(ms);
    this.intervalCount++;
  }

  /** Counts an operation that has no latency of its own (a failed connect...). */
  countOnly(): void {
    this.intervalCount++;
  }

  /** Ends the current interval at `now`: its report; its samples join the run's total. */
  flush(now = performance.now()): IntervalReport {
    const seconds = (now - this.intervalStart) / 1000;
    const report: IntervalReport = {
      t: (now - this.startedAt) / 1000,
      seconds,
      count: this.intervalCount,
      ratePerSec: seconds > 0 ? this.intervalCount / seconds : 0,
      latencyMs: this.current.summary(this.percentiles),
    };
    this.total.add(this.current);
    this.current.reset();
    this.intervalCount = 0;
    this.intervalStart = now;
    return report;
  }

  /** The whole run's latencies (flush first). */
  summary(): LatencySummary {
    return this.total.summary(this.percentiles);
  }
}

/**
 * Calls `tick` every `ms` until the returned function is called (nothing when `ms` is
 * undefined). Used for --report-interval and the stall watchdog.
 */
export function every(ms: number | undefined, tick: () => void): () => void {
  if (ms === undefined || ms <= 0) return () => {};
  const timer = setInterval(tick, ms);
  return () => clearInterval(timer);
}

/**
 * How a run ends: `stop()` is called when the duration is over or `signal` aborts; the mode
 * then sends nothing new and finishes what is in flight. Returns a disposer.
 */
export function whenToStop(
  options: Pick<LoadRunOptions, "durationMs" | "signal">,
  stop: () => void,
): () => void {
  const timer = options.durationMs === undefined ? undefined : setTimeout(stop, options.durationMs);
  const signal = options.signal;
  const onAbort = (): void => stop();
  if (signal?.aborted === true) queueMicrotask(stop);
  else signal?.addEventListener("abort", onAbort, { once: true });
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  };
}

/** Refuses a payload size outside [min, max] with ERR_INVALID_ARGUMENT. */
export function checkSize(size: number, min: number, max: number, what = "size"): void {
  if (!Number.isInteger(size) || size < min || size > max) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `${what} must be ${min} to ${max} bytes`);
  }
}

/**
 * Refuses a run that nothing would end: no count (`total` Infinity), no duration and no signal.
 * `mode` names it in the message ("open loop").
 */
export function checkBounded(
  total: number,
  options: Pick<LoadRunOptions, "durationMs" | "signal">,
  mode: string,
): void {
  if (total === Infinity && options.durationMs === undefined && options.signal === undefined) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `${mode} needs a count, a duration or a signal`);
  }
}
