/**
 * httpGet: one GET (or HEAD), redirects followed within a bound, the final response's status,
 * head and body stream returned. HTTP/1.1; HTTP/1.0 on request. Without a `pool`, each request
 * has a connection of its own and says `Connection: close`; with one, connections to an origin
 * are kept alive and reused (and pipelined if the pool says so).
 */
import type { Readable } from "node:stream";
import { argumentBytes, isToken, isValidFieldValue, trimOws } from "../http/header-fields.js";
import { getField } from "../http/header-lookup.js";
import type { ResponseHead } from "./response-head-parser.js";
import { formatHostPort } from "../net/address.js";
import { packageVersion } from "../util/package-version.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { dial } from "./client-connection.js";
import type { ConnectTimings, TlsTrust } from "./connect.js";
import type { ConnectionPool } from "./connection-pool.js";
import { parseRequestUrl, resolveLocation, type RequestUrl } from "./request-url.js";
import type { ExchangeRequest } from "./response-reader.js";

/** Default for every timeout phase, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Redirects followed before giving up, as wget and curl -L default to. */
export const DEFAULT_MAX_REDIRECTS = 10;

/** Options of httpGet. */
export interface HttpGetOptions extends TlsTrust {
  /** "GET" (default) or "HEAD". */
  readonly method?: "GET" | "HEAD";
  /** "1.1" (default) or "1.0" for the request line. */
  readonly httpVersion?: "1.0" | "1.1";
  /** Extra request fields, [name, value] pairs, sent after the defaults (same name replaces). */
  readonly headers?: readonly (readonly [string, string])[];
  /**
   * Ask for bytes `start` to `end` (inclusive; to the end when absent) (RFC 9110 §14.2), only if
   * `ifRange` still matches (§13.1.5).
   */
  readonly range?: { readonly start: number; readonly end?: number; readonly ifRange?: string };
  /** Conditional request fields (RFC 9110 §13.1): If-Modified-Since, If-None-Match. */
  readonly conditions?: { readonly ifModifiedSince?: string; readonly ifNoneMatch?: string };
  /** Keep connections alive and reuse them through this pool (default: one per request). */
  readonly pool?: ConnectionPool;
  /** Gives up (ERR_INTERRUPTED) and closes the connection when it fires. */
  readonly signal?: AbortSignal;
  /** Redirects to follow (default 10); 0 makes any redirect an error. */
  readonly maxRedirects?: number;
  /**
   * Per-phase timeouts in ms: connect (TLS included), first response byte, idle between reads,
   * and the whole response head (default: firstByteMs).
   */
  readonly timeouts?: {
    readonly connectMs?: number;
    readonly firstByteMs?: number;
    readonly idleMs?: number;
    readonly headMs?: number;
  };
  /** Sees every request head sent and response head received (for --trace). */
  readonly onTrace?: (event: TraceEvent) => void;
}

/** A head that went out or came in, as raw text with CRLFs. */
export interface TraceEvent {
  readonly direction: "sent" | "received";
  readonly head: string;
  /** "host:port" of the peer. */
  readonly peer: string;
  /** The parsed head, for received heads. */
  readonly response?: ResponseHead;
}

/** The final response of httpGet. */
export interface HttpResponse {
  /** The URL that gave this response, after redirects. */
  readonly url: string;
  readonly status: number;
  readonly reason: string;
  /** 10 or 11: the version the server answered with. */
  readonly version: 10 | 11;
  /** The parsed head: fields as a flat [name, value, ...] list, raw text. */
  readonly head: ResponseHead;
  /** The value of a response field (name in lower case); repeats joined with ", ". */
  header(name: string): string | undefined;
  /** The body, already de-chunked; errors with a TcpkitError if cut short or malformed. */
  readonly body: Readable;
  /** Body length if the response says it (Content-Length), else undefined. */
  readonly contentLength: number | undefined;
  /** URLs that redirected, in order. */
  readonly redirects: readonly string[];
  /** When each phase of the final request ended, for `--write-out`. */
  readonly timing: ResponseTiming;
}

