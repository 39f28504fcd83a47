/**
 * Response-head serialisation and the version rules that go with it (RFC 9112 §4, §6, §9):
 * the status line (always HTTP/1.1), a Date cached per second, body framing (Content-Length,
 * chunked, or close-delimited), the Connection line, interim heads. Pure: strings in, string out.
 */
import { currentHttpDate } from "../http-date.js";
import { statusLine } from "../status.js";
import type { ResponsePlan } from "../types.js";

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
 * The Connection line of a response (RFC 9112 §9.6, §C.2.2): none for an HTTP/1.1 connection
 * that stays open, `close` for one that does not, `keep-alive` echoed to an HTTP/1.0 client that
 * asked to keep it (1.0 needs the echo to keep the connection). A 101 carries the handler's own.
 */
export type ConnectionLine = "" | "Connection: close\r\n" | "Connection: keep-alive\r\n";

/** The Connection line for a response that keeps the connection (`keepAlive`) or not. */
export function connectionLine(version: 10 | 11, keepAlive: boolean): ConnectionLine {
  if (!keepAlive) return "Connection: close\r\n";
  return version === 10 ? "Connection: keep-alive\r\n" : "";
}

/** Serialises a response head: status line, Date, the handler's header block, framing, Connection. */
export function serializeResponseHead(
  status: number,
  headers: string,
  framing: ResponseFraming,
  contentLength: number,
  connection: ConnectionLine,
): string {
  let head = statusLine(status) + "Date: " + currentHttpDate() + "\r\n" + headers;
  if (framing === "length") head += "Content-Length: " + contentLength + "\r\n";
  else if (framing === "chunked") head += "Transfer-Encoding: chunked\r\n";
  return head + connection + "\r\n";
}

/**
 * An interim response head (RFC 9110 §15.2): status line and the handler's lines; no Date,
 * framing or Connection (1xx responses have no content and do not end the exchange).
 */
export function interimHead(status: number, headers: string): string {
  return statusLine(status) + headers + "\r\n";
}

/**
 * Decides how a plan's body goes on the wire and its length (-1 when unknown): Content-Length
 * when the length is known (HEAD included, with GET's length); for a stream of unknown length,
 * chunked to HTTP/1.1 and close-delimited to 1.0 (RFC 9112 §6.1: no chunked to 1.0), nothing
 * for HEAD; nothing at all for 101, 204 and 304. Throws TypeError on a malformed plan.
 */
export function frameResponse(
  plan: ResponsePlan,
  isHead: boolean,
  version: 10 | 11,
): { framing: ResponseFraming; length: number } {
  const status = plan.status;
  const body = plan.body;
  // 1xx other than 101 are interim (RequestContext.sendInterim), never a final response.
  if (
    !Number.isInteger(status) ||
    status < 100 ||
    status > 999 ||
    (status < 200 && status !== 101) ||
    (status === 101 && body.kind !== "upgrade") ||
    typeof plan.headers !== "string"
  ) {
    throw new TypeError("invalid response plan: status or headers");
  }
  let length: number;
  switch (body.kind) {
    case "none":
      length = 0;
      break;
    case "bytes":
      length = body.bytes.length;
      break;
    case "file":
      length = body.end - body.start;
      break;
    case "segments":
      length = 0;
      for (const s of body.segments) length += Buffer.isBuffer(s) ? s.length : s.end - s.start;
      break;
    case "stream":
      length = body.length ?? -1;
      break;
    case "upgrade":
      // RFC 9110 §7.8: only a 101 switches protocols, and only an HTTP/1.1 one.
      if (status !== 101 || version !== 11 || typeof body.onUpgrade !== "function") {
        throw new TypeError("invalid response plan: an upgrade needs status 101 on HTTP/1.1");
      }
      return { framing: "none", length: 0 };
    default: {
      const never: never = body;
      throw new TypeError(
        `unknown response body kind ${String((never as { kind: unknown }).kind)}`,
      );
    }
  }
  if (!Number.isSafeInteger(length) || length < -1 || (length === -1 && body.kind !== "stream")) {
    throw new TypeError("invalid response plan: body length");
  }
  if (!bodyAllowedForStatus(status)) return { framing: "none", length };
  if (length >= 0) return { framing: "length", length };
  if (isHead) return { framing: "none", length };
  return { framing: version === 11 ? "chunked" : "close", length };
}
