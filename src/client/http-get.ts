/**
 * httpGet: one GET (or HEAD) over a fresh connection per request, redirects followed within a
 * bound, the final response's status, head and body stream returned. HTTP/1.1 with
 * `Connection: close` by default (no connection reuse: simple, and a redirect costs one extra
 * handshake at most), HTTP/1.0 on request.
 */
import type { Readable } from "node:stream";
import { isToken, isValidFieldValue } from "../http/header-fields.js";
import { getField } from "../http/header-lookup.js";
import type { ResponseHead } from "./response-head-parser.js";
import { formatHostPort } from "../net/address.js";
import { packageVersion } from "../util/package-version.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { openConnection, type TlsTrust } from "./connect.js";
import { parseRequestUrl, resolveLocation, type RequestUrl } from "./request-url.js";
import { exchange } from "./response-reader.js";

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
  /** Ask for the bytes from `start` on (RFC 9110 §14.2), only if `ifRange` still matches (§13.1.5). */
  readonly range?: { readonly start: number; readonly ifRange?: string };
  /** Redirects to follow (default 10); 0 makes any redirect an error. */
  readonly maxRedirects?: number;
  /** Per-phase timeouts in ms: connect (TLS included), first response byte, idle between reads. */
  readonly timeouts?: {
    readonly connectMs?: number;
    readonly firstByteMs?: number;
    readonly idleMs?: number;
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
    );
    const location = response.header("location");
    if (!REDIRECT_STATUSES.has(response.status) || location === undefined) return response;
    response.body.destroy();
    const next = resolveLocation(current, location);
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

/** scheme://authority: two URLs with the same origin share credentials (RFC 6454 §4). */
function originOf(url: RequestUrl): string {
  return `${url.scheme}://${url.host}:${url.port}`;
}

/** The options minus the caller's credential fields, for requests to another origin. */
function withoutCredentials(options: HttpGetOptions): HttpGetOptions {
  const headers = options.headers?.filter(([name]) => !CREDENTIAL_FIELDS.has(name.toLowerCase()));
  return headers === undefined ? options : { ...options, headers };
}

async function requestOnce(
  url: RequestUrl,
  options: HttpGetOptions,
  redirects: readonly string[],
): Promise<HttpResponse> {
  const method = options.method ?? "GET";
  const peer = formatHostPort(url.host, url.port);
  const timeouts = options.timeouts ?? {};
  const head = serializeRequestHead(method, url, options);
  const socket = await openConnection(url, timeouts.connectMs ?? DEFAULT_TIMEOUT_MS, options);
  options.onTrace?.({ direction: "sent", head, peer });
  const result = await exchange(socket, {
    method,
    head,
    peer,
    timeouts: {
      firstByteMs: timeouts.firstByteMs ?? DEFAULT_TIMEOUT_MS,
      idleMs: timeouts.idleMs ?? DEFAULT_TIMEOUT_MS,
    },
    onHead: (response) =>
      options.onTrace?.({ direction: "received", head: response.raw, peer, response }),
  });
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
  };
}

/**
 * The request head, one string: request line, Host (RFC 9112 §3.2: required in 1.1, harmless and
 * useful for virtual hosts in 1.0), User-Agent, Accept, Range/If-Range, Connection: close for
 * HTTP/1.1 (1.0 closes by default), then the caller's fields. Rejects fields with CR, LF or NUL.
 */
export function serializeRequestHead(
  method: string,
  url: RequestUrl,
  options: HttpGetOptions,
): string {
  const version = options.httpVersion === "1.0" ? "HTTP/1.0" : "HTTP/1.1";
  const fields: [string, string][] = [
    ["Host", url.authority],
    ["User-Agent", `tcpkit/${packageVersion()}`],
    ["Accept", "*/*"],
  ];
  if (options.range !== undefined) {
    fields.push(["Range", `bytes=${options.range.start}-`]);
    if (options.range.ifRange !== undefined) fields.push(["If-Range", options.range.ifRange]);
  }
  if (version === "HTTP/1.1") fields.push(["Connection", "close"]);
  for (const [name, value] of options.headers ?? []) {
    if (!isToken(name) || !isValidFieldValue(value)) {
      throw new TcpkitError("ERR_INVALID_ARGUMENT", `invalid request header '${name}'`);
    }
    const index = fields.findIndex(([existing]) => existing.toLowerCase() === name.toLowerCase());
    if (index >= 0) fields.splice(index, 1);
    fields.push([name, value.trim()]);
  }
  let head = `${method} ${url.target} ${version}\r\n`;
  for (const [name, value] of fields) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}
