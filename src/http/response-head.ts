/**
 * Response-head serialisation and the version rules that go with it (RFC 9112 §4, §6, §9):
 * the status line (always HTTP/1.1), a Date cached per second, body framing (Content-Length,
 * chunked, or close-delimited), and the keep-alive decision. Pure: strings in, string out.
 */
import { currentHttpDate } from "./http-date.js";
import { statusLine } from "./status.js";

/**
 * True when a response with `status` may carry a body and Content-Length: not 1xx, 204 or
 * 304 (RFC 9110 §6.4.1, §8.6: a server MUST NOT send Content-Length in 1xx or 204).
 */
export function bodyAllowedForStatus(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304;
}

/**
 * Whether the request allows the connection to stay open (RFC 9112 §9.3): HTTP/1.1 persists
 * unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive` (RFC 9112 §C.2.2).
 */
export function requestAllowsKeepAlive(
  version: 10 | 11,
  wantsClose: boolean,
  wantsKeepAlive: boolean,
): boolean {
  if (wantsClose) return false;
  return version === 11 || wantsKeepAlive;
}

/** How the body of a response is delimited on the wire. */
export type ResponseFraming =
  /** No body and no Content-Length: 1xx, 204, 304. */
  | "none"
  /** Content-Length: n (also for HEAD, with the length a GET would get). */
  | "length"
  /** Transfer-Encoding: chunked (HTTP/1.1 only; RFC 9112 §6.1 forbids it toward 1.0). */
  | "chunked"
  /** Neither: the body ends when the connection closes (1.0, or HEAD of an unknown length). */
  | "close";

/**
 * Serialises a response head: status line, Date, the handler's header block, framing, and
 * `Connection`. `keepAlive` false adds `Connection: close`; true to an HTTP/1.0 client echoes
 * `Connection: keep-alive`, which 1.0 needs to keep the connection (RFC 9112 §C.2.2).
 */
export function serializeResponseHead(
  status: number,
  headers: string,
  framing: ResponseFraming,
  contentLength: number,
  version: 10 | 11,
  keepAlive: boolean,
): string {
  let head = statusLine(status) + "Date: " + currentHttpDate() + "\r\n" + headers;
  if (framing === "length") head += "Content-Length: " + contentLength + "\r\n";
  else if (framing === "chunked") head += "Transfer-Encoding: chunked\r\n";
  if (!keepAlive) head += "Connection: close\r\n";
  else if (version === 10) head += "Connection: keep-alive\r\n";
  return head + "\r\n";
}
