/**
 * The Range request header (RFC 9110 §14.1.2, §14.2) for byte ranges of a representation of known
 * length: parsing with the algorithm of Go's net/http parseRange, and the multipart/byteranges
 * framing (RFC 9110 §14.6). Pure.
 */
import { trimOws } from "./header-fields.js";

/** Bytes [start, end) of the representation. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** What a Range header asks for, for a representation of a given size. */
export type RangeRequest =
  /** No Range, or one to ignore (another unit, bad syntax, an empty file, an abusive set): 200. */
  | { readonly kind: "whole" }
  /** Satisfiable ranges, in the order asked: 206. */
  | { readonly kind: "ranges"; readonly ranges: readonly ByteRange[] }
  /** Valid syntax but no range overlaps the representation: 416 with `bytes *\/size`. */
  | { readonly kind: "unsatisfiable" };

/**
 * More ranges than this in one request are ignored (the whole representation is sent): a client
 * has no use for hundreds of parts, and each part costs a part header and a write.
 */
export const MAX_RANGES = 100;

const WHOLE: RangeRequest = { kind: "whole" };
const UNSATISFIABLE: RangeRequest = { kind: "unsatisfiable" };
const DIGITS = /^\d+$/;

/**
 * Parses a Range header value against a representation of `size` bytes, as Go's parseRange does,
 * with two deliberate differences allowed by RFC 9110 §14.2 ("a server MAY ignore the Range header
 * field"): a header with bad syntax is ignored (200, as nginx does) rather than answered with 416,
 * and a suffix range of length 0 is unsatisfiable (RFC 9110 §14.1.1).
 *
 * - `bytes=a-b`: clamped to the last byte; `a > b` is bad syntax; `a >= size` does not overlap.
 * - `bytes=a-`: from a to the end. `bytes=-n`: the last n bytes (all of them when n > size).
 * - A unit other than "bytes" MUST be ignored (RFC 9110 §14.2).
 * - An empty representation is sent whole: no range can select from it, and a 200 with an empty
 *   body serves every client better than 416 (Go's serveContent does the same).
 * - As in Go, a set whose parts add up to more than the representation (overlaps, repeats) is
 *   "probably an attack, or a dumb client" (RFC 9110 §14.1.1 allows ignoring it): sent whole;
 *   so is a set of more than MAX_RANGES parts.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return WHOLE;
  const value = trimOws(header);
  const eq = value.indexOf("=");
  if (eq < 0 || trimOws(value.slice(0, eq)).toLowerCase() !== "bytes") return WHOLE;
  if (size === 0) return WHOLE;
  const ranges: ByteRange[] = [];
  let noOverlap = false;
  let parts = 0;
  for (const raw of value.slice(eq + 1).split(",")) {
    const spec = trimOws(raw);
    if (spec === "") continue;
    if (++parts > MAX_RANGES) return WHOLE;
    const dash = spec.indexOf("-");
    if (dash < 0) return WHOLE;
    const first = trimOws(spec.slice(0, dash));
    const last = trimOws(spec.slice(dash + 1));
    if (first === "") {
      if (!DIGITS.test(last)) return WHOLE;
      const n = Math.min(Number(last), size);
      if (n === 0) {
        noOverlap = true;
        continue;
      }
      ranges.push({ start: size - n, end: size });
      continue;
    }
    if (!DIGITS.test(first)) return WHOLE;
    const start = Number(first);
    if (last === "") {
      if (start >= size) noOverlap = true;
      else ranges.push({ start, end: size });
      continue;
    }
    if (!DIGITS.test(last)) return WHOLE;
    const lastPos = Number(last);
    if (start > lastPos) return WHOLE;
    if (start >= size) {
      noOverlap = true;
      continue;
    }
    ranges.push({ start, end: Math.min(lastPos, size - 1) + 1 });
  }
  if (ranges.length === 0) return noOverlap ? UNSATISFIABLE : WHOLE;
  let total = 0;
  for (const r of ranges) total += r.end - r.start;
  if (total > size) return WHOLE;
  return { kind: "ranges", ranges };
}

/** The Content-Range value of one part: "bytes 0-499/1234" (RFC 9110 §14.4). */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end - 1}/${size}`;
}

/** A multipart/byteranges body plan: literal part heads and the ranges between them. */
export interface Multipart {
  /** The Content-Type value, with the boundary. */
  readonly contentType: string;
  /** Alternating pieces in order: Buffer (boundary and part head), range, Buffer, ..., Buffer. */
  readonly pieces: readonly (Buffer | ByteRange)[];
  /** Total body length in bytes. */
  readonly length: number;
}

/**
 * Frames `ranges` of a representation of `size` bytes and type `partType` as multipart/byteranges
 * (RFC 9110 §14.6): each part has Content-Type and Content-Range, parts are separated by
 * "--boundary" and the body ends with "--boundary--". The boundary is a fixed-length token that
 * cannot occur in a part head; like Go, it is not checked against the file bytes, which is safe
 * because each part's length is given by its Content-Range.
 */
export function multipartByteranges(
  ranges: readonly ByteRange[],
  size: number,
  partType: string,
  boundary: string,
): Multipart {
  const pieces: (Buffer | ByteRange)[] = [];
  let length = 0;
  ranges.forEach((r, i) => {
    const head = Buffer.from(
      `${i === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Type: ${partType}\r\nContent-Range: ${contentRange(r, size)}\r\n\r\n`,
      "latin1",
    );
    pieces.push(head, r);
    length += head.length + (r.end - r.start);
  });
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, "latin1");
  pieces.push(tail);
  length += tail.length;
  return { contentType: `multipart/byteranges; boundary=${boundary}`, pieces, length };
}
