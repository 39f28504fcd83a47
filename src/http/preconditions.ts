/**
 * Conditional requests (RFC 9110 §13): the validators of a selected representation against
 * If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since and If-Range, evaluated in the
 * order of RFC 9110 §13.2.2 with a tri-state per header, as Go's checkPreconditions does. Pure.
 */
import { trimOws } from "./header-fields.js";
import { getField, splitList } from "./header-lookup.js";
import { parseHttpDate } from "./http-date.js";
import type { RequestHead } from "./types.js";

/** The validators of the representation the response would carry. */
export interface Validators {
  /** Entity-tag, quoted: "\"abc\"" (or W/"abc"); undefined when the representation has none. */
  readonly etag: string | undefined;
  /**
   * Last modification time in ms; compared at one-second resolution, as HTTP dates have.
   * Undefined when there is none: the date conditions are then ignored (RFC 9110 §13.1.3, §13.1.4).
   */
  readonly lastModifiedMs: number | undefined;
}

/** The outcome: go on (with or without honouring Range), 304, or 412. */
export type PreconditionResult =
  | { readonly kind: "proceed"; readonly honourRange: boolean }
  | { readonly kind: "not-modified" }
  | { readonly kind: "precondition-failed" };

/** A header that is absent (or, for dates, invalid and so ignored) is "none", not false. */
type Cond = "none" | "true" | "false";

/**
 * Evaluates the preconditions of RFC 9110 §13.2.2 in its order:
 * 1. If-Match (strong comparison); when absent, If-Unmodified-Since. False → 412.
 * 2. If-None-Match (weak comparison); false → 304 for GET/HEAD, 412 otherwise. When absent and the
 *    method is GET or HEAD, If-Modified-Since; false → 304.
 * 3. If-Range (strong comparison, or an exact date): false → the Range header is ignored and the
 *    whole representation is sent (RFC 9110 §13.1.5).
 */
export function evaluatePreconditions(head: RequestHead, v: Validators): PreconditionResult {
  const getOrHead = head.method === "GET" || head.method === "HEAD";
  let c = checkIfMatch(getField(head, "if-match"), v);
  if (c === "none") c = checkIfUnmodifiedSince(getField(head, "if-unmodified-since"), v);
  if (c === "false") return { kind: "precondition-failed" };
  const inm = checkIfNoneMatch(getField(head, "if-none-match"), v);
  if (inm === "false")
    return getOrHead ? { kind: "not-modified" } : { kind: "precondition-failed" };
  if (inm === "none" && getOrHead) {
    if (checkIfModifiedSince(getField(head, "if-modified-since"), v) === "false") {
      return { kind: "not-modified" };
    }
  }
  const range = getField(head, "range");
  const honourRange =
    range !== undefined && getOrHead && checkIfRange(getField(head, "if-range"), v) !== "false";
  return { kind: "proceed", honourRange };
}

function checkIfMatch(value: string | undefined, v: Validators): Cond {
  if (value === undefined) return "none";
  if (trimOws(value) === "*") return "true";
  for (const tag of splitList(value)) if (strongMatch(tag, v.etag)) return "true";
  return "false";
}

function checkIfUnmodifiedSince(value: string | undefined, v: Validators): Cond {
  if (value === undefined || v.lastModifiedMs === undefined) return "none";
  const t = parseHttpDate(value);
  if (t === undefined) return "none";
  return seconds(v.lastModifiedMs) <= seconds(t) ? "true" : "false";
}

function checkIfNoneMatch(value: string | undefined, v: Validators): Cond {
  if (value === undefined) return "none";
  if (trimOws(value) === "*") return "false";
  for (const tag of splitList(value)) if (weakMatch(tag, v.etag)) return "false";
  return "true";
}

function checkIfModifiedSince(value: string | undefined, v: Validators): Cond {
  if (value === undefined || v.lastModifiedMs === undefined) return "none";
  const t = parseHttpDate(value);
  if (t === undefined) return "none";
  return seconds(v.lastModifiedMs) <= seconds(t) ? "false" : "true";
}

/**
 * If-Range holds an entity-tag or an HTTP-date. An entity-tag must match strongly (a weak tag
 * never matches); a date must equal Last-Modified exactly (RFC 9110 §13.1.5).
 */
function checkIfRange(value: string | undefined, v: Validators): Cond {
  if (value === undefined) return "none";
  const ir = trimOws(value);
  if (ir.startsWith('"') || ir.startsWith("W/")) return strongMatch(ir, v.etag) ? "true" : "false";
  const t = parseHttpDate(ir);
  if (t === undefined || v.lastModifiedMs === undefined) return "false";
  return seconds(t) === seconds(v.lastModifiedMs) ? "true" : "false";
}

/** Strong comparison (RFC 9110 §8.8.3.2): both strong and identical. */
export function strongMatch(a: string, b: string | undefined): boolean {
  return a === b && !a.startsWith("W/") && isEntityTag(a);
}

/** Weak comparison: identical opaque-tags, whether either is weak or not. */
export function weakMatch(a: string, b: string | undefined): boolean {
  if (b === undefined) return false;
  const x = a.startsWith("W/") ? a.slice(2) : a;
  const y = b.startsWith("W/") ? b.slice(2) : b;
  return x === y && isEntityTag(x);
}

function isEntityTag(tag: string): boolean {
  const t = tag.startsWith("W/") ? tag.slice(2) : tag;
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') && !t.slice(1, -1).includes('"');
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}
