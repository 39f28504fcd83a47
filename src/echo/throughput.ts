/**
 * The echo client's throughput mode: `connections` connections each write a pattern stream
 * while reading the echo back at the same time, until a byte budget or a duration is spent.
 * Every echoed byte is checked against the pattern; MB/s is reported each way (MB = 10^6 B).
 */
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import {
  connectEcho,
  DEFAULT_WINDOW_BYTES,
  resolveTarget,
  type EchoClientOptions,
  type EchoTarget,
} from "./client-socket.js";
import { findPatternMismatch, patternAt } from "./payload-pattern.js";
import { TcpkitError, toNetworkError } from "../util/tcpkit-error.js";

export interface ThroughputOptions extends EchoClientOptions {
  /** Total bytes to send, split evenly across the connections. */
  bytes?: number;
  /** Or: keep sending for this long, ms. One of bytes / durationMs is required. */
  durationMs?: number;
  /** Parallel connections (default 1). */
  connections?: number;
  /** Most bytes sent but not yet echoed, per connection (default DEFAULT_WINDOW_BYTES). */
  windowBytes?: number;
  /** Stop sending when this aborts (the CLI's Ctrl-C); what is in flight is awaited. */
  signal?: AbortSignal;
  /** Called about every 250 ms with the bytes moved so far. */
  onProgress?: (progress: ThroughputProgress) => void;
}

export interface ThroughputProgress {
  bytesSent: number;
  bytesReceived: number;
  elapsedMs: number;
  /** The byte budget, when given. */
  totalBytes?: number;
}

export interface ThroughputReport {
  host: string;
  port: number;
  connections: number;
  /** True if the signal stopped the run early. */
  interrupted: boolean;
  bytesSent: number;
  bytesReceived: number;
  /** Slowest connect of all connections, ms. */
  connectMs: number;
  /** From the start of sending to the last byte written, ms. */
  sendMs: number;
  /** From the start of sending to the last byte echoed, ms. */
  receiveMs: number;
  /** Megabytes (10^6 bytes) per second sent. */
  sendMBps: number;
  /** Megabytes per second echoed back. */
  receiveMBps: number;
}

/** Bytes per write: large enough that per-call overhead is small, a window of the pattern. */
const WRITE_CHUNK = 64 * 1024;

/** Runs the throughput measurement; rejects on a mismatch, early close, stall or network error. */
export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputReport> {
  const target = resolveTarget(options);
  const connections = options.connections ?? 1;
  const windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
  if (options.bytes === undefined && options.durationMs === undefined) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", "throughput needs a byte count or a duration");
  }
  const opened = await Promise.allSettled(
    Array.from({ length: connections }, () => connectEcho(target)),
  );
  const failed = opened.find((r) => r.status === "rejected");
  if (failed !== undefined) {
    for (const r of opened) if (r.status === "fulfilled") r.value.socket.destroy();
    throw (failed as PromiseRejectedResult).reason;
  }
  const conns = opened.map(
    (r) => (r as PromiseFulfilledResult<{ socket: Socket; connectMs: number }>).value,
  );
  const connectMs = Math.max(...conns.map((c) => c.connectMs));

  const started = performance.now();
  const until = {
    deadline: options.durationMs === undefined ? Infinity : started + options.durationMs,
  };
  const onAbort = (): void => void (until.deadline = 0);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const total = options.bytes;
  const budgetOf = (i: number): number =>
    total === undefined
      ? Infinity
      : Math.floor(total / connections) + (i < total % connections ? 1 : 0);
  const totals = { sent: 0, received: 0, lastWrite: started, lastRead: started };
  const progress = options.onProgress;
  const ticker =
    progress === undefined
      ? undefined
      : setInterval(() => {
          progress({
            bytesSent: totals.sent,
            bytesReceived: totals.received,
            elapsedMs: performance.now() - started,
            ...(options.bytes === undefined ? {} : { totalBytes: options.bytes }),
          });
        }, 250);
  try {
    await Promise.all(
      conns.map((c, i) => streamOne(c.socket, target, budgetOf(i), until, windowBytes, totals)),
    );
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    if (ticker !== undefined) clearInterval(ticker);
    for (const c of conns) c.socket.destroy();
  }
  const sendMs = totals.lastWrite - started;
  const receiveMs = totals.lastRead - started;
  return {
    host: target.host,
    port: target.port,
    connections,
    interrupted: options.signal?.aborted === true,
    bytesSent: totals.sent,
    bytesReceived: totals.received,
    connectMs,
    sendMs,
    receiveMs,
    sendMBps: sendMs > 0 ? totals.sent / 1000 / sendMs : 0,
    receiveMBps: receiveMs > 0 ? totals.received / 1000 / receiveMs : 0,
  };
}