/** Phases of a request, as performance.now() milliseconds (0: did not happen, e.g. reused). */
export interface ResponseTiming {
  /** When httpGet was called (before any redirect). */
  readonly start: number;
  /** When the final request started (after redirects). */
  readonly requestStart: number;
  /** Name resolved, TCP connected, TLS done: 0 when the connection was reused. */
  readonly lookupAt: number;
  readonly connectAt: number;
  readonly secureAt: number;
  /** The request head was written. */
  readonly sentAt: number;
  /** The first response byte arrived. */
  readonly firstByteAt: number;
  /** Whether the final request went out on a connection that had carried others. */
  readonly reused: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/**
 * Caller fields that carry credentials: sent only to the origin the caller named, never to
 * another host, port or scheme a redirect points at (as curl does since CVE-2018-1000007 and
 * CVE-2022-27776; RFC 9110 §15.4 warns that a redirect may lead to a different origin).
 */
const CREDENTIAL_FIELDS = new Set(["authorization", "proxy-authorization", "cookie"]);

/**
 * Sends a GET (or HEAD) for `url` and resolves once the final response head is in; read the
 * body from `response.body`. Redirects 301/302/303/307/308 are followed, relative Locations too
 * (RFC 9110 §15.4), up to `maxRedirects`; a URL seen twice is reported as a loop. Caller fields
 * Authorization, Proxy-Authorization and Cookie go only to the first URL's origin. Rejects with
 * TcpkitError: ERR_INVALID_URL, network codes, ERR_TIMEOUT, ERR_HTTP_PROTOCOL (malformed
 * response), ERR_TOO_MANY_REDIRECTS, ERR_REDIRECT_LOOP. Statuses >= 400 are not errors here.
 */
export async function httpGet(url: string, options: HttpGetOptions = {}): Promise<HttpResponse> {
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const start = performance.now();
  let current = parseRequestUrl(url);
  const origin = originOf(current);
  const crossOrigin = withoutCredentials(options);
  const seen = [current.href];
  for (;;) {
    const sameOrigin = originOf(current) === origin;
    const response = await requestOnce(
      current,
      sameOrigin ? options : crossOrigin,
      seen.slice(0, -1),
      start,
    );
    const location = response.header("location");
    if (!REDIRECT_STATUSES.has(response.status) || location === undefined) return response;
    response.body.destroy();
    const next = redirectTarget(current, location);
    if (seen.includes(next.href)) {
      throw new TcpkitError(
        "ERR_REDIRECT_LOOP",
        `redirect loop: ${[...seen, next.href].join(" -> ")}`,
      );
    }
    if (seen.length > maxRedirects) {
      throw new TcpkitError(
        "ERR_TOO_MANY_REDIRECTS",
        `too many redirects (more than ${maxRedirects}); last Location: ${next.href}`,
      );
    }
    seen.push(next.href);
    current = next;
  }
}

/**
 * Where a redirect leads. A Location the client will not follow (another scheme, a malformed
 * URL) is the server's redirect refused, not the user's URL: the message says which.
 */
function redirectTarget(current: RequestUrl, location: string): RequestUrl {
  try {
    return resolveLocation(current, location);
  } catch (err) {
    if (!(err instanceof TcpkitError) || err.code !== "ERR_INVALID_URL") throw err;
    const reason = err.message.replace(/^invalid URL '.*?': /s, "");
    throw new TcpkitError(
      "ERR_REDIRECT_REFUSED",
      `refused the redirect from ${current.href} to '${printableLocation(location)}': ${reason}`,
    );
  }
}

/** A Location value cut and with control characters masked, for a message. */
function printableLocation(location: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = location.replace(/[\x00-\x1f\x7f-\x9f]/g, "?");
  return safe.length > 100 ? `${safe.slice(0, 100)}...` : safe;
}

/** scheme://authority: two URLs with the same origin share credentials (RFC 6454 §4). */
export function originOf(url: RequestUrl): string {
  return `${url.scheme}://${url.host}:${url.port}`;
}

/** The options minus the caller's credential fields, for requests to another origin. */
export function withoutCredentials<T extends Pick<HttpGetOptions, "headers">>(options: T): T {
  const headers = options.headers?.filter(([name]) => !CREDENTIAL_FIELDS.has(name.toLowerCase()));
  return headers === undefined ? options : { ...options, headers };
}

async function requestOnce(
  url: RequestUrl,
  options: HttpGetOptions,
  redirects: readonly string[],
  start: number,
): Promise<HttpResponse> {
  const method = options.method ?? "GET";
  const peer = formatHostPort(url.host, url.port);
  const timeouts = options.timeouts ?? {};
  const pool = options.httpVersion === "1.0" ? undefined : options.pool;
  const head = serializeRequestHead(method, url, { ...options, keepAlive: pool !== undefined });
  const firstByteMs = timeouts.firstByteMs ?? DEFAULT_TIMEOUT_MS;
  const request: ExchangeRequest = {
    method,
    head,
    peer,
    timeouts: {
      firstByteMs,
      idleMs: timeouts.idleMs ?? DEFAULT_TIMEOUT_MS,
      headMs: timeouts.headMs ?? firstByteMs,
    },
    onHead: (response) =>
      options.onTrace?.({ direction: "received", head: response.raw, peer, response }),
  };
  const connect = {
    timeoutMs: timeouts.connectMs ?? DEFAULT_TIMEOUT_MS,
    trust: options,
    signal: options.signal,
  };
  const requestStart = performance.now();
  let sentAt = 0;
  const traced: ExchangeRequest = {
    ...request,
    onSent: () => {
      sentAt = performance.now();
      options.onTrace?.({ direction: "sent", head, peer });
    },
  };
  let result;
  let connectTimings: ConnectTimings | undefined;
  if (pool !== undefined) {
    result = await pool.request(url, traced, connect);
    connectTimings = result.connectTimings;
  } else {
    const connection = await dial(url, connect, false);
    connectTimings = connection.timings;
    result = await connection.request(traced, connect.signal);
  }
  const responseHead = result.head;
  return {
    url: url.href,
    status: responseHead.status,
    reason: responseHead.reason,
    version: responseHead.version,
    head: responseHead,
    header: (name) => getField(responseHead, name),
    body: result.body,
    contentLength: result.framing.kind === "length" ? result.framing.length : undefined,
    redirects,
    timing: {
      start,
      requestStart,
      lookupAt: connectTimings?.lookupAt ?? 0,
      connectAt: connectTimings?.connectAt ?? 0,
      secureAt: connectTimings?.secureAt ?? 0,
      sentAt,
      firstByteAt: result.firstByteAt,
      reused: connectTimings === undefined,
      remoteAddress: connectTimings?.remoteAddress ?? "",
      remotePort: connectTimings?.remotePort ?? 0,
    },
  };
}

/**
 * The request head, one string: request line, Host (RFC 9112 §3.2: required in 1.1, harmless and
 * useful for virtual hosts in 1.0), User-Agent, Accept, Range/If-Range, conditions, Connection:
 * close for HTTP/1.1 unless kept alive (1.0 closes by default), then the caller's fields. Rejects fields with CR, LF or NUL.
 * The head is a byte string, one character per byte, written as latin1: values taken from a
 * response (an ETag in If-Range or If-None-Match) go back with the bytes the server sent.
 */
export function serializeRequestHead(
  method: string,
  url: RequestUrl,
  options: HttpGetOptions & { readonly keepAlive?: boolean },
): string {
  const version = options.httpVersion === "1.0" ? "HTTP/1.0" : "HTTP/1.1";
  const fields: [string, string][] = [
    ["Host", url.authority],
    ["User-Agent", `tcpkit/${packageVersion()}`],
    ["Accept", "*/*"],
  ];
  const range = options.range;
  if (range !== undefined) {
    fields.push(["Range", `bytes=${range.start}-${range.end ?? ""}`]);
    if (range.ifRange !== undefined) fields.push(["If-Range", range.ifRange]);
  }
  const conditions = options.conditions;
  if (conditions?.ifNoneMatch !== undefined) fields.push(["If-None-Match", conditions.ifNoneMatch]);
  if (conditions?.ifModifiedSince !== undefined) {
    fields.push(["If-Modified-Since", conditions.ifModifiedSince]);
  }
  if (version === "HTTP/1.1" && options.keepAlive !== true) fields.push(["Connection", "close"]);
  for (const [name, value] of options.headers ?? []) {
    // Typed text goes out as UTF-8 (as curl sends its argv's bytes), in the head's one-char-
    // per-byte form; checked in that form, so "€" goes and a CR or LF never does.
    const bytes = argumentBytes(trimOws(value));
    if (!isToken(name) || !isValidFieldValue(bytes)) {
      throw new TcpkitError("ERR_INVALID_ARGUMENT", `invalid request header '${name}'`);
    }
    const index = fields.findIndex(([existing]) => existing.toLowerCase() === name.toLowerCase());
    if (index >= 0) fields.splice(index, 1);
    fields.push([name, bytes]);
  }
  let head = `${method} ${url.target} ${version}\r\n`;
  for (const [name, value] of fields) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}
