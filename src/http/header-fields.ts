/**
 * Character classes of HTTP/1.1 message syntax (RFC 9110 §5.6.2 token, §5.5 field-value,
 * RFC 3986 for targets) as 256-entry lookup tables, so the parser tests a byte with one load; the
 * one place every token and field-value check in tcpkit comes from (parser, site headers, CLI).
 */
import { TcpkitError } from "../util/tcpkit-error.js";

function table(accept: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = accept(c) ? 1 : 0;
  return t;
}

const TOKEN_SPECIALS = "!#$%&'*+-.^_`|~";

/** tchar (RFC 9110 §5.6.2): ALPHA / DIGIT / one of !#$%&'*+-.^_`|~. Methods and field names. */
export const TCHAR = table(
  (c) =>
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    TOKEN_SPECIALS.includes(String.fromCharCode(c)),
);

/**
 * Bytes allowed inside a field value (RFC 9110 §5.5): HTAB, SP, VCHAR and obs-text (0x80-0xFF).
 * CR, LF, NUL, other controls and DEL are not: RFC 9110 §5.5 says a recipient of CR, LF or NUL
 * MUST reject the message or replace them; tcpkit rejects (400), like every other control byte.
 */
export const FIELD_VALUE_CHAR = table((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f));

/**
 * Bytes allowed in a request-target: visible ASCII except "#" (a fragment is never sent,
 * RFC 9112 §3.2). Controls, space, DEL and non-ASCII bytes (which RFC 3986 forbids unencoded)
 * are 400.
 */
export const TARGET_CHAR = table((c) => c > 0x20 && c < 0x7f && c !== 0x23);

/**
 * Bytes of a reg-name or an IP literal's inside (RFC 3986 §3.2.2): unreserved, sub-delims, "%"
 * for pct-encoding (and RFC 6874 zone ids), ":" only inside brackets (checked by isValidHost).
 */
const HOST_NAME_CHAR = table(
  (c) =>
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    "-._~!$&'()*+,;=%".includes(String.fromCharCode(c)),
);

/** True when `s` is a non-empty token (RFC 9110 §5.6.2). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TCHAR[c] !== 1) return false;
  }
  return true;
}

/** True when `s` may be sent as a field value: no CR, LF, NUL or other control but HTAB. */
export function isValidFieldValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || FIELD_VALUE_CHAR[c] !== 1) return false;
  }
  return true;
}

/**
 * True when `s` is a valid Host value (RFC 9110 §7.2): empty, or uri-host [ ":" port ], where
 * uri-host is an IP literal in brackets or a reg-name (RFC 3986 §3.2.2: no ":", "@", "/"), and
 * port is digits only. RFC 9112 §3.2: a server MUST answer 400 to an invalid Host.
 */
export function isValidHost(s: string): boolean {
  const n = s.length;
  let i = 0;
  if (n > 0 && s.charCodeAt(0) === 0x5b) {
    // IP-literal: "[" IPv6address / IPvFuture "]"
    const close = s.indexOf("]");
    if (close < 2) return false;
    for (i = 1; i < close; i++) {
      const c = s.charCodeAt(i);
      if (c !== 0x3a && (c > 0xff || HOST_NAME_CHAR[c] !== 1)) return false;
    }
    i = close + 1;
  } else {
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x3a) break;
      if (c > 0xff || HOST_NAME_CHAR[c] !== 1) return false;
    }
  }
  if (i === n) return true;
  if (s.charCodeAt(i) !== 0x3a) return false;
  for (i++; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * Splits a "Name: value" argument (`tcpkit get -H`, `tcpkit serve --header`) into a field that
 * may be sent: the name a token (RFC 9110 §5.1), the value without surrounding spaces or tabs and
 * with no control byte but HTAB (§5.5), so that an argument can never split a head (a CR or LF
 * would inject a field). Throws ERR_INVALID_ARGUMENT with a message that quotes the argument.
 * The value is checked as the bytes it goes out as (argumentBytes: "café" or "€" as curl
 * sends them) and returned as typed.
 */
export function parseFieldArgument(text: string): [name: string, value: string] {
  const colon = text.indexOf(":");
  const name = colon === -1 ? "" : trimOws(text.slice(0, colon));
  if (name === "") {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `expected 'Name: value', not '${text}'`);
  }
  if (!isToken(name)) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `invalid field name '${name}'`);
  }
  const value = trimOws(text.slice(colon + 1));
  if (!isValidFieldValue(argumentBytes(value))) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `the value of '${name}' has a control character`);
  }
  return [name, value];
}

/**
 * The bytes of command-line text as a byte string (one character per byte, written as latin1):
 * its UTF-8, which is what a terminal sent and what curl and wget put on the wire. Field values
 * are octets (RFC 9110 §5.5, obs-text); sending "é" as the one byte 0xE9 would differ from
 * every other client, and a character above U+00FF could not be sent at all.
 */
export function argumentBytes(text: string): string {
  // ASCII, by far the most common, is its own UTF-8.
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return Buffer.from(text, "utf8").toString("latin1");
  }
  return text;
}

/** The value of a hex digit byte (HEXDIG, either case), or -1 for any other byte. */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Without leading and trailing SP and HTAB (RFC 9110 §5.6.3 OWS), and nothing else: never
 * String#trim, whose idea of whitespace (VT, FF, NBSP 0xA0, NEL 0x85 in latin1 text...) would
 * make `chunked\xa0` read as `chunked` to tcpkit and as something else to its peers.
 */
export function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
