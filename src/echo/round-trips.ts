/**
 * The echo client's round-trip mode, like ping over TCP: one connection, `count` payloads of
 * `size` bytes sent one at a time, each timed until its last byte is back and checked byte for
 * byte. The connect time is reported apart from the round trips.
 */
import { performance } from "node:perf_hooks";
import { connectEcho, resolveTarget, type EchoClientOptions } from "./client-socket.js";
import { EchoReceiver } from "./echo-receiver.js";
import { summarizeLatencies, type LatencySummary } from "./latency-stats.js";
import { findPatternMismatch, patternAt, PATTERN_PERIOD } from "./payload-pattern.js";
import { TcpkitError } from "../util/tcpkit-error.js";

export interface RoundTripOptions extends EchoClientOptions {
  /** Number of round trips (default 10). */
  count?: number;
  /** Pause between the end of one round trip and the next send, ms (default 1000, like ping). */
  intervalMs?: number;
  /** Payload bytes per round trip (default 64, at most 65,521). */
  size?: number;
  /** Called after each round trip. */
  onRoundTrip?: (index: number, rttMs: number) => void;
}

export interface RoundTripReport {
  host: string;
  port: number;
  size: number;
  count: number;
  connectMs: number;
  /** Round-trip times in ms: min / avg / p50 / p90 / p99 / max / stddev. */
  rtt: LatencySummary;
  /** Every round trip's time, ms, in order. */
  samples: number[];
}

/** Runs the round trips; rejects on the first mismatch, early close, timeout or network error. */
export async function measureRoundTrips(options: RoundTripOptions): Promise<RoundTripReport> {
  const target = resolveTarget(options);
  const count = options.count ?? 10;
  const size = options.size ?? 64;
  const intervalMs = options.intervalMs ?? 1000;
  if (size < 1 || size > PATTERN_PERIOD) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `size must be 1 to ${PATTERN_PERIOD} bytes`);
  }
  const { socket, connectMs } = await connectEcho(target);
  const receiver = new EchoReceiver(socket, target);
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      if (i > 0 && intervalMs > 0) await new Promise((r) => setTimeout(r, intervalMs));
      // A different window of the pattern each time, so a stale echo cannot pass as this one.
      const offset = (i * 7919) % PATTERN_PERIOD;
      const payload = patternAt(offset, size);
      const started = performance.now();
      socket.write(payload);
      const echoed = await receiver.read(size);
      const rtt = performance.now() - started;
      const bad = findPatternMismatch(echoed, offset);
      if (bad !== -1) {
        throw new TcpkitError(
          "ERR_ECHO_MISMATCH",
          `round trip ${i + 1}: echoed byte ${bad - offset} differs from the byte sent`,
        );
      }
      samples.push(rtt);
      options.onRoundTrip?.(i, rtt);
    }
    if (receiver.pending > 0) {
      throw new TcpkitError(
        "ERR_ECHO_MISMATCH",
        `${target.peer} sent back ${receiver.pending} bytes more than were sent`,
      );
    }
  } finally {
    socket.end();
    socket.destroySoon();
  }
  return {
    host: target.host,
    port: target.port,
    size,
    count,
    connectMs,
    rtt: summarizeLatencies(samples),
    samples,
  };
}
