/**
 * Reading echoed bytes in exact amounts: "wait until n more bytes came back", with a timeout
 * and a clear error when the server closes or resets first. Used by the message and
 * round-trip modes (the throughput mode checks bytes as they stream instead).
 */
import type { Socket } from "node:net";
import type { EchoTarget } from "./client-socket.js";
import { TcpkitError, toNetworkError } from "../util/tcpkit-error.js";

interface Waiter {
  length: number;
  resolve: (bytes: Buffer) => void;
  reject: (err: TcpkitError) => void;
  timer: NodeJS.Timeout;
}

export class EchoReceiver {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private waiter: Waiter | undefined;
  /** Set once the connection can deliver no more bytes: why (null for a plain close). */
  private failure: TcpkitError | null | undefined;
  /** Bytes handed out by read() so far. */
  private consumed = 0;
  /** Set by extraBeforeClose while it waits for the end of the connection. */
  private onClosed: (() => void) | undefined;

  constructor(
    socket: Socket,
    private readonly target: EchoTarget,
  ) {
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      this.settle();
    });
    socket.on("end", () => this.fail(null));
    socket.on("error", (err) => this.fail(toNetworkError(err, target.peer)));
    socket.on("close", () => this.fail(null));
  }

  /** Bytes received but not read yet (more than the server should have sent, if > 0 at the end). */
  get pending(): number {
    return this.buffered;
  }

  /**
   * Resolves with exactly `length` bytes, or rejects with ERR_CONNECTION_CLOSED (the server
   * closed first), ERR_TIMEOUT (nothing complete within the target's timeout) or a network error.
   * One read at a time.
   */
  read(length: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        const seconds = this.target.timeoutMs / 1000;
        reject(
          new TcpkitError(
            "ERR_TIMEOUT",
            `no echo from ${this.target.peer} within ${seconds} s (${this.buffered} of ${length} bytes back)`,
          ),
        );
      }, this.target.timeoutMs);
      this.waiter = { length, resolve, reject, timer };
      this.settle();
    });
  }

  /**
   * After the last expected byte, with our side half-closed: waits up to `ms` for the server to
   * close, and resolves with whatever arrived first (an RFC 862 server sends nothing more, so
   * any byte here is one the server made up or repeated).
   */
  extraBeforeClose(ms: number): Promise<Buffer> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.onClosed = undefined;
        resolve(this.take(this.buffered));
      };
      const timer = setTimeout(done, ms);
      if (this.failure !== undefined) done();
      else this.onClosed = done;
    });
  }

  private settle(): void {
    const w = this.waiter;
    if (w === undefined) return;
    if (this.buffered >= w.length) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(this.take(w.length));
    } else if (this.failure !== undefined) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.reject(this.failure ?? this.closedError(w.length));
    }
  }

  private take(length: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const out = all.subarray(0, length);
    const rest = all.subarray(length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.consumed += length;
    return out;
  }

  private fail(err: TcpkitError | null): void {
    this.failure ??= err;
    this.settle();
    this.onClosed?.();
  }

  private closedError(waitedFor: number): TcpkitError {
    const got = this.consumed + this.buffered;
    const wanted = this.consumed + waitedFor;
    return new TcpkitError(
      "ERR_CONNECTION_CLOSED",
      `connection closed by ${this.target.peer} after ${got} of ${wanted} bytes echoed`,
    );
  }
}
