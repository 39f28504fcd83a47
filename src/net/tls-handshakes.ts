/**
 * TLS handshakes still in progress on a server's accepted sockets, bounded in time and number.
 *
 * node:tls's own server gives an unfinished handshake 120 s, does not count it anywhere the
 * server can see, and with allowHalfOpen leaves the socket of a client that closed before its
 * ClientHello (a port scan, a load balancer's TCP check) in CLOSE-WAIT for good. Here a plain
 * TCP server accepts, and each socket is wrapped in a server-side TLSSocket that this table
 * owns until the handshake completes: it is closed when the peer ends or fails it, when it
 * outlives `timeoutMs` (one sweep for all, oldest first, since the table is in start order), or
 * when the server needs its slot for a newer connection (evictOldest: a real handshake takes
 * milliseconds, so it is never the oldest for long, and an attacker holding slots loses them).
 */
import type { Socket } from "node:net";
import type { SecureContext, TLSSocket } from "node:tls";
import { nodeTls } from "./node-tls.js";

export class TlsHandshakes {
  /** Sockets mid-handshake with their start time, oldest first (Map keeps insertion order). */
  readonly #pending = new Map<TLSSocket, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly context: SecureContext,
    private readonly timeoutMs: number,
    /** Called with each socket whose handshake completed; it is no longer tracked here. */
    private readonly onSecure: (socket: TLSSocket) => void,
  ) {}

  /** Handshakes in progress. */
  get size(): number {
    return this.#pending.size;
  }

  /** Starts the server side of a handshake on a socket just accepted. */
  begin(raw: Socket): void {
    const halfOpen = raw.allowHalfOpen;
    const tls = new (nodeTls().TLSSocket)(raw, { isServer: true, secureContext: this.context });
    // Until the handshake completes, the peer's FIN ends the socket (no CLOSE-WAIT).
    tls.allowHalfOpen = false;
    this.#pending.set(tls, Date.now());
    const forget = (): void => this.#forget(tls);
    tls.on("error", () => tls.destroy());
    tls.once("close", forget);
    tls.once("end", () => tls.destroy());
    tls.once("secure", () => {
      this.#forget(tls);
      tls.removeAllListeners("error");
      tls.removeAllListeners("end");
      tls.removeListener("close", forget);
      tls.allowHalfOpen = halfOpen;
      this.onSecure(tls);
    });
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#sweep(), Math.max(50, Math.floor(this.timeoutMs / 4)));
      this.#timer.unref();
    }
  }

  /** Closes the oldest unfinished handshake; false when there is none. */
  evictOldest(): boolean {
    for (const tls of this.#pending.keys()) {
      this.#forget(tls);
      tls.destroy();
      return true;
    }
    return false;
  }

  /** Closes every unfinished handshake (the server is stopping). */
  closeAll(): void {
    while (this.evictOldest());
  }

  #forget(tls: TLSSocket): void {
    this.#pending.delete(tls);
    if (this.#pending.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #sweep(): void {
    const expired = Date.now() - this.timeoutMs;
    for (const [tls, started] of this.#pending) {
      if (started > expired) break;
      this.#forget(tls);
      tls.destroy();
    }
  }
}
