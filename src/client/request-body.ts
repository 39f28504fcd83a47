/**
 * Writing a request body to a socket: a byte range of a file (read into a few reused buffers, so
 * a 1 GiB upload holds a few MiB however fast or slow the peer is) or a stream sent chunked
 * (RFC 9112 §7.1). Both wait for the socket to drain (backpressure), give up when the peer takes
 * no byte for `stallMs`, stop when `signal` fires, and can be held to a byte rate.
 */
import type { FileHandle } from "node:fs/promises";
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { TcpkitError } from "../util/tcpkit-error.js";
import { seconds } from "./connect.js";

/** Bytes per read and write of a file body: large writes keep the per-write cost low. */
export const FILE_CHUNK_BYTES = 1024 * 1024;
/** File buffers in flight: one being read while others are written. */
const BUFFERS = 3;

/** What every body writer is told. */
export interface BodyWriteControl {
  /** "host:port", for messages. */
  readonly peer: string;
  /** Longest wait for the peer to take bytes before ERR_TIMEOUT. */
  readonly stallMs: number;
  /** Stop writing (resolves early, quietly) when it fires: the response came, or the user gave up. */
  readonly signal: AbortSignal;
  /** Body bytes handed to the kernel so far, called as they go. */
  readonly onBytes?: (sent: number) => void;
  /** At most this many bytes a second (0 or absent: no limit). */
  readonly bytesPerSecond?: number;
}

/**
 * Follows one socket while a body is written: completed writes, 'drain', close, the stall
 * deadline and the stop signal all wake the writer; a failure is kept and thrown by wait().
 */
class SocketWatch {
  private wake: (() => void) | undefined;
  private failure: TcpkitError | undefined;
  private lastProgress = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private pendingWrites = 0;
  sent = 0;

  constructor(
    private readonly socket: Socket,
    private readonly control: BodyWriteControl,
  ) {
    socket.on("drain", this.notify);
    socket.on("close", this.onClose);
    control.signal.addEventListener("abort", this.notify);
    this.armStall(control.stallMs);
  }

  get stopped(): boolean {
    return this.control.signal.aborted;
  }

  /** Writes `chunk`; `done` is called once the kernel has it. Returns false when the socket is full. */
  write(chunk: Buffer | string, done?: () => void): boolean {
    this.pendingWrites++;
    const bytes = typeof chunk === "string" ? 0 : chunk.length;
    return this.socket.write(chunk, (err) => {
      this.pendingWrites--;
      if (err === undefined || err === null) {
        this.lastProgress = Date.now();
        if (bytes > 0) {
          this.sent += bytes;
          this.control.onBytes?.(this.sent);
        }
        done?.();
      }
      this.notify();
    });
  }

  /** Resolves at the next event; throws the failure, if any. */
  async wait(): Promise<void> {
    this.check();
    if (this.stopped) return;
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.check();
  }

  /** Waits until every write has reached the kernel (or the writer was stopped). */
  async flushed(): Promise<void> {
    while (this.pendingWrites > 0 && !this.stopped) await this.wait();
    this.check();
  }

  /** Waits for 'drain' when the last write filled the socket. */
  async drained(full: boolean): Promise<void> {
    if (!full) return;
    while (this.socket.writableNeedDrain && !this.stopped) await this.wait();
  }

  /** Sleeps as long as the rate limit needs after `sent` bytes in `elapsedMs`. */
  async pace(startedAt: number): Promise<void> {
    const rate = this.control.bytesPerSecond ?? 0;
    if (rate <= 0) return;
    const due = startedAt + (this.sent * 1000) / rate - Date.now();
    if (due > 0) await sleep(due, undefined, { signal: this.control.signal }).catch(() => {});
    this.lastProgress = Date.now();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.socket.off("drain", this.notify);
    this.socket.off("close", this.onClose);
    this.control.signal.removeEventListener("abort", this.notify);
  }

  private readonly notify = (): void => {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  };

  private readonly onClose = (): void => {
    this.failure ??= new TcpkitError(
      "ERR_CONNECTION_CLOSED",
      `${this.control.peer} closed the connection after ${this.sent} body bytes`,
    );
    this.notify();
  };

  private check(): void {
    if (this.failure !== undefined && !this.stopped) throw this.failure;
  }

  private armStall(ms: number): void {
    this.timer = setTimeout(() => {
      const left = this.lastProgress + this.control.stallMs - Date.now();
      if (left > 0 || this.pendingWrites === 0) {
        this.armStall(Math.max(left, 1000));
        return;
      }
      this.failure ??= new TcpkitError(
        "ERR_TIMEOUT",
        `${this.control.peer} took no body bytes for ${seconds(this.control.stallMs)} (after ${this.sent})`,
      );
      this.notify();
    }, ms);
    this.timer.unref();
  }
}

/**
 * Writes bytes `start` to `end` (exclusive) of `file` to `socket`. Throws ERR_FILE when the file
 * ends early (it shrank since its size was taken), ERR_TIMEOUT, ERR_CONNECTION_CLOSED.
 */
export async function writeFileBody(
  socket: Socket,
  file: FileHandle,
  start: number,
  end: number,
  control: BodyWriteControl,
): Promise<void> {
  const watch = new SocketWatch(socket, control);
  // With a rate limit, smaller pieces keep the pace even (about ten a second).
  const rate = control.bytesPerSecond ?? 0;
  const size =
    rate > 0 ? Math.max(16 * 1024, Math.min(FILE_CHUNK_BYTES, rate / 10)) : FILE_CHUNK_BYTES;
  const free: Buffer[] = [];
  for (let i = 0; i < BUFFERS; i++) free.push(Buffer.allocUnsafe(size));
  const startedAt = Date.now();
  try {
    let position = start;
    while (position < end && !watch.stopped) {
      let buffer = free.pop();
      while (buffer === undefined && !watch.stopped) {
        await watch.wait();
        buffer = free.pop();
      }
      if (buffer === undefined) break;
      const want = Math.min(buffer.length, end - position);
      const { bytesRead } = await file.read(buffer, 0, want, position);
      if (bytesRead === 0) {
        throw new TcpkitError(
          "ERR_FILE",
          `the file ended at byte ${position} of ${end}: it changed while being sent`,
        );
      }
      position += bytesRead;
      const piece = buffer;
      const full = !watch.write(piece.subarray(0, bytesRead), () => free.push(piece));
      await watch.drained(full);
      await watch.pace(startedAt);
    }
    await watch.flushed();
  } finally {
    watch.dispose();
  }
}

/**
 * Writes `stream` to `socket` as a chunked body (RFC 9112 §7.1): each chunk as it comes, then the
 * last chunk. Throws ERR_FILE when the stream fails, ERR_TIMEOUT, ERR_CONNECTION_CLOSED.
 */
export async function writeChunkedBody(
  socket: Socket,
  stream: Readable,
  control: BodyWriteControl,
): Promise<void> {
  const watch = new SocketWatch(socket, control);
  const startedAt = Date.now();
  try {
    const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    for (;;) {
      if (watch.stopped) return;
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (err) {
        throw new TcpkitError("ERR_FILE", `cannot read the body: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (next.done === true) break;
      const chunk = next.value;
      if (chunk.length === 0) continue;
      socket.cork();
      watch.write(`${chunk.length.toString(16)}\r\n`);
      watch.write(chunk);
      const full = !watch.write("\r\n");
      process.nextTick(() => socket.uncork());
      await watch.drained(full);
      await watch.pace(startedAt);
    }
    watch.write("0\r\n\r\n");
    await watch.flushed();
  } finally {
    watch.dispose();
  }
}
