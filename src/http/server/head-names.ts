/**
 * Request-head strings without a new string per request: the methods and field names nearly
 * every request carries are matched against constants (a name on the wire that matches costs no
 * allocation and no lower-casing, and compares by identity later); anything else is sliced.
 */
import { fieldNameReader, sliceHead, type HeadText } from "../field-names.js";

/** The methods nearly every request uses, as constants: no new string per request. */
const COMMON_METHODS = ["GET", "HEAD", "POST", "PUT", "OPTIONS", "DELETE", "PATCH"];

/** The method token (case-sensitive, RFC 9110 §9.1): a constant when it is a common one. */
export function methodName(data: Buffer, from: number, to: number, head: HeadText): string {
  next: for (const name of COMMON_METHODS) {
    if (name.length !== to - from) continue;
    for (let i = 0; i < name.length; i++) {
      if (data[from + i] !== name.charCodeAt(i)) continue next;
    }
    return name;
  }
  return sliceHead(head, from, to);
}

/**
 * Field names browsers and tools send, as constants: a name on the wire that matches one
 * (case-insensitively) costs no new string and no lower-casing, and compares by identity.
 */
const COMMON_NAMES = [
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "expect",
  "user-agent",
  "accept",
  "accept-encoding",
  "accept-language",
  "referer",
  "if-none-match",
  "if-modified-since",
  "if-match",
  "if-unmodified-since",
  "if-range",
  "range",
  "cache-control",
  "cookie",
  "origin",
  "pragma",
  "upgrade-insecure-requests",
  "sec-fetch-site",
  "sec-fetch-mode",
  "sec-fetch-dest",
  "sec-fetch-user",
  "dnt",
  "te",
  "keep-alive",
  "authorization",
  "x-forwarded-for",
  "access-control-request-method",
  "access-control-request-headers",
  "priority",
];

/** Field name in lower case; names are case-insensitive (RFC 9110 §5.1). */
export const fieldName = fieldNameReader(COMMON_NAMES);
