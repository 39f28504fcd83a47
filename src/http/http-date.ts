/**
 * HTTP dates (RFC 9110 §5.6.7): IMF-fixdate out, all three historic formats in, and a Date header
 * value formatted at most once a second (DESIGN §8).
 */
import { trimOws } from "./header-fields.js";

/** "Sun, 06 Nov 1994 08:49:37 GMT". Sub-second precision is dropped, as HTTP dates have none. */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/**
 * Milliseconds since the epoch, or undefined for anything that is not an HTTP-date. Accepts
 * IMF-fixdate, the obsolete RFC 850 and asctime forms (RFC 9110 §5.6.7: recipients MUST accept
 * all three). Anything else, including ISO 8601, is not a date here: an invalid validator is
 * ignored by the caller (RFC 9110 §13.1.3), never guessed.
 */
export function parseHttpDate(value: string): number | undefined {
  const v = trimOws(value);
  if (!HTTP_DATE_SHAPE.test(v)) return undefined;
  const ms = Date.parse(v.includes("-") ? rfc850ToImf(v) : v + (v.endsWith("GMT") ? "" : " GMT"));
  return Number.isNaN(ms) ? undefined : ms;
}

const HTTP_DATE_SHAPE =
  /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/;

/** RFC 850 two-digit years: RFC 9110 §5.6.7 says a year more than 50 years ahead is the past. */
function rfc850ToImf(v: string): string {
  const m = /^\w+, (\d{2})-(\w{3})-(\d{2}) (\d{2}:\d{2}:\d{2}) GMT$/.exec(v);
  if (m === null) return v;
  const [, day, mon, yy, time] = m as unknown as [string, string, string, string, string];
  const nowYear = new Date().getUTCFullYear();
  let year = 1900 + Number(yy);
  while (year + 100 <= nowYear + 50) year += 100;
  return `${day} ${mon} ${year} ${time} GMT`;
}

let cachedSecond = -1;
let cachedDate = "";

/** The current time as an HTTP-date, formatted at most once per second. */
export function currentHttpDate(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedDate = formatHttpDate(second * 1000);
  }
  return cachedDate;
}
