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
 *
 * Before any HTTP, two things a client meets:
 * - The first byte is looked at before TLS starts: a TLS record begins with its content type
 *   (22, a handshake), plain HTTP with a method's letter. A client that sent http:// to this
 *   port gets `plainHttpAnswer()`, a 400 saying so in plain text, as nginx's "The plain HTTP
 *   request was sent to HTTPS port" and Go's "Client sent an HTTP request to an HTTPS server",
 *   not a silent close (curl: "Empty reply from server"). Done on the bytes, not on the TLS
 *   library's error, which Bun's TLS does not let an answer through after.
 * - ALPN (RFC 7301) names http/1.1 and http/1.0, as nginx and Go do: a client offering h2
 *   first (curl --http2-prior-knowledge) falls back to HTTP/1.1 instead of sending HTTP/2
 *   frames that read as an empty reply; one offering only h2 gets no_application_protocol.
 */
import type { Socket } from "node:net";
import type { SecureContext, TLSSocket } from "node:tls";
import { nodeTls } from "./node-tls.js";

/** ALPN protocol IDs (the IANA registry's) of what the server speaks, preferred first. */
const ALPN = ["http/1.1", "http/1.0"];

/** A first byte that starts plain HTTP: a method's letter (no TLS record starts with one). */
function startsPlainHttp(first: Buffer): boolean {
  const c = (first[0] as number) | 0x20; // lower-cased
  return c >= 0x61 && c <= 0x7a;
}

export class TlsHandshakes {
  /** Accepted sockets whose handshake is unfinished, with their start time, oldest first. */
  readonly #pending = new Map<Socket, number>();
  /** The TLSSocket over each pending socket, once its first bytes came. */
  readonly #wrapped = new WeakMap<Socket, TLSSocket>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly context: SecureContext,
    private readonly timeoutMs: number,
    /** Called with each socket whose handshake completed; it is no longer tracked here. */
    private readonly onSecure: (socket: TLSSocket) => void,
    /** Makes the bytes written, unencrypted, to a client whose first bytes are plain HTTP. */
    private readonly plainHttpAnswer?: () => Buffer,
  ) {}

  /** Handshakes in progress. */
  get size(): number {
    return this.#pending.size;
  }

  /** Starts the server side of a handshake on a socket just accepted. */
  begin(raw: Socket): void {
    this.#pending.set(raw, Date.now());
    // Until its first bytes, the peer's FIN or an error ends the socket (no CLOSE-WAIT).
    const early = (): void => this.#close(raw);
    raw.on("error", early);
    raw.once("end", early);
    raw.once("close", early);
    raw.once("data", (first: Buffer) => {
      raw.pause();
      raw.off("error", early);
      raw.off("end", early);
      raw.off("close", early);
      const answer = this.plainHttpAnswer;
      if (answer !== undefined && startsPlainHttp(first)) {
        this.#forget(raw);
        raw.on("error", () => raw.destroy());
        raw.end(answer());
        // What else it sends is read and dropped (no reset to eat the answer), for 2 s at most:
        // the socket counts toward no limit any more.
        const deadline = setTimeout(() => raw.destroy(), 2000);
        raw.once("close", () => clearTimeout(deadline));
        raw.resume();
        return;
      }
      // TLSSocket reads what the socket holds first (the bytes put back), then the socket.
      raw.unshift(first);
      this.#wrap(raw);
    });
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#sweep(), Math.max(50, Math.floor(this.timeoutMs / 4)));
      this.#timer.unref();
    }
  }

  #wrap(raw: Socket): void {
    const halfOpen = raw.allowHalfOpen;
    const tls = new (nodeTls().TLSSocket)(raw, {
      isServer: true,
      secureContext: this.context,
      ALPNProtocols: ALPN,
    });
    this.#wrapped.set(raw, tls);
    // Until the handshake completes, the peer's FIN ends the socket (no CLOSE-WAIT).
    tls.allowHalfOpen = false;
    const forget = (): void => this.#forget(raw);
    tls.on("error", () => tls.destroy());
    tls.once("close", forget);
    tls.once("end", () => tls.destroy());
    tls.once("secure", () => {
      this.#forget(raw);
      tls.removeAllListeners("error");
      tls.removeAllListeners("end");
      tls.removeListener("close", forget);
      tls.allowHalfOpen = halfOpen;
      this.onSecure(tls);
    });
  }

  /** Closes the oldest unfinished handshake; false when there is none. */
  evictOldest(): boolean {
    for (const raw of this.#pending.keys()) {
      this.#close(raw);
      return true;
    }
    return false;
  }

  /** Closes every unfinished handshake (the server is stopping). */
  closeAll(): void {
    while (this.evictOldest());
  }

  #close(raw: Socket): void {
    this.#forget(raw);
    (this.#wrapped.get(raw) ?? raw).destroy();
    raw.destroy();
  }

  #forget(raw: Socket): void {
    this.#pending.delete(raw);
    if (this.#pending.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #sweep(): void {
    const expired = Date.now() - this.timeoutMs;
    for (const [raw, started] of this.#pending) {
      if (started > expired) break;
      this.#close(raw);
    }
  }
}