interface Totals {
  sent: number;
  received: number;
  lastWrite: number;
  lastRead: number;
}

/** One connection: write up to `budget` bytes (or until the deadline) while verifying the echo. */
function streamOne(
  socket: Socket,
  target: EchoTarget,
  budget: number,
  until: { deadline: number },
  windowBytes: number,
  totals: Totals,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = 0;
    let writing = true;
    let settled = false;
    const finish = (err?: TcpkitError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(stall);
      if (err === undefined) resolve();
      else reject(err);
    };
    const stall = setTimeout(function onStall() {
      finish(
        new TcpkitError(
          "ERR_TIMEOUT",
          `no echo from ${target.peer} within ${target.timeoutMs / 1000} s (${received} of ${sent} bytes back)`,
        ),
      );
    }, target.timeoutMs);

    const stopWriting = (): void => {
      writing = false;
      totals.lastWrite = Math.max(totals.lastWrite, performance.now());
      if (received === sent) finish();
    };
    let socketFull = false;
    // A small window refills on every echoed chunk: the new data carries the ACK at once, where
    // waiting would meet the peer's Nagle delay against our delayed ACK (40 ms per stall).
    const refillAt = Math.min(WRITE_CHUNK, windowBytes / 8);
    const pump = (): void => {
      while (writing && !socketFull) {
        if (sent >= budget || performance.now() >= until.deadline) {
          stopWriting();
          return;
        }
        const room = windowBytes - (sent - received);
        if (room <= 0) return; // the echo brings the window back
        const chunk = patternAt(sent, Math.min(WRITE_CHUNK, budget - sent, room));
        sent += chunk.length;
        totals.sent += chunk.length;
        // Wait for 'drain' when the socket's queue is full: memory stays bounded.
        if (!socket.write(chunk)) socketFull = true;
      }
    };
    socket.on("drain", () => {
      socketFull = false;
      pump();
    });
    socket.on("data", (chunk: Buffer) => {
      stall.refresh();
      if (received + chunk.length > sent) {
        finish(
          new TcpkitError(
            "ERR_ECHO_MISMATCH",
            `${target.peer} sent back more bytes than were sent (${received + chunk.length} > ${sent})`,
          ),
        );
        return;
      }
      const bad = findPatternMismatch(chunk, received);
      if (bad !== -1) {
        finish(
          new TcpkitError("ERR_ECHO_MISMATCH", `echoed byte ${bad} differs from the byte sent`),
        );
        return;
      }
      received += chunk.length;
      totals.received += chunk.length;
      totals.lastRead = performance.now();
      if (!writing && received === sent) finish();
      // Refill once a useful amount of window is free, not per echoed chunk.
      else if (windowBytes - (sent - received) >= refillAt) pump();
    });
    socket.on("error", (err) => finish(toNetworkError(err, target.peer)));
    socket.on("end", () => {
      if (received < sent || writing) {
        finish(
          new TcpkitError(
            "ERR_CONNECTION_CLOSED",
            `connection closed by ${target.peer} after ${received} of ${sent} bytes echoed`,
          ),
        );
      }
    });
    pump();
  });
}
