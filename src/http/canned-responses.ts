/**
 * Fixed error responses the server sends on its own (parse errors, timeouts, limits, handler
 * failures): a short text body, never request-derived text (nothing to escape, nothing to
 * leak). Each variant is built once per second (its Date changes) and reused as one Buffer.
 */
import { currentHttpDate } from "./http-date.js";
import { ALLOW_HEADER } from "./method-policy.js";
import { statusLine } from "./status.js";

/** Statuses the server itself can answer with. */
export type CannedStatus = 400 | 403 | 404 | 405 | 408 | 413 | 414 | 431 | 500 | 501 | 503 | 505;

interface CannedParts {
  /** Status line and "Date: ". */
  readonly before: string;
  /** Headers after Date and before Connection. */
  readonly after: string;
  readonly body: string;
}

const BODIES: Readonly<Record<CannedStatus, string>> = {
  400: "400 Bad Request\n",
  403: "403 Forbidden\n",
  404: "404 Not Found\n",
  405: "405 Method Not Allowed\n",
  408: "408 Request Timeout\n",
  413: "413 Content Too Large\n",
  414: "414 URI Too Long\n",
  431: "431 Request Header Fields Too Large\n",
  500: "500 Internal Server Error\n",
  501: "501 Not Implemented\n",
  503: "503 Service Unavailable\n",
  505: "505 HTTP Version Not Supported\n",
};

const PARTS = new Map<number, CannedParts>();
for (const key of Object.keys(BODIES)) {
  const status = Number(key) as CannedStatus;
  const body = BODIES[status];
  PARTS.set(status, {
    before: statusLine(status) + "Date: ",
    after:
      "\r\n" +
      (status === 405 ? ALLOW_HEADER : "") +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${body.length}\r\n`,
    body,
  });
}

/**
 * The canned response for `status`. `close` adds `Connection: close` (every error after which
 * the byte stream cannot be trusted closes); otherwise an HTTP/1.0 keep-alive is echoed.
 * `headOnly` leaves the body out (a HEAD request) while keeping its Content-Length.
 */
export function cannedResponse(
  status: CannedStatus,
  close: boolean,
  version: 10 | 11 = 11,
  headOnly = false,
): Buffer {
  const date = currentHttpDate();
  const key = status * 8 + (close ? 4 : 0) + (version === 10 ? 2 : 0) + (headOnly ? 1 : 0);
  const cached = BUILT.get(key);
  // Rebuilt at most once a second per variant, so a flood of bad requests allocates nothing.
  if (cached !== undefined && cached.date === date) return cached.bytes;
  const parts = PARTS.get(status) as CannedParts;
  const connection = close
    ? "Connection: close\r\n"
    : version === 10
      ? "Connection: keep-alive\r\n"
      : "";
  const bytes = Buffer.from(
    parts.before + date + parts.after + connection + "\r\n" + (headOnly ? "" : parts.body),
    "latin1",
  );
  BUILT.set(key, { date, bytes });
  return bytes;
}

const BUILT = new Map<number, { date: string; bytes: Buffer }>();

/** Body length of a canned response, for the access log. */
export function cannedBodyLength(status: CannedStatus): number {
  return BODIES[status].length;
}

/** Maps a file-system error code to the status a client sees, without OS text (DESIGN §3). */
export function statusForFileError(err: unknown): CannedStatus {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP" || code === "ENAMETOOLONG") {
    return 404;
  }
  if (code === "EACCES" || code === "EPERM") return 403;
  return 500;
}
