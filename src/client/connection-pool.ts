/**
 * Kept-alive client connections, per origin: a request goes out on an idle connection to its
 * origin when there is one, else on a new one; a connection whose response allowed it comes back
 * idle for the next request. With `pipeline`, a request may also queue behind responses still in
 * flight on a connection (RFC 9112 §9.3.2), up to `pipelineDepth` of them.
 *
 * A request that got no byte of its response on a connection that had carried others (the
 * server closed an idle connection as we reused it, or ended a pipelined one early) is sent
 * again on a fresh connection: GET and HEAD are idempotent (RFC 9110 §9.2.2), which is what makes
 * that safe, and what browsers and curl do.
 */
import { formatHostPort } from "../net/address.js";
import type { ClientConnection } from "./client-connection.js";
import { dial } from "./client-connection.js";
import type { ConnectTimings, TlsTrust } from "./connect.js";
import type { RequestUrl } from "./request-url.js";
import { isUnanswered, type Exchange, type ExchangeRequest } from "./response-reader.js";

/** Options of a pool. */
export interface PoolOptions {
  /** Queue requests behind responses still in flight on one connection (HTTP/1.1 pipelining). */
  readonly pipeline?: boolean;
  /** Most responses awaited on one pipelined connection (default 8). */
  readonly pipelineDepth?: number;
  /** Idle connections kept per origin (default 8); more are closed. */
  readonly maxIdlePerOrigin?: number;
}

/** What one request on the pool gives back besides the response. */
export interface PooledExchange extends Exchange {
  /** Set-up timings of the connection, or undefined when it was reused. */
  readonly connectTimings: ConnectTimings | undefined;
  /** The connection's remote address and port. */
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** How many times an unanswered request is sent again on a fresh connection. */
const MAX_UNANSWERED_RETRIES = 3;

export class ConnectionPool {
  private readonly idle = new Map<string, ClientConnection[]>();
  /** Every open connection, idle or not, for pipelining. */
  private readonly live = new Map<string, Set<ClientConnection>>();
  /** Connections being opened, so that pipelined requests can wait for them. */
  private readonly opening = new Map<string, Promise<ClientConnection>>();
  /** Origins that ended a pipelined connection with requests unanswered: one at a time there. */
  private readonly unpipelined = new Set<string>();
  private closed = false;
  /** Connections opened so far. */
  connectionsOpened = 0;

  constructor(private readonly options: PoolOptions = {}) {}

  /**
   * Sends the request made by `build` (which gets `true` when the connection will be kept
   * alive) to `url`'s origin and resolves with the response. Rejects like
   * ClientConnection.request, or with openConnection's errors.
   */
  async request(
    url: RequestUrl,
    request: ExchangeRequest,
    connect: { timeoutMs: number; trust: TlsTrust; signal?: AbortSignal | undefined },
  ): Promise<PooledExchange> {
    const key = poolKey(url, connect.trust);
    for (let attempt = 0; ; attempt++) {
      const { connection, fresh } = await this.acquire(key, url, connect);
      const reused = connection.requestCount > 0;
      try {
        const exchange = await connection.request(request, connect.signal);
        return {
          ...exchange,
          connectTimings: fresh && !reused ? connection.timings : undefined,
          remoteAddress: connection.timings.remoteAddress,
          remotePort: connection.timings.remotePort,
        };
      } catch (err) {
        // Requests pipelined behind this one count too: a server that closes after its first
        // response resets the connection over the requests it did not read, and the reset can
        // discard that first response before it is read (RFC 9112 §9.3.2: retry them all). Such
        // an origin is not pipelined to again, or every retry would meet the same reset.
        const shared = reused || connection.requestCount > 1;
        if (connection.requestCount > 1 && isUnanswered(err)) this.unpipelined.add(key);
        const retry = shared && isUnanswered(err) && attempt < MAX_UNANSWERED_RETRIES;
        if (retry && connect.signal?.aborted !== true) continue;
        throw err;
      }
    }
  }

