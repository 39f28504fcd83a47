/**
 * The echo client's UDP mode: datagrams of `size` bytes at a fixed `rate` to an RFC 862 UDP echo
 * server, each carrying a run id, a sequence number and its send time, the rest a pattern window
 * chosen by those fields, so every echoed byte is checked (a changed header changes the pattern
 * it is checked against). Reports loss, duplicates, reordering, RFC 3550 jitter
 * (udp-sequence-stats.ts) and round-trip latencies.
 *
 * A datagram not back within `lingerMs` of the last send counts as lost.
 */
import { createSocket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { isIP, isIPv6 } from "node:net";
import { performance } from "node:perf_hooks";
import { resolveTarget, type EchoClientOptions } from "./client-socket.js";
import type { LatencySummary } from "./latency-histogram.js";
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
import { firstDifference, patternAt, PATTERN_PERIOD } from "./payload-pattern.js";
import { SendSchedule } from "./send-schedule.js";
import { UdpSequenceStats } from "./udp-sequence-stats.js";
import { isLocalhostName } from "../net/dial.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** Run id, sequence number, send time (ms since the run's start, float64). */
export const UDP_HEADER_BYTES = 16;
/** The largest UDP payload over IPv4. */
export const MAX_UDP_SIZE = 65_507;
/** Default wait for the last echoes after the last send, ms. */
export const DEFAULT_UDP_LINGER_MS = 2_000;

export interface UdpProbeOptions extends EchoClientOptions, LoadRunOptions {
  /** Datagrams per second. */
  rate: number;
  /** Datagrams in all (default: until durationMs or the signal ends the run). */
  count?: number;
  /** Bytes per datagram, 16 to 65,507 (default 64). */
  size?: number;
  /** How long to wait for echoes after the last send, ms (default 2,000). */
  lingerMs?: number;
  onInterval?: (report: IntervalReport & { sent: number }) => void;
}

export interface UdpProbeReport extends LoadReportBase {
  mode: "udp";
  rate: number;
  sent: number;
  /** Distinct datagrams echoed. */
  count: number;
  lost: number;
  /** lost / sent, percent. */
  lossPercent: number;
  duplicates: number;
  reordered: number;
  /** RFC 3550 interarrival jitter of the round trips, ms. */
  jitterMs: number;
  elapsedMs: number;
  /** Datagrams sent per second. */
  sentRatePerSec: number;
  latencyMs: LatencySummary;
}

/** Runs the UDP measurement; rejects on a wrong echoed byte or a network error. */
export async function measureUdp(options: UdpProbeOptions): Promise<UdpProbeReport> {
  const target = resolveTarget(options);
  const size = options.size ?? 64;
  const rate = options.rate;
  // A duration is a number of scheduled sends, rate x duration, as in the open loop: the send
  // due at the very end raced the duration's timer and went out too (101 at 100/s for 1 s).
  const total = Math.min(
    options.count ?? Infinity,
    options.durationMs === undefined ? Infinity : Math.ceil((options.durationMs * rate) / 1000),
  );
  const lingerMs = options.lingerMs ?? DEFAULT_UDP_LINGER_MS;
  checkSize(size, UDP_HEADER_BYTES, MAX_UDP_SIZE, "UDP size");
  if (!(rate > 0) || !Number.isFinite(rate)) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", "rate must be a number of datagrams above 0");
  }
  checkBounded(total, options, "UDP");
  const address = await resolveUdpAddress(target.host, target.peer);
  const socket = createSocket({ type: isIPv6(address) ? "udp6" : "udp4" });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", (err) => reject(udpError(err, target.peer)));
    socket.connect(target.port, address, () => resolve());
  });

  const runId = (Math.random() * 2 ** 32) >>> 0;
  const stats = new UdpSequenceStats();
  const started = performance.now();
  const recorder = new LoadRecorder(started, options.percentiles);
  let failure: TcpkitError | undefined;
  let sent = 0;
  let lastSend = started;
  let stopping = false;
  let interrupted = false;
  let finish: () => void = () => {};

  socket.removeAllListeners("error");
  socket.on("error", (err) => {
    failure ??= udpError(err, target.peer);
    finish();
  });
  socket.on("message", (msg: Buffer) => {
    const now = performance.now();
    const problem = checkDatagram(msg, size, runId, sent);
    if (problem === "foreign") return;
    if (problem !== undefined) {
      failure ??= new TcpkitError("ERR_ECHO_MISMATCH", problem);
      finish();
      return;
    }
    const transit = now - (started + msg.readDoubleBE(8));
    if (stats.arrive(msg.readUInt32BE(4), transit)) recorder.record(transit);
    if (stopping && stats.received === sent) finish();
  });

  let sentAtLastReport = 0;
  let lingering: NodeJS.Timeout | undefined;
  const schedule = new SendSchedule(started, rate, total, {
    onDue(k) {
      socket.send(datagram(runId, k, performance.now() - started, size));
      sent = k + 1;
      lastSend = performance.now();
    },
    onEnd() {
      // Wait for the last echoes, at most lingerMs.
      stopping = true;
      if (failure !== undefined || stats.received === sent) finish();
      else lingering = setTimeout(() => finish(), lingerMs);
    },
  });
  const stopReports = every(options.reportIntervalMs, () => {
    options.onInterval?.({ ...recorder.flush(), sent: sent - sentAtLastReport });
    sentAtLastReport = sent;
  });
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
      finish = () => {
        if (lingering !== undefined) clearTimeout(lingering);
        schedule.dispose();
        resolve();
      };
      schedule.tick();
    });
  } finally {
    schedule.dispose();
    if (lingering !== undefined) clearTimeout(lingering);
    disposeStop();
    stopReports();
    socket.close();
  }
  if (failure !== undefined) throw failure;
  const last = recorder.flush();
  if (options.reportIntervalMs !== undefined && (last.count > 0 || sent > sentAtLastReport)) {
    options.onInterval?.({ ...last, sent: sent - sentAtLastReport });
  }
  const lost = stats.lost(sent);
  const sendingMs = lastSend - started;
  return {
    mode: "udp",
    host: target.host,
    port: target.port,
    size,
    rate,
    sent,
    count: stats.received,
    lost,
    lossPercent: sent > 0 ? (lost * 100) / sent : 0,
    duplicates: stats.duplicates,
    reordered: stats.reordered,
    jitterMs: stats.jitterMs,
    elapsedMs: sendingMs,
    ratePerSec: sendingMs > 0 ? (stats.received * 1000) / sendingMs : 0,
    sentRatePerSec: sendingMs > 0 ? ((sent - 1) * 1000) / sendingMs : 0,
    interrupted,
    latencyMs: recorder.summary(),
  };
}

