/**
 * Incremental parser for the head of an HTTP/1.x response (RFC 9112 §4, §5), for the client. Bytes
 * go in as they arrive, in any split; the result is `need-more`, a complete head, or an error. It
 * never throws on peer input and enforces its limits as bytes arrive. Body framing is not decided
 * here (see body-decoder.ts).
 */
import { fieldNameReader, latin1, sliceHead, type HeadText } from "../http/field-names.js";
import {
  FIELD_VALUE_CHAR,
  TCHAR,
  isToken,
  isValidFieldValue,
  trimOws,
} from "../http/header-fields.js";

/** Largest response head accepted, status line and fields included (curl allows 100 KiB). */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;
/** Most header fields accepted in one response head or one trailer section. */
export const MAX_RESPONSE_FIELDS = 256;

/** A parsed response head. */
export interface ResponseHead {
  /** 10 for HTTP/1.0; 11 for HTTP/1.1 and other 1.x minors (RFC 9110 §6.2). */
  readonly version: 10 | 11;
  /** Three-digit status code, 100-599. */
  readonly status: number;
  /** Reason phrase as sent (may be empty; RFC 9112 §4 says clients should ignore it). */
  readonly reason: string;
  /** Fields as a flat list: name (lower-cased), value (trimmed), name, value, ... in order. */
  readonly fields: readonly string[];
  /** The head as received (latin1), up to and including the blank line, for -i and --trace. */
  readonly raw: string;
}

/** What one `push` produced. `rest` holds the bytes after the head (body or a next message). */
export type ResponseHeadResult =
  | { readonly kind: "need-more" }
  | { readonly kind: "head"; readonly head: ResponseHead; readonly rest: Buffer }
  | { readonly kind: "error"; readonly message: string };

const NEED_MORE: ResponseHeadResult = { kind: "need-more" };
const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;

/** The names servers nearly always send: read as constants, no new string per field. */
const responseFieldName = fieldNameReader([
  "content-type",
  "content-length",
  "date",
  "server",
  "connection",
  "keep-alive",
  "last-modified",
  "etag",
  "accept-ranges",
  "cache-control",
  "vary",
  "transfer-encoding",
  "location",
  "expires",
  "content-encoding",
  "set-cookie",
  "via",
  "x-powered-by",
  "access-control-allow-origin",
  "repr-digest",
  "content-digest",
]);

/**
 * Finds the end of a head as bytes arrive: a line terminator (CRLF, or a bare LF, which RFC 9112
 * §2.2 lets recipients accept) right after another one. Create one per message; after a `head`
 * or `error` result, create a new parser for the next message.
 */
export class ResponseHeadParser {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** Bytes on the current line so far, not counting a CR just before its LF. */
  private lineLength = 0;
  private sawCr = false;
  private done = false;

  constructor(private readonly maxBytes: number = MAX_RESPONSE_HEAD_BYTES) {}

  /** Feeds the next bytes from the connection. */
  push(chunk: Buffer): ResponseHeadResult {
    if (this.done) return { kind: "error", message: "response head parser reused" };
    // The usual case, a whole head in the first read: found with one native search, not a loop
    // over its bytes. A head that parses this way has no bare CR or LF (every line is checked),
    // so its first CRLFCRLF is where the byte scan below would end it too; anything else (bare
    // line ends, errors) is left to the byte scan, which has the last word.
    if (this.size === 0) {
      const end = chunk.indexOf(HEAD_END);
      if (end >= 0 && end + 4 <= this.maxBytes) {
        const fast = readHead(chunk, end + 4);
        if (fast !== undefined) {
          this.done = true;
          return fast;
        }
        const raw = chunk.toString("latin1", 0, end + 4);
        const result = parseLines(raw.slice(0, end).split("\r\n"), raw, chunk.subarray(end + 4));
        if (result.kind === "head") {
          this.done = true;
          return result;
        }
      }
    }
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (this.size + i + 1 > this.maxBytes)
        return this.fail(`response head larger than ${this.maxBytes} bytes`);
      if (this.sawCr && byte !== LF) return this.fail("bare CR in response head");
      if (byte === CR) {
        this.sawCr = true;
        continue;
      }
      if (byte !== LF) {
        this.lineLength++;
        continue;
      }
      this.sawCr = false;
      // A blank line ends the head, except blank lines before the status line, which RFC 9112
      // §2.2 says a recipient should ignore only for requests; for responses they are an error.
      if (this.lineLength === 0) {
        this.chunks.push(chunk.subarray(0, i + 1));
        const rest = chunk.subarray(i + 1);
        this.done = true;
        return parseHead(Buffer.concat(this.chunks).toString("latin1"), rest);
      }
      this.lineLength = 0;
    }
    // A copy: the caller may reuse its buffer for the next read.
    this.chunks.push(Buffer.from(chunk));
    this.size += chunk.length;
    return NEED_MORE;
  }

  private fail(message: string): ResponseHeadResult {
    this.done = true;
    return { kind: "error", message };
  }
}

/**
 * A well-formed head in data[0, end) (`end` just past its CRLFCRLF) read byte by byte, as the
 * server reads requests: no line strings, no regular expression, common names as constants (a
 * proxied response's head is parsed on every request). Undefined for anything else (obs-fold,
 * bare CR or LF, a bad byte, another major version, too many fields): the line parser below has
 * the last word on those, and words the error.
 */
