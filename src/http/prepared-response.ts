/**
 * The wire bytes of a small response that repeats (DESIGN §8: one write per small response, a
 * prebuilt block): a hot file answered to many requests has the same status, header block and
 * body Buffer every time, and only the Date line changes, once a second. Instead of building the
 * head and copying head and body into a new buffer per request, the whole response is kept per
 * body Buffer and rebuilt when the Date, the status, the header block or the connection line
 * differs. Only bodies a handler marks `unchanging` are kept this way (a reused scratch buffer
 * must be copied as it is now). Weakly held: a body dropped by its owner (an evicted file)
 * takes its bytes with it.
 */
import { currentHttpDate } from "./http-date.js";
import { serializeResponseHead } from "./response-head.js";

interface Prepared {
  readonly date: string;
  readonly status: number;
  readonly headers: string;
  readonly wire: Buffer;
}

/** One slot per connection line: HTTP/1.1 keep-alive, `close`, HTTP/1.0 `keep-alive`. */
type Slots = [Prepared | undefined, Prepared | undefined, Prepared | undefined];

const byBody = new WeakMap<Buffer, Slots>();

/**
 * Head and body of a Content-Length response in one Buffer, shared between requests: callers
 * must only write it, never change it.
 */
export function preparedResponse(
  status: number,
  headers: string,
  body: Buffer,
  version: 10 | 11,
  keepAlive: boolean,
): Buffer {
  const slot = !keepAlive ? 1 : version === 10 ? 2 : 0;
  const date = currentHttpDate();
  const slots = byBody.get(body);
  if (slots === undefined) {
    // First sighting: most bodies that repeat are seen again at once; one-offs (a listing, a
    // range) are not worth keeping a second copy of.
    byBody.set(body, [undefined, undefined, undefined]);
    return build(status, headers, body, version, keepAlive);
  }
  const known = slots[slot];
  if (
    known !== undefined &&
    known.date === date &&
    known.status === status &&
    known.headers === headers
  ) {
    return known.wire;
  }
  const wire = build(status, headers, body, version, keepAlive);
  slots[slot] = { date, status, headers, wire };
  return wire;
}

function build(
  status: number,
  headers: string,
  body: Buffer,
  version: 10 | 11,
  keepAlive: boolean,
): Buffer {
  const head = serializeResponseHead(status, headers, "length", body.length, version, keepAlive);
  return headAndBody(head, body);
}

/** A response head (latin1 text) and its body copied into one new Buffer, for one write. */
export function headAndBody(head: string, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(head.length + body.length);
  out.write(head, 0, "latin1");
  body.copy(out, head.length);
  return out;
}
