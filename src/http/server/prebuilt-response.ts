/**
 * Whole responses kept as wire bytes (DESIGN §8: one write per small response, a prebuilt
 * block): a hot file, a 404 page or one of the server's own error answers goes out to many
 * requests with the same status, header block and body, and only the Date line changes, once a
 * second. Instead of building the head and copying head and body into a new buffer per request,
 * the response is kept per body Buffer (weakly: a body its owner drops takes its bytes with it)
 * and rebuilt when the Date, status, header block or connection line differ, or when the body's
 * bytes no longer match the copy (a handler may refill one buffer per request: comparing costs
 * less than the copy it saves). A body is kept only from its second use, so one-off bodies (a
 * listing, a range) cost no second copy.
 */
import { serializeResponseHead, type ConnectionLine } from "./response-head.js";
import { currentHttpDate } from "../http-date.js";

/** Bodies up to this size are prebuilt; larger ones gain nothing from it (the copy dominates). */
export const PREBUILT_MAX_BYTES = 16 * 1024;

interface Prebuilt {
  readonly date: string;
  readonly status: number;
  readonly headers: string;
  /** Head and body in one buffer. */
  readonly wire: Buffer;
  /** The body's bytes within `wire`, to compare with the body of the next request. */
  readonly body: Buffer;
}

/** One slot per connection line: HTTP/1.1 keep-alive (""), `close`, HTTP/1.0 `keep-alive`. */
type Slots = [Prebuilt | undefined, Prebuilt | undefined, Prebuilt | undefined];

const byBody = new WeakMap<Buffer, Slots>();

function slotOf(connection: ConnectionLine): 0 | 1 | 2 {
  return connection === "" ? 0 : connection === "Connection: keep-alive\r\n" ? 2 : 1;
}

/**
 * The wire bytes of a Content-Length response with `body` (at most PREBUILT_MAX_BYTES). The
 * result may be shared with other requests: write it, never change it.
 */
export function prebuiltResponse(
  status: number,
  headers: string,
  body: Buffer,
  connection: ConnectionLine,
): Buffer {
  const date = currentHttpDate();
  const slots = byBody.get(body);
  if (slots === undefined) {
    byBody.set(body, [undefined, undefined, undefined]);
    return build(date, status, headers, body, connection).wire;
  }
  const slot = slotOf(connection);
  const known = slots[slot];
  if (
    known !== undefined &&
    known.date === date &&
    known.status === status &&
    known.headers === headers &&
    body.equals(known.body)
  ) {
    return known.wire;
  }
  const built = build(date, status, headers, body, connection);
  slots[slot] = built;
  return built.wire;
}

function build(
  date: string,
  status: number,
  headers: string,
  body: Buffer,
  connection: ConnectionLine,
): Prebuilt {
  const head = serializeResponseHead(status, headers, "length", body.length, connection);
  const wire = headAndBody(head, body);
  return { date, status, headers, wire, body: wire.subarray(head.length) };
}

/** A response head (latin1 text) and its body copied into one new Buffer, for one write. */
export function headAndBody(head: string, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(head.length + body.length);
  out.write(head, 0, "latin1");
  body.copy(out, head.length);
  return out;
}
