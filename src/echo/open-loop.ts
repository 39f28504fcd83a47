/**
 * The echo client's open-loop mode: messages go out on a fixed schedule, `rate` per second spread
 * evenly over the connections (message k at start + k / rate, on connection k mod N), whether
 * or not earlier echoes came back, and each latency is measured from the message's *scheduled*
 * send time to its last echoed byte. That is wrk2's correction for coordinated omission: when the
 * server stalls for 200 ms, every message that should have gone out during the stall is counted
 * as late by what a user arriving at that moment would have waited, so the stall fills the tail
 * instead of being one sample.
 *
 * TCP keeps the echoes in order, so a connection's messages complete first in, first out.
 * At most `windowBytes` are in flight per connection: past it a due message waits (and its
 * latency, counted from its schedule, grows), so a server that stops reading never makes the
 * client buffer without bound. The client's own lateness (actual send minus schedule) is
 * reported apart, so a client that cannot keep up is seen, not mistaken for the server.
 */
import { performance } from "node:perf_hooks";
import { DEFAULT_WINDOW_BYTES, resolveTarget, type EchoClientOptions } from "./client-socket.js";
import { EchoLane, watchForStalls } from "./echo-lane.js";
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
import { PATTERN_PERIOD } from "./payload-pattern.js";
import { SendSchedule } from "./send-schedule.js";
import { connectTimes } from "./round-trips.js";
import { TcpkitError } from "../util/tcpkit-error.js";

export interface OpenLoopOptions extends EchoClientOptions, LoadRunOptions {
  /** Messages per second, all connections together. */
  rate: number;
  /** Connections (default 1). */
  connections?: number;
  /** Messages in all (default: until durationMs or the signal ends the run). */
  count?: number;
  /** Payload bytes per message (default 64, at most 65,521). */
  size?: number;
  /** Most bytes in flight per connection (default DEFAULT_WINDOW_BYTES). */
  windowBytes?: number;
  onInterval?: (report: IntervalReport) => void;
}

export interface OpenLoopReport extends LoadReportBase {
  mode: "open-loop";
  connections: number;
  /** The requested rate, messages/s. */
  rate: number;
  /** Messages sent / the time from the first scheduled send to the last actual one. */
  sentRatePerSec: number;
  /** Messages sent. */
  sent: number;
  /** Messages echoed (all of those sent, or the run failed). */
  count: number;
  /** From the first scheduled send to the last echo, ms. */
  elapsedMs: number;
  connectMs: LatencySummary;
  /** From each message's scheduled send to its last echoed byte, ms. */
  latencyMs: LatencySummary;
  /** How late the client itself sent each message (actual send minus schedule), ms. */
  sendLagMs: LatencySummary;
}

/** Scheduled send times of one connection's messages, oldest first. */
class TimeQueue {
  private items: number[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(t: number): void {
    this.items.push(t);
  }

  peek(offset = 0): number {
    return this.items[this.head + offset] as number;
  }

  shift(): number {
    const t = this.items[this.head++] as number;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return t;
  }
}

/** Runs the open-loop load; rejects on a mismatch, early close, stall or network error. */
export async function measureOpenLoop(options: OpenLoopOptions): Promise<OpenLoopReport> {
  const target = resolveTarget(options);
  const size = options.size ?? 64;
  const rate = options.rate;
  const windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
  // A duration is a number of scheduled sends: rate x duration, however the timers fall.
  const total = Math.min(
    options.count ?? Infinity,
    options.durationMs === undefined ? Infinity : Math.ceil((options.durationMs * rate) / 1000),
  );
  if (!(rate > 0) || !Number.isFinite(rate)) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", "rate must be a number of messages above 0");
  }
  checkSize(size, 1, PATTERN_PERIOD);
  checkBounded(total, options, "open loop");
  const recorder = new LoadRecorder(performance.now(), options.percentiles);
  let failure: TcpkitError | undefined;
  let lastEcho = 0;
  /** When the last message was written. */
  let lastSend = 0;
  let wake: () => void = () => {};
  /** Per connection: scheduled times of messages written, and of messages due but not written. */
  const inFlight: TimeQueue[] = [];
  const waiting: TimeQueue[] = [];
  const sendLag = new LatencyHistogram();