function readHead(data: Buffer, end: number): ResponseHeadResult | undefined {
  // "HTTP/1." DIGIT SP 3DIGIT, then SP reason, or the end of the line (RFC 9112 §4)
  if (
    data[0] !== 0x48 ||
    data[1] !== 0x54 ||
    data[2] !== 0x54 ||
    data[3] !== 0x50 ||
    data[4] !== 0x2f ||
    data[5] !== 0x31 ||
    data[6] !== 0x2e ||
    !isDigit(data[7]) ||
    data[8] !== SP ||
    !isDigit(data[9]) ||
    !isDigit(data[10]) ||
    !isDigit(data[11])
  ) {
    return undefined;
  }
  const status =
    (data[9] as number) * 100 + (data[10] as number) * 10 + (data[11] as number) - 5328;
  if (status < 100 || status > 599) return undefined;
  // The head decoded once (it is `raw` too); every string below is a slice of it (field-names.ts).
  const raw = latin1(data, 0, end);
  const text: HeadText = { text: raw, base: 0 };
  let i = 12;
  let reason = "";
  if (data[i] === SP) {
    const from = ++i;
    while (data[i] !== CR) {
      if (FIELD_VALUE_CHAR[data[i] as number] !== 1) return undefined;
      i++;
    }
    reason = sliceHead(text, from, i);
  }
  if (data[i] !== CR || data[i + 1] !== LF) return undefined;
  const fields: string[] = [];
  const limit = end - 2; // the blank line's CRLF
  let line = i + 2;
  while (line < limit) {
    i = line;
    while (TCHAR[data[i] as number] === 1) i++;
    if (i === line || data[i] !== 0x3a) return undefined; // also obs-fold: SP or HTAB first
    const nameEnd = i++;
    while (data[i] === SP || data[i] === HTAB) i++;
    const valueStart = i;
    while (data[i] !== CR) {
      if (FIELD_VALUE_CHAR[data[i] as number] !== 1) return undefined;
      i++;
    }
    if (data[i + 1] !== LF) return undefined;
    let valueEnd = i;
    while (valueEnd > valueStart && (data[valueEnd - 1] === SP || data[valueEnd - 1] === HTAB))
      valueEnd--;
    if (fields.length / 2 >= MAX_RESPONSE_FIELDS) return undefined;
    fields.push(
      responseFieldName(data, line, nameEnd, text),
      sliceHead(text, valueStart, valueEnd),
    );
    line = i + 2;
  }
  const version = data[7] === 0x30 ? 10 : 11;
  const head = { version, status, reason, fields, raw } as const;
  return { kind: "head", head, rest: data.subarray(end) };
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?: ([^]*))?$/;

function parseHead(raw: string, rest: Buffer): ResponseHeadResult {
  const lines = raw.split("\n").map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
  // The last two entries are the blank line's "" and the empty tail after its LF.
  lines.length -= 2;
  return parseLines(lines, raw, rest);
}

/** The head from its lines (terminators and the blank line removed). */
function parseLines(lines: string[], raw: string, rest: Buffer): ResponseHeadResult {
  const statusLine = lines[0] ?? "";
  if (statusLine === "") return { kind: "error", message: "empty line instead of a status line" };
  const match = STATUS_LINE.exec(statusLine);
  if (match === null) {
    return { kind: "error", message: `malformed status line '${printable(statusLine)}'` };
  }
  if (match[1] !== "1") {
    return { kind: "error", message: `unsupported HTTP version ${match[1]}.${match[2]}` };
  }
  const status = Number(match[3]);
  if (status < 100 || status > 599) {
    return { kind: "error", message: `status code ${status} out of range` };
  }
  const reason = match[4] ?? "";
  if (hasControlBytes(reason)) return { kind: "error", message: "control bytes in reason phrase" };
  const fields = parseFieldLines(lines, 1);
  if (typeof fields === "string") return { kind: "error", message: fields };
  const version = match[2] === "0" ? 10 : 11;
  return { kind: "head", head: { version, status, reason, fields, raw }, rest };
}

/**
 * Parses field lines (without their terminators) into a flat [name, value, ...] list, or returns
 * an error message. Shared with the chunked trailer section (RFC 9112 §7.1.2). A line starting
 * with SP or HTAB is obs-fold, which a user agent replaces by SP (RFC 9112 §5.2).
 */
export function parseFieldLines(lines: readonly string[], from = 0): string[] | string {
  const fields: string[] = [];
  for (let i = from; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith(" ") || line.startsWith("\t")) {
      if (fields.length === 0) return "continuation line before the first field";
      const value = trimOws(line);
      if (hasControlBytes(value)) return "control bytes in a field value";
      const last = fields.length - 1;
      fields[last] = trimOws(`${fields[last] as string} ${value}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) return `malformed field line '${printable(line)}'`;
    const name = line.slice(0, colon);
    // Whitespace between name and colon is forbidden (RFC 9112 §5.1): a response-splitting vector.
    if (!isToken(name)) return `invalid field name '${printable(name)}'`;
    const value = trimOws(line.slice(colon + 1));
    if (hasControlBytes(value)) return `control bytes in the value of ${name}`;
    if (fields.length / 2 >= MAX_RESPONSE_FIELDS) return `more than ${MAX_RESPONSE_FIELDS} fields`;
    fields.push(name.toLowerCase(), value);
  }
  return fields;
}

// Field values may hold HTAB and obs-text (0x80-0xff) but no other control bytes (RFC 9110 §5.5).
function hasControlBytes(text: string): boolean {
  return !isValidFieldValue(text);
}

/** A short, terminal-safe excerpt of peer text for an error message. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = text.replace(/[\x00-\x1f\x7f-\xff]/g, "?");
  return safe.length > 60 ? `${safe.slice(0, 60)}...` : safe;
}
