/**
 * The echo client's closed-loop mode: `connections` connections at once, each sending a message
 * of `size` bytes, waiting for its whole echo (checked byte for byte), pausing `intervalMs`, and
 * sending the next: like ping over TCP with one connection, a closed-loop load generator with
 * many. Each latency is measured from that message's send to its last echoed byte.
 *
 * Closed loop means a slow server slows the client down: while one echo is late, that connection
 * sends nothing, so a 200 ms stall is one slow sample per connection, not the hundreds a steady
 * sender would have seen (coordinated omission). The report's max shows it; the open-loop mode
 * (open-loop.ts) measures what users at a fixed rate would have felt.
 */
import { performance } from "node:perf_hooks";
import { resolveTarget, type EchoClientOptions } from "./client-socket.js";
import { EchoLane, watchForStalls } from "./echo-lane.js";
import { LatencyHistogram, type LatencySummary } from "./latency-histogram.js";
import {
  checkSize,
  every,
  LoadRecorder,
  whenToStop,
  type IntervalReport,
  type LoadReportBase,
  type LoadRunOptions,
} from "./load-recorder.js";
import { PATTERN_PERIOD } from "./payload-pattern.js";
import { TcpkitError } from "../util/tcpkit-error.js";

export interface RoundTripOptions extends EchoClientOptions, LoadRunOptions {
  /**
   * Round trips per connection (default 10, unless durationMs or signal is given: then until
   * that ends). 0: no limit.
   */
  count?: number;
  /** Pause between an echo and the next send on a connection, ms (default 0). */
  intervalMs?: number;
  /** Payload bytes per round trip (default 64, at most 65,521). */
  size?: number;
  /** Connections at once (default 1). */
  connections?: number;
  /** Called after each round trip: the connection's index, its round trip number (from 0). */
  onRoundTrip?: (connection: number, seq: number, rttMs: number) => void;
  onInterval?: (report: IntervalReport) => void;
}

export interface RoundTripReport extends LoadReportBase {
  mode: "round-trips";
  connections: number;
  /** Round trips completed, all connections. */
  count: number;
  /** From the first send to the last echo, ms. */
  elapsedMs: number;
  /**
   * CPU time this process used from the first send to the last echo (user + system), ms: near
   * elapsedMs means the client, not the server, may be what limits the rate.
   */
  clientCpuMs: number;
  /** Connect times of the connections, ms. */
  connectMs: LatencySummary;
  /** Round-trip times, ms. */
  latencyMs: LatencySummary;
}

/** Runs the round trips; rejects on the first mismatch, early close, stall or network error. */
export async function measureRoundTrips(options: RoundTripOptions): Promise<RoundTripReport> {
  const target = resolveTarget(options);
  const size = options.size ?? 64;
  const connections = options.connections ?? 1;
  const intervalMs = options.intervalMs ?? 0;
  const bounded = options.durationMs !== undefined || options.signal !== undefined;
  const count = options.count ?? (bounded ? 0 : 10);
  const limit = count === 0 ? Infinity : count;
  checkSize(size, 1, PATTERN_PERIOD);
  if (options.signal?.aborted === true) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", "stopped before the first round trip");
  }
  const recorder = new LoadRecorder(performance.now(), options.percentiles);
  let sentAt = new Float64Array(0);
  let lanes: EchoLane[] = [];
  let failure: TcpkitError | undefined;
  let stopping = false;
  let finished = 0;
  let lastEcho = 0;
  let onDone: () => void = () => {};
  const timers = new Set<NodeJS.Timeout>();

  const finishLane = (): void => {
    finished++;
    if (finished === lanes.length) onDone();
  };
  const sendNext = (lane: EchoLane, i: number): void => {
    if (stopping || failure !== undefined) {
      finishLane();
      return;
    }
    sentAt[i] = performance.now();
    lane.send();
  };
  lanes = await EchoLane.openMany(target, connections, size, {
    onEchoed(lane, _n, now) {
      const i = lane.index;
      const rtt = now - (sentAt[i] as number);
      lastEcho = now;
      recorder.record(rtt);
      options.onRoundTrip?.(i, lane.echoed - 1, rtt);
      if (lane.echoed >= limit || stopping) {
        finishLane();
      } else if (intervalMs > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          sendNext(lane, i);
        }, intervalMs);
        timers.add(timer);
      } else {
        sendNext(lane, i);
      }
    },
    onFailure(err) {
      failure ??= err;
      onDone();
    },
  });
  sentAt = new Float64Array(lanes.length);

  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  recorder.restart(started);
  const stopWatch = watchForStalls(lanes, target);
  const stopReports = every(options.reportIntervalMs, () => options.onInterval?.(recorder.flush()));
  let interrupted = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    interrupted = options.signal?.aborted === true;
    // Connections waiting out their interval end now; those awaiting an echo end with it.
    for (const timer of timers) {
      clearTimeout(timer);
      finishLane();
    }
    timers.clear();
  };
  const disposeStop = whenToStop(options, stop);
  try {
    await new Promise<void>((resolve) => {
      onDone = () => {
        if (failure !== undefined || finished === lanes.length) resolve();
      };
      lanes.forEach((lane, i) => sendNext(lane, i));
    });
  } finally {
    disposeStop();
    stopReports();
    stopWatch();
    for (const timer of timers) clearTimeout(timer);
    await Promise.all(lanes.map((lane) => lane.close()));
  }
  if (failure !== undefined) throw failure;
  const cpu = process.cpuUsage(cpuAtStart);
  const last = recorder.flush(lastEcho || started);
  if (options.reportIntervalMs !== undefined && last.count > 0) options.onInterval?.(last);
  const total = recorder.summary();
  const elapsedMs = Math.max(0, (lastEcho || started) - started);
  return {
    mode: "round-trips",
    host: target.host,
    port: target.port,
    connections: lanes.length,
    size,
    count: total.count,
    elapsedMs,
    ratePerSec: elapsedMs > 0 ? (total.count * 1000) / elapsedMs : 0,
    interrupted,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    connectMs: connectTimes(lanes, options.percentiles),
    latencyMs: total,
  };
}

/** The connect times of `lanes` as a summary. */
export function connectTimes(
  lanes: readonly EchoLane[],
  percentiles?: readonly number[],
): LatencySummary {
  const h = new LatencyHistogram();
  for (const lane of lanes) h.record(lane.connectMs);
  return h.summary(percentiles);
}
