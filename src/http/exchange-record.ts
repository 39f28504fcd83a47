/** What the server reports about each answered request, for access logs (cli/access-log.ts). */

/** One request and its response, reported after the response has been handed to the socket. */
export interface ExchangeRecord {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Undefined when the request could not be parsed (a canned 400, 408, 431...). */
  readonly method: string | undefined;
  readonly target: string | undefined;
  readonly version: 10 | 11 | undefined;
  readonly status: number;
  /** Body bytes written (0 for HEAD, 304, ...). */
  readonly bodyBytes: number;
  readonly referer: string | undefined;
  readonly userAgent: string | undefined;
  /** When the request's head was complete, in ms since the epoch. */
  readonly startMs: number;
  readonly durationMs: number;
}