/** Datagram `seq` of run `runId`, sent `sentMs` after the start. */
export function datagram(runId: number, seq: number, sentMs: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  b.writeUInt32BE(runId, 0);
  b.writeUInt32BE(seq >>> 0, 4);
  b.writeDoubleBE(sentMs, 8);
  patternAt(fillOffset(b), size - UDP_HEADER_BYTES).copy(b, UDP_HEADER_BYTES);
  return b;
}

/**
 * Why an echoed datagram is wrong, "foreign" for one of another run (ignored), or undefined
 * when it is one this run sent, intact.
 */
export function checkDatagram(
  msg: Buffer,
  size: number,
  runId: number,
  sent: number,
): string | undefined {
  const otherRun = msg.length >= 4 && msg.readUInt32BE(0) !== runId;
  // Only a whole datagram of another run (a late echo to a port this run got again) is not
  // ours: anything else the server sends is a wrong echo, ours with a changed run id included
  // (it was ignored, so a server that changed it was reported as losing the datagram).
  if (otherRun && isWholeDatagram(msg)) return "foreign";
  if (msg.length !== size) return `a ${msg.length}-byte datagram came back for a ${size}-byte one`;
  const seq = msg.readUInt32BE(4);
  if (seq >= sent) return `datagram ${seq + 1} came back but was never sent`;
  if (otherRun) {
    const ours = Buffer.allocUnsafe(4);
    ours.writeUInt32BE(runId, 0);
    return `datagram ${seq + 1}: echoed byte ${firstDifference(msg.subarray(0, 4), ours)} differs from the byte sent`;
  }
  const want = patternAt(fillOffset(msg), size - UDP_HEADER_BYTES);
  const got = msg.subarray(UDP_HEADER_BYTES);
  if (!got.equals(want)) {
    return `datagram ${seq + 1}: echoed byte ${UDP_HEADER_BYTES + firstDifference(got, want)} differs from the byte sent`;
  }
  return undefined;
}

/** Whether `msg` is a datagram as datagram() makes them, of any run: its payload fits its header. */
function isWholeDatagram(msg: Buffer): boolean {
  if (msg.length < UDP_HEADER_BYTES) return false;
  const want = patternAt(fillOffset(msg), msg.length - UDP_HEADER_BYTES);
  return msg.subarray(UDP_HEADER_BYTES).equals(want);
}

/** The pattern offset a datagram's payload starts at: a mix of its header's 16 bytes. */
function fillOffset(b: Buffer): number {
  let x = 0x811c9dc5;
  for (let i = 0; i < UDP_HEADER_BYTES; i += 4) x = Math.imul(x ^ b.readUInt32BE(i), 0x01000193);
  return (x >>> 0) % PATTERN_PERIOD;
}

async function resolveUdpAddress(host: string, peer: string): Promise<string> {
  const bare = host.replace(/^\[|\]$/g, "");
  if (isIP(bare) !== 0) return bare;
  if (isLocalhostName(bare)) return "127.0.0.1";
  try {
    return (await lookup(bare)).address;
  } catch (err) {
    throw new TcpkitError("ERR_HOST_NOT_FOUND", `host not found: ${peer}`, { cause: err });
  }
}

function udpError(err: unknown, peer: string): TcpkitError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED") {
    return new TcpkitError(
      "ERR_CONNECT_REFUSED",
      `nothing answers UDP at ${peer} (port unreachable)`,
      {
        cause: err,
      },
    );
  }
  const text = err instanceof Error ? err.message : String(err);
  return new TcpkitError("ERR_NETWORK", `network error with ${peer} (udp): ${text}`, {
    cause: err,
  });
}