  const lanes = await EchoLane.openMany(target, options.connections ?? 1, size, {
    onEchoed(lane, n, now) {
      const i = lane.index;
      const queue = inFlight[i] as TimeQueue;
      for (let k = 0; k < n; k++) recorder.record(now - queue.shift());
      lastEcho = now;
      flushWaiting(lane, i);
      wake();
    },
    onFailure(err) {
      failure ??= err;
      wake();
    },
  });
  for (let i = 0; i < lanes.length; i++) {
    inFlight.push(new TimeQueue());
    waiting.push(new TimeQueue());
  }

  /** Writes as many of a connection's due messages as its window allows. */
  function flushWaiting(lane: EchoLane, i: number): void {
    const queue = waiting[i] as TimeQueue;
    let n = 0;
    while (n < queue.length && lane.bytesInFlight + (n + 1) * size <= windowBytes) n++;
    if (n === 0) return;
    const now = performance.now();
    for (let k = 0; k < n; k++) {
      const scheduled = queue.shift();
      sendLag.record(now - scheduled);
      (inFlight[i] as TimeQueue).push(scheduled);
    }
    lane.send(n);
    lastSend = now;
  }

  const started = performance.now();
  recorder.restart(started);
  lastSend = started;
  let interrupted = false;
  let scheduleEnded = false;
  const touched = new Set<number>();
  const schedule = new SendSchedule(started, rate, total, {
    onDue(k, dueAt) {
      const i = k % lanes.length;
      (waiting[i] as TimeQueue).push(dueAt);
      touched.add(i);
    },
    onBatch() {
      for (const i of touched) flushWaiting(lanes[i] as EchoLane, i);
      touched.clear();
    },
    onEnd() {
      scheduleEnded = true;
      wake();
    },
  });

  const stopWatch = watchForStalls(lanes, target);
  const stopReports = every(options.reportIntervalMs, () => options.onInterval?.(recorder.flush()));
  // Only the signal ends the schedule early: the duration is already its count of sends, and
  // a timer for it, counted from the event loop's cached time, could fire before the last
  // sends fell due (993 of 1,000 at 1,000/s for 1 s).
  const onlySignal = options.signal === undefined ? {} : { signal: options.signal };
  const disposeStop = whenToStop(onlySignal, () => {
    interrupted = options.signal?.aborted === true;
    schedule.stop();
  });

  try {
    await new Promise<void>((resolve) => {
      wake = () => {
        if (failure !== undefined) {
          schedule.stop();
          resolve();
        } else if (
          scheduleEnded &&
          lanes.every((lane, i) => lane.outstanding === 0 && waiting[i]?.length === 0)
        ) {
          resolve();
        }
      };
      schedule.tick();
    });
  } finally {
    schedule.dispose();
    disposeStop();
    stopReports();
    stopWatch();
    await Promise.all(lanes.map((lane) => lane.close()));
  }
  if (failure !== undefined) throw failure;
  const end = lastEcho || started;
  const last = recorder.flush(end);
  if (options.reportIntervalMs !== undefined && last.count > 0) options.onInterval?.(last);
  const latency = recorder.summary();
  const sent = lanes.reduce((n, lane) => n + lane.sent, 0);
  const sendingMs = Math.max(lastSend - started, schedule.dueAt(sent - 1) - started);
  const elapsedMs = Math.max(0, end - started);
  return {
    mode: "open-loop",
    host: target.host,
    port: target.port,
    connections: lanes.length,
    size,
    rate,
    sentRatePerSec: sendingMs > 0 ? ((sent - 1) * 1000) / sendingMs : 0,
    sent,
    count: latency.count,
    elapsedMs,
    ratePerSec: elapsedMs > 0 ? (latency.count * 1000) / elapsedMs : 0,
    interrupted,
    connectMs: connectTimes(lanes, options.percentiles),
    latencyMs: latency,
    sendLagMs: sendLag.summary(options.percentiles),
  };
}
