/**
 * Which validator identifies the version of a resource a download is made of (RFC 9110 §8.8):
 * sent back in If-Range so that a resumed or segmented download only ever combines bytes of one
 * version. Pure.
 */
import { formatHttpDate, parseHttpDate } from "../http/http-date.js";

/** A validator fit for If-Range: a strong entity tag, or a strong Last-Modified date. */
export interface Validator {
  readonly kind: "etag" | "last-modified";
  /** The value as If-Range sends it: `"abc"`, or an IMF-fixdate. */
  readonly value: string;
}

/** The fields a validator is read from. */
export interface ValidatorSource {
  header(name: string): string | undefined;
}

/**
 * The validator for If-Range (RFC 9110 §13.1.5): the ETag when it is strong; otherwise
 * Last-Modified, but only when it is a strong validator in the sense of §8.8.2.2 (at least one
 * second before the response's Date: a file changed twice within its last-modified second would
 * otherwise carry the same date). Weak ETags are never sent in If-Range. Undefined when there is
 * none: such a resource cannot be resumed or segmented safely.
 */
export function validatorOf(response: ValidatorSource): Validator | undefined {
  const etag = response.header("etag");
  if (etag !== undefined && isStrongEtag(etag)) return { kind: "etag", value: etag };
  const lastModified = parseHttpDate(response.header("last-modified") ?? "");
  if (lastModified === undefined) return undefined;
  const date = parseHttpDate(response.header("date") ?? "");
  if (date === undefined || lastModified > date - 1000) return undefined;
  return { kind: "last-modified", value: formatHttpDate(lastModified) };
}

/**
 * True when `response` names another version than `validator`: it carries that kind of
 * validator (an ETag, compared strongly; a Last-Modified, compared as a date) with another
 * value. A response without it does not contradict: the server has evaluated If-Range, and RFC
 * 9110 §15.3.7 asks a 206 to carry the validator, but some omit it.
 */
export function contradicts(validator: Validator | undefined, response: ValidatorSource): boolean {
  if (validator === undefined) return false;
  if (validator.kind === "etag") {
    const etag = response.header("etag");
    return etag !== undefined && etag !== validator.value;
  }
  const lastModified = parseHttpDate(response.header("last-modified") ?? "");
  return lastModified !== undefined && formatHttpDate(lastModified) !== validator.value;
}

/** `"xyzzy"`: an opaque-tag without the W/ prefix (RFC 9110 §8.8.3). */
function isStrongEtag(value: string): boolean {
  // etagc = "!" / %x23-7E / obs-text
  return /^"[\x21\x23-\x7e\x80-\xff]*"$/.test(value);
}
