/** What the server reports about each exchange, for access logs (cli/access-log.ts) and metrics. */

/**
 * One request and its response, reported exactly once: when the response has been handed to
 * the socket, or when the exchange ends without that (the client went away, the send timed out).
 */
export interface ExchangeRecord {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /**
   * Undefined when no valid request line was read (a canned 400, 408, 414...); a head refused
   * after its request line (a bad field, no Host: 400, 431) has them, as nginx logs them.
   */
  readonly method: string | undefined;
  readonly target: string | undefined;
  readonly version: 10 | 11 | undefined;
  /**
   * The final status sent, or 499 (nginx's "client closed request") when the exchange ended
   * before any final response began.
   */
  readonly status: number;
  /** Response body bytes handed to the socket (0 for HEAD, 304, ...). */
  readonly bodyBytes: number;
  /** Request bytes read for this exchange: head and body as on the wire (chunk framing too). */
  readonly bytesReceived: number;
  /**
   * Response bytes handed to the operating system for this exchange: interim responses, head
   * and body with their framing. Less than the head promised when the response was cut short.
   */
  readonly bytesSent: number;
  /** False when the response was cut short or never began. */
  readonly complete: boolean;
  readonly referer: string | undefined;
  readonly userAgent: string | undefined;
  /** When the request's head was complete, in ms since the epoch. */
  readonly startMs: number;
  /** Until the record, from the monotonic clock: fractional (microseconds and finer). */
  readonly durationMs: number;
}
