/**
 * Keep-alive connections to the back ends (RFC 9112 §9.3), per origin: a request takes an idle
 * one (the most recently used, the likeliest to be alive) or dials a new one; a response that
 * leaves its connection reusable gives it back. At most `maxIdle` wait per origin and each for
 * at most `idleMs`; an idle one that receives bytes or closes is dropped at once. Silences (a
 * response's read timeout, an idle connection's time to live) are counted by one sweep per pool
 * instead of a timer per socket: Node re-arms a socket's timer on every read and write, and
 * setting it three times a request (sent, given back, taken again) cost more than the sweep.
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
  /** Each sweep of the pool while the connection is watched (see UpstreamConnection.watch). */
  onSweep?(): void;
}

/** One socket to a back end, its listeners attached once and dispatched to its owner. */
export class UpstreamConnection {
  owner: ConnectionOwner | undefined;
  closed = false;
  /** Bytes came or went since the last sweep (whoever writes to the socket sets it too). */
  heard = false;
  /** The longest silence allowed now, in ms (0: none), and how long it has lasted. */
  private silenceMs = 0;
  private silentFor = 0;
  private detached = false;
  private readonly listeners = {
    data: (chunk: Buffer) => {
      this.heard = true;
      this.owner?.onData(chunk);
    },
    end: () => this.ended(undefined),
    close: () => this.ended(undefined),
    error: (err: Error) => this.ended(toNetworkError(err, this.peer)),
    drain: () => {
      this.heard = true;
      this.owner?.onDrain();
    },
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
    this.detached = true;
    this.silenceMs = 0;
    this.owner = undefined;
    return this.socket;
  }

  /** From now on, the owner's onTimeout() after `ms` without a byte either way (0: never). */
  watch(ms: number): void {
    this.silenceMs = ms;
    this.silentFor = 0;
    this.heard = false;
  }

  /**
   * The pool's sweep, every `tickMs`: false once the pool can forget the connection. A silence
   * times out after more than its length and less than one tick more (never early).
   */
  sweep(tickMs: number): boolean {
    if (this.closed || this.detached) return false;
    if (this.silenceMs === 0) return true;
    this.owner?.onSweep?.();
    // Paused, the socket is not read because the client reads slowly (backpressure): that is
    // no silence of the back end's. A client that stops reading is the server's send timeout's.
    if (this.heard || this.socket.isPaused()) {
      this.heard = false;
      this.silentFor = 0;
      return true;
    }
    this.silentFor += tickMs;
    if (this.silentFor > this.silenceMs) {
      this.silenceMs = 0;
      this.owner?.onTimeout();
    }
    return true;
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
  /** The shortest read timeout the pool's connections will be watched with (default 60 s). */
  readonly readTimeoutMs?: number;
}

/** The pool. One per proxy handler; `close()` drops every idle connection. */
export class UpstreamPool {
  private readonly idle = new Map<string, UpstreamConnection[]>();
  private readonly maxIdle: number;
  private readonly idleMs: number;
  private readonly connectTimeoutMs: number;
  private readonly trust: TlsTrust;
  /** Every connection open, idle or in use, for the sweep. */
  private readonly live = new Set<UpstreamConnection>();
  private sweeper: NodeJS.Timeout | undefined;
  /** The sweep's period: a quarter of the shortest timeout, at most 250 ms. */
  private readonly tickMs: number;

  constructor(options: PoolOptions = {}) {
    this.maxIdle = options.maxIdle ?? 256;
    this.idleMs = options.idleMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.trust = options.trust ?? {};
    const shortest = Math.min(this.idleMs, options.readTimeoutMs ?? 60_000);
    this.tickMs = Math.max(10, Math.min(250, Math.floor(shortest / 4)));
  }

  /** An idle connection to `origin`, the most recently used, or undefined. */
  take(origin: string): UpstreamConnection | undefined {
    const list = this.idle.get(origin);
    while (list !== undefined && list.length > 0) {
      const conn = list.pop() as UpstreamConnection;
      if (conn.closed) continue;
      conn.owner = undefined;
      conn.watch(0);
      return conn;
    }
    return undefined;
  }

  /** A new connection to `upstream` (rejects with a TcpkitError). */
  async dial(
    upstream: RequestUrl,
    origin: string,
    signal: AbortSignal,
  ): Promise<UpstreamConnection> {
    const socket = await openConnection(
      upstream,
      this.connectTimeoutMs,
      this.trust,
      undefined,
      signal,
    );
    const conn = new UpstreamConnection(socket, origin, upstream.authority);
    this.live.add(conn);
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), this.tickMs);
      this.sweeper.unref();
    }
    return conn;
  }

  private sweep(): void {
    for (const conn of this.live) if (!conn.sweep(this.tickMs)) this.live.delete(conn);
    if (this.live.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
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
    // Read while idle, to see a close or stray bytes at once (and a paused socket would count
    // as busy to the sweep, never as idle).
    conn.socket.resume();
    conn.watch(this.idleMs);
    list.push(conn);
  }

  close(): void {
    for (const list of this.idle.values()) for (const conn of list.splice(0)) conn.destroy();
  }
}
