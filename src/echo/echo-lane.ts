/**
 * One connection of the load modes (closed loop, open loop): it carries messages of `size` bytes
 * cut from the pattern stream (payload-pattern.ts), so message k is the stream's bytes
 * [k * size, (k + 1) * size) and every echoed byte is checked at its exact stream offset, which
 * also catches an echo that is stale, repeated or out of order.
 *
 * Reads use node:net's `onread` with one buffer shared by every lane: no Buffer per read, no
 * stream machinery, which is most of a Node client's cost per round trip. The buffer is only
 * looked at inside the callback, so sharing it is safe.
 */
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { connectEcho, type EchoTarget } from "./client-socket.js";
import { findPatternMismatch, patternAt } from "./payload-pattern.js";
import { TcpkitError, toNetworkError } from "../util/tcpkit-error.js";

const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

/** What a lane tells its mode. */
export interface LaneEvents {
  /** `count` more messages were echoed completely (called once per read). */
  onEchoed(lane: EchoLane, count: number, now: number): void;
  /** The lane failed (mismatch, close, network error); called at most once. */
  onFailure(err: TcpkitError): void;
}

export class EchoLane {
  /** Position among the lanes opened together (openMany). */
  index = 0;
  /** Messages written. */
  sent = 0;
  /** Messages echoed completely. */
  echoed = 0;
  /** When the last echoed byte arrived (performance.now()), for stall detection. */
  lastProgress = performance.now();
  private receivedBytes = 0;
  private failed = false;

  private constructor(
    readonly socket: Socket,
    readonly connectMs: number,
    private readonly target: EchoTarget,
    private readonly size: number,
    private readonly events: LaneEvents,
  ) {}

  /** Connects one lane; rejects like connectEcho. */
  static async open(target: EchoTarget, size: number, events: LaneEvents): Promise<EchoLane> {
    // The read callback is set before the lane exists; nothing arrives before the lane sends.
    const self: { lane?: EchoLane } = {};
    const { socket, connectMs } = await connectEcho(target, {
      buffer: sharedReadBuffer,
      callback: (n: number, buf: Uint8Array) => {
        self.lane?.onRead(n, buf);
        return true;
      },
    });
    const lane = new EchoLane(socket, connectMs, target, size, events);
    self.lane = lane;
    socket.on("error", (err) => lane.fail(toNetworkError(err, target.peer)));
    socket.on("end", () => lane.onEnd());
    return lane;
  }

  /**
   * Opens `count` lanes at once; if any fails, closes the others and rejects with the first
   * failure.
   */
  static async openMany(
    target: EchoTarget,
    count: number,
    size: number,
    events: LaneEvents,
  ): Promise<EchoLane[]> {
    const opened = await Promise.allSettled(
      Array.from({ length: count }, () => EchoLane.open(target, size, events)),
    );
    const lanes: EchoLane[] = [];
    let failure: unknown;
    for (const r of opened) {
      if (r.status === "fulfilled") lanes.push(r.value);
      else failure ??= r.reason;
    }
    if (failure !== undefined) {
      for (const lane of lanes) lane.socket.destroy();
      throw failure;
    }
    lanes.forEach((lane, i) => (lane.index = i));
    return lanes;
  }

  /** Messages sent and not yet echoed. */
  get outstanding(): number {
    return this.sent - this.echoed;
  }

  /** Bytes sent and not yet echoed. */
  get bytesInFlight(): number {
    return this.sent * this.size - this.receivedBytes;
  }

  /** Writes the next `count` messages (one write; corked when several). */
  send(count = 1): void {
    if (this.failed) return;
    if (this.outstanding === 0) this.lastProgress = performance.now();
    if (count > 1) this.socket.cork();
    for (let i = 0; i < count; i++) {
      this.socket.write(patternAt(this.sent * this.size, this.size));
      this.sent++;
    }
    if (count > 1) this.socket.uncork();
  }

  /**
   * Closes the connection (a half-close first, so the server sees a clean end) and resolves once
   * the server has closed its side too, or after `graceMs`. A measurement returns only then, so
   * the next one against a server that counts connections per client (--max-connections-per-ip)
   * does not find this one's connections still open there.
   */
  close(graceMs = 1000): Promise<void> {
    this.failed = true;
    const socket = this.socket;
    if (socket.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => socket.destroy(), graceMs);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      // No destroySoon(): that would close as soon as our FIN is out, before the server's.
      socket.end();
    });
  }

  /** Fails the lane with `err` (a stall seen by the mode's watchdog...). */
  fail(err: TcpkitError): void {
    if (this.failed) return;
    this.failed = true;
    this.socket.destroy();
    this.events.onFailure(err);
  }

  private onRead(n: number, buf: Uint8Array): void {
    if (this.failed) return;
    // Node hands back the buffer it was given (sharedReadBuffer); a view only if it did not.
    const chunk =
      buf === sharedReadBuffer ? sharedReadBuffer : Buffer.from(buf.buffer, buf.byteOffset, n);
    const sentBytes = this.sent * this.size;
    // The bytes that answer what was sent are checked first: a server that rewrites bytes
    // (and so may change their number) is reported as a mismatch, not as extra bytes.
    const expected = Math.min(n, sentBytes - this.receivedBytes);
    const bad = findPatternMismatch(chunk, this.receivedBytes, expected);
    if (bad !== -1) {
      const message = Math.floor(bad / this.size) + 1;
      this.fail(
        new TcpkitError(
          "ERR_ECHO_MISMATCH",
          `message ${message}: echoed byte ${bad % this.size} differs from the byte sent`,
        ),
      );
      return;
    }
    if (expected < n) {
      this.fail(
        new TcpkitError(
          "ERR_ECHO_MISMATCH",
          `${this.target.peer} sent back more bytes than were sent (${this.receivedBytes + n} > ${sentBytes})`,
        ),
      );
      return;
    }
    this.receivedBytes += n;
    const now = performance.now();
    this.lastProgress = now;
    const complete = Math.floor(this.receivedBytes / this.size);
    const count = complete - this.echoed;
    if (count > 0) {
      this.echoed = complete;
      this.events.onEchoed(this, count, now);
    }
  }

  private onEnd(): void {
    if (this.failed) return;
    this.fail(
      new TcpkitError(
        "ERR_CONNECTION_CLOSED",
        `connection closed by ${this.target.peer} after ${this.receivedBytes} of ${this.sent * this.size} bytes echoed`,
      ),
    );
  }
}

/**
 * Fails any lane that waits longer than the target's timeout for an echo, checking a few times
 * per timeout (one timer for all lanes, not one per message). Returns a disposer.
 */
export function watchForStalls(lanes: readonly EchoLane[], target: EchoTarget): () => void {
  const timer = setInterval(
    () => {
      const now = performance.now();
      for (const lane of lanes) {
        if (lane.outstanding > 0 && now - lane.lastProgress > target.timeoutMs) {
          lane.fail(
            new TcpkitError(
              "ERR_TIMEOUT",
              `no echo from ${target.peer} within ${target.timeoutMs / 1000} s (${lane.bytesInFlight} bytes outstanding)`,
            ),
          );
        }
      }
    },
    Math.max(10, Math.min(1000, target.timeoutMs / 4)),
  );
  return () => clearInterval(timer);
}
