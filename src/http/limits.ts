/**
 * The server's protective limits (DESIGN §3), each a named default with the attack or failure it
 * prevents and the status a client gets when it is crossed. Every limit has a CLI flag.
 */

/** All limits of one server. Byte counts are bytes on the wire; times are milliseconds. */
export interface HttpLimits {
  /** Request line + header fields + blank line. Past it: 431 (RFC 6585 §5). */
  readonly maxHeadBytes: number;
  /** Request-target length. Past it: 414 (RFC 9110 §15.5.15). */
  readonly maxTargetBytes: number;
  /** Number of header field lines. Past it: 431. */
  readonly maxHeaderCount: number;
  /**
   * From the first byte of a request to its complete head, and between two bytes of a request
   * body the server waits for. Past it: 408 and close.
   */
  readonly headTimeoutMs: number;
  /** Idle time between requests on a kept-alive connection. Past it: silent close. */
  readonly keepAliveTimeoutMs: number;
  /**
   * A response that makes no progress (the client reads nothing) for this long is abandoned:
   * the socket is destroyed. Also bounds how long a closing connection may take to flush.
   */
  readonly sendTimeoutMs: number;
  /**
   * A request body the handler leaves unread is discarded within this; it is also the limit of a
   * handler's read unless the handler sets its own (BodyReadOptions.limit). Past it: 413.
   */
  readonly maxBodyBytes: number;
  /** Requests on one connection before the server answers with `Connection: close`. */
  readonly maxRequestsPerConnection: number;
  /** Concurrent connections; one more gets a canned 503 and is closed. */
  readonly maxConnections: number;
  /** On a graceful stop, how long in-flight responses may take before sockets are destroyed. */
  readonly drainTimeoutMs: number;
}

/**
 * Defaults. 16 KiB of head is Node's figure and twice what nginx's 8 KiB header buffers allow
 * per line: every real browser request fits, and it caps what a client can make the server hold.
 * An 8 KiB target matches nginx's request-line buffer. 100 fields is Go's and Node's order of
 * magnitude (browsers send ~15). 20 s to send a head stops slowloris (one byte every few
 * seconds) without hurting a slow phone; 5 s keep-alive idle is Node's default and frees
 * sockets of closed tabs quickly; 60 s without write progress is nginx's send_timeout. 1 MiB of discarded body is nginx's client_max_body_size;
 * 1,000 requests per connection is nginx's keepalive_requests.
 */
export const DEFAULT_LIMITS: HttpLimits = {
  maxHeadBytes: 16 * 1024,
  maxTargetBytes: 8 * 1024,
  maxHeaderCount: 100,
  headTimeoutMs: 20_000,
  keepAliveTimeoutMs: 5_000,
  sendTimeoutMs: 60_000,
  maxBodyBytes: 1024 * 1024,
  maxRequestsPerConnection: 1000,
  maxConnections: 10_000,
  drainTimeoutMs: 5_000,
};

/** Fills in defaults for limits a caller left out. */
export function resolveLimits(partial: Partial<HttpLimits> = {}): HttpLimits {
  const out: { -readonly [K in keyof HttpLimits]: number } = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(out) as (keyof HttpLimits)[]) {
    const value = partial[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
