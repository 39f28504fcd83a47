/**
 * The fixed error answers, shared by the server (parse errors, timeouts, limits, handler
 * failures) and handlers (serveStatic's 404, 403, 416, ...): a short text body such as
 * "404 Not Found\n", never request-derived text (nothing to escape, nothing to leak), and the one
 * mapping from a file-system error to the status a client may learn (Go's toHTTPError).
 */
import { reasonPhrase } from "./status.js";
import type { ResponsePlan } from "./types.js";

const TEXT_PLAIN = "Content-Type: text/plain; charset=utf-8\r\n";
const bodies = new Map<number, Buffer>();

/** "404 Not Found\n" for 404: one Buffer per status, made once and never written to. */
export function errorBody(status: number): Buffer {
  let body = bodies.get(status);
  if (body === undefined) {
    body = Buffer.from(`${status} ${reasonPhrase(status)}\n`, "latin1");
    if (bodies.size < 1000) bodies.set(status, body);
  }
  return body;
}

const plans = new Map<number, ResponsePlan>();

/** An error response with its fixed text body; `headers` are lines such as Allow or a site's. */
export function errorPlan(status: number, headers = ""): ResponsePlan {
  if (headers === "") {
    const known = plans.get(status);
    if (known !== undefined) return known;
  }
  const plan: ResponsePlan = {
    status,
    headers: TEXT_PLAIN + headers,
    body: { kind: "bytes", bytes: errorBody(status) },
  };
  if (headers === "" && plans.size < 1000) plans.set(status, plan);
  return plan;
}

/**
 * The status a file-system error gives a client, without OS text (DESIGN §3): absent (or a path
 * through a file, a loop, a name too long) 404, not permitted 403, anything else 500.
 */
export function statusForFileError(err: unknown): 403 | 404 | 500 {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case "ENOENT":
    case "ENOTDIR":
    case "ELOOP":
    case "ENAMETOOLONG":
      return 404;
    case "EACCES":
    case "EPERM":
      return 403;
    default:
      return 500;
  }
}