  /** Closes every idle connection; busy ones close when their responses end. */
  close(): void {
    this.closed = true;
    for (const list of this.idle.values()) for (const c of list.splice(0)) c.close();
  }

  private async acquire(
    key: string,
    url: RequestUrl,
    connect: { timeoutMs: number; trust: TlsTrust; signal?: AbortSignal | undefined },
  ): Promise<{ connection: ClientConnection; fresh: boolean }> {
    const idle = this.idle.get(key);
    while (idle !== undefined && idle.length > 0) {
      const connection = idle.pop() as ClientConnection;
      if (connection.open) return { connection, fresh: false };
    }
    const pipeline = this.options.pipeline === true && !this.unpipelined.has(key);
    if (pipeline) {
      const shared = await this.pipelinable(key);
      if (shared !== undefined) return { connection: shared, fresh: false };
      // Decided synchronously after the check: requests arriving meanwhile wait for this one.
      const pending = this.opening.get(key);
      if (pending !== undefined) return this.acquire(key, url, connect);
    }
    const opening = this.open(key, url, connect);
    if (pipeline) this.opening.set(key, opening);
    try {
      return { connection: await opening, fresh: true };
    } finally {
      if (this.opening.get(key) === opening) this.opening.delete(key);
    }
  }

  /**
   * A connection to `key` with room for one more pipelined request, if any (waiting for one
   * being opened). Returns without awaiting when there is nothing to wait for, so the caller's
   * check and its own opening happen in one turn.
   */
  private async pipelinable(key: string): Promise<ClientConnection | undefined> {
    const depth = this.options.pipelineDepth ?? 8;
    for (let pending = this.opening.get(key); pending !== undefined;) {
      await pending.catch(() => undefined);
      const next = this.opening.get(key);
      if (next === pending) break;
      pending = next;
    }
    for (const connection of this.live.get(key) ?? []) {
      if (connection.open && connection.inFlight < depth) return connection;
    }
    return undefined;
  }

  private async open(
    key: string,
    url: RequestUrl,
    connect: { timeoutMs: number; trust: TlsTrust; signal?: AbortSignal | undefined },
  ): Promise<ClientConnection> {
    const connection = await dial(url, connect, true);
    this.connectionsOpened++;
    const live = this.live.get(key) ?? new Set<ClientConnection>();
    this.live.set(key, live);
    live.add(connection);
    connection.onIdle = (c) => this.release(key, c);
    connection.onClose = (c) => this.forget(key, c);
    return connection;
  }

  private release(key: string, connection: ClientConnection): void {
    const list = this.idle.get(key) ?? [];
    if (this.closed || list.length >= (this.options.maxIdlePerOrigin ?? 8)) {
      connection.close();
      return;
    }
    this.idle.set(key, list);
    if (!list.includes(connection)) list.push(connection);
  }

  private forget(key: string, connection: ClientConnection): void {
    this.live.get(key)?.delete(connection);
    const list = this.idle.get(key);
    const at = list?.indexOf(connection) ?? -1;
    if (at >= 0) list?.splice(at, 1);
  }
}

/** Connections are shared by scheme, host, port and the TLS trust they were opened with. */
function poolKey(url: RequestUrl, trust: TlsTrust): string {
  const tls = url.scheme === "https" ? `|${trust.insecure === true ? "k" : ""}|${caId(trust)}` : "";
  return `${url.scheme}://${formatHostPort(url.host, url.port)}${tls}`;
}

const caIds = new WeakMap<object, number>();
let nextCaId = 1;

function caId(trust: TlsTrust): string {
  const ca = trust.ca;
  if (ca === undefined) return "";
  if (typeof ca === "string") return ca;
  let id = caIds.get(ca);
  if (id === undefined) {
    id = nextCaId++;
    caIds.set(ca, id);
  }
  return `#${id}`;
}
