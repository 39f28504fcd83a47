/**
 * Checking a 206 (Partial Content) against the range asked for (RFC 9110 §14.4, §15.3.7). The
 * resume and segment bugs of download clients are corruption bugs: a 206 whose Content-Range
 * starts elsewhere, ends early, or disagrees with its Content-Length, appended anyway. Here a 206
 * is accepted only when its Content-Range is exactly what was asked (or, for an open range, a
 * prefix of it) and its Content-Length agrees. Pure.
 */

/** A parsed `Content-Range: bytes first-last/complete` (complete undefined for "*"). */
export interface ContentRange {
  readonly first: number;
  readonly last: number;
  readonly complete: number | undefined;
}

/** A parsed unsatisfied range, `bytes STAR/complete` (a 416's Content-Range). */
export interface UnsatisfiedRange {
  readonly complete: number;
}

const DIGITS = "(\\d{1,15})";
const SATISFIED = new RegExp(`^bytes ${DIGITS}-${DIGITS}/(?:${DIGITS}|\\*)$`, "i");
const UNSATISFIED = new RegExp(`^bytes \\*/${DIGITS}$`, "i");

/**
 * Parses `bytes first-last/complete` exactly as RFC 9110 §14.4 writes it (one SP, no other
 * whitespace), refusing last < first and last >= complete. Undefined for anything else.
 */
export function parseContentRange(value: string | undefined): ContentRange | undefined {
  if (value === undefined) return undefined;
  const m = SATISFIED.exec(value);
  if (m === null) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2]);
  const complete = m[3] === undefined ? undefined : Number(m[3]);
  if (last < first || (complete !== undefined && last >= complete)) return undefined;
  return { first, last, complete };
}

/** Parses a 416's `bytes STAR/complete`; undefined for anything else. */
export function parseUnsatisfiedRange(value: string | undefined): UnsatisfiedRange | undefined {
  const m = value === undefined ? null : UNSATISFIED.exec(value);
  return m === null ? undefined : { complete: Number(m[1]) };
}

/** The range a request asked for: `bytes=start-end`, or `bytes=start-` when end is undefined. */
export interface AskedRange {
  readonly start: number;
  readonly end?: number | undefined;
}

/** A 206 that answers the asked range: the bytes it carries and the resource length. */
export interface CheckedRange {
  readonly first: number;
  readonly last: number;
  readonly complete: number;
}

/**
 * Checks a 206's Content-Range and Content-Length against `asked`. For a closed range the answer
 * must be exactly that range; for an open one (`bytes=N-`) it must start at N and may end before
 * the resource does (the caller then has a valid prefix and asks again). The complete length must
 * be stated, and equal `expectedComplete` when the caller knows it. Returns the range, or a
 * message saying what is wrong.
 */
export function checkPartial(
  contentRange: string | undefined,
  contentLength: number | undefined,
  asked: AskedRange,
  expectedComplete?: number,
): CheckedRange | string {
  const range = parseContentRange(contentRange);
  const shown = `Content-Range '${contentRange ?? ""}'`;
  const want = `bytes ${asked.start}-${asked.end ?? ""}`;
  if (range === undefined) return `asked for ${want} but got ${shown}`;
  if (range.complete === undefined) return `asked for ${want} but got ${shown}: no total length`;
  if (range.first !== asked.start) return `asked for ${want} but got ${shown}`;
  if (asked.end !== undefined && range.last !== Math.min(asked.end, range.complete - 1)) {
    return `asked for ${want} but got ${shown}`;
  }
  if (expectedComplete !== undefined && range.complete !== expectedComplete) {
    return `the total length changed from ${expectedComplete} to ${range.complete} (${shown})`;
  }
  const length = range.last - range.first + 1;
  if (contentLength !== undefined && contentLength !== length) {
    return `${shown} is ${length} bytes but Content-Length says ${contentLength}`;
  }
  return { first: range.first, last: range.last, complete: range.complete };
}
