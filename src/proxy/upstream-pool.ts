/**
 * Keep-alive connections to the back ends (RFC 9112 §9.3), per origin: a request takes an idle
 * one (the most recently used, the likeliest to be alive) or dials a new one; a response that
 * leaves its connection reusable gives it back. At most `maxIdle` wait per origin and each for
 * at most `idleMs`; an idle one that receives bytes or closes is dropped at once.
 */
import type { Socket } from "node:net";
import { openConnection, type TlsTrust } from "../client/connect.js";
import type { RequestUrl } from "../client/request-url.js";
import { toNetworkError } from "../util/tcpkit-error.js";

/** What an upstream connection reports to whoever holds it (an exchange, or the pool). */
export interface ConnectionOwner {
  onData(chunk: Buffer): void;
  /** The back end closed or the socket failed (`err`). */
  onEnd(err: Error | undefined): void;
  onTimeout(): void;
  onDrain(): void;
}

/** One socket to a back end, its listeners attached once and dispatched to its owner. */
export class UpstreamConnection {
  owner: ConnectionOwner | undefined;
  closed = false;
  private readonly listeners = {
    data: (chunk: Buffer) => this.owner?.onData(chunk),
    end: () => this.ended(undefined),
    close: () => this.ended(undefined),
    error: (err: Error) => this.ended(toNetworkError(err, this.peer)),
    timeout: () => this.owner?.onTimeout(),
    drain: () => this.owner?.onDrain(),
  };

  constructor(
    readonly socket: Socket,
    readonly origin: string,
    readonly peer: string,
    /** True when this connection carried a response before (it may have been closed meanwhile). */
    public reused = false,
  ) {
    for (const [event, fn] of Object.entries(this.listeners)) socket.on(event, fn);
  }

  /** Takes the socket away from the pool's bookkeeping (an upgrade's tunnel now owns it). */
  detach(): Socket {
    for (const [event, fn] of Object.entries(this.listeners)) this.socket.off(event, fn);
    this.socket.on("error", () => {}); // the tunnel adds its own; never an unhandled 'error'
    this.socket.setTimeout(0);
    this.owner = undefined;
    return this.socket;
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private ended(err: Error | undefined): void {
    if (this.closed && err === undefined && this.owner === undefined) return;
    this.closed = true;
    const owner = this.owner;
    this.owner = undefined;
    owner?.onEnd(err);
    this.socket.destroy();
  }
}

export interface PoolOptions {
  /**
   * Idle connections kept per origin (default 256). Fewer than the clients' concurrency closes
   * connections after every burst and dials them again (nginx's `keepalive 32` example under 50
   * clients: 487 back-end connections closed in a 3 s run, and a connect and a close cost a
   * Node process more than a request); idle ones still go after `idleMs`.
   */
  readonly maxIdle?: number;
  /** How long an idle connection is kept (nginx's keepalive_timeout default: 60 s). */
  readonly idleMs?: number;
  /** To connect, the TLS handshake included (nginx's proxy_connect_timeout covers both too). */
  readonly connectTimeoutMs?: number;
  /** Trust for https back ends: the system's CAs, or `ca` (verification is never turned off). */
  readonly trust?: TlsTrust;
}

/** The pool. One per proxy handler; `close()` drops every idle connection. */
export class UpstreamPool {
  private readonly idle = new Map<string, UpstreamConnection[]>();
  private readonly maxIdle: number;
  private readonly idleMs: number;
  private readonly connectTimeoutMs: number;
  private readonly trust: TlsTrust;

  constructor(options: PoolOptions = {}) {
    this.maxIdle = options.maxIdle ?? 256;
    this.idleMs = options.idleMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.trust = options.trust ?? {};
  }

  /** An idle connection to `upstream`'s origin, or a new one (rejects with a TcpkitError). */
  async acquire(
    upstream: RequestUrl,
    origin: string,
    signal: AbortSignal,
  ): Promise<UpstreamConnection> {
    const list = this.idle.get(origin);
    while (list !== undefined && list.length > 0) {
      const conn = list.pop() as UpstreamConnection;
      if (conn.closed) continue;
      conn.owner = undefined;
      conn.socket.setTimeout(0);
      return conn;
    }
    const socket = await openConnection(
      upstream,
      this.connectTimeoutMs,
      this.trust,
      undefined,
      signal,
    );
    return new UpstreamConnection(socket, origin, upstream.authority);
  }

  /** Gives a connection whose last response ended cleanly back for the next request. */
  release(conn: UpstreamConnection): void {
    if (conn.closed) return;
    let list = this.idle.get(conn.origin);
    if (list === undefined) this.idle.set(conn.origin, (list = []));
    if (list.length >= this.maxIdle) return conn.destroy();
    conn.reused = true;
    const drop = (): void => {
      const at = list.indexOf(conn);
      if (at >= 0) list.splice(at, 1);
      conn.destroy();
    };
    conn.owner = { onData: drop, onEnd: drop, onTimeout: drop, onDrain: () => {} };
    conn.socket.setTimeout(this.idleMs);
    list.push(conn);
  }

  close(): void {
    for (const list of this.idle.values()) for (const conn of list.splice(0)) conn.destroy();
  }
}
