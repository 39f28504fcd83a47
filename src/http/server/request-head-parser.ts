/**
 * The incremental request-head parser (RFC 9112 §2-§6). Bytes are pushed as they arrive; the
 * parser answers need-more, a complete head with its body framing, or an error status. Limits
 * are enforced as bytes arrive, never after buffering everything; the parser never throws and
 * touches no socket or timer. Bytes after a head (a body, a pipelined request) stay buffered.
 */
import { latin1, sliceHead, type HeadText } from "../field-names.js";
import { fieldName, methodName } from "./head-names.js";
import { FIELD_VALUE_CHAR, TARGET_CHAR, TCHAR, isValidHost, trimOws } from "../header-fields.js";
import type { HttpLimits } from "../limits.js";
import { splitRequestTarget } from "../request-target.js";
import type { RequestHead } from "../types.js";

/** How the request's body is delimited (RFC 9112 §6.3). */
export type RequestBodyKind = "none" | "length" | "chunked";

/** A complete, syntactically valid request head and what the connection needs to go on. */
export interface ParsedHead {
  readonly kind: "head";
  readonly head: RequestHead;
  /** Bytes the head took on the wire (empty lines skipped before it included). */
  readonly headBytes: number;
  readonly bodyKind: RequestBodyKind;
  /** Content-Length when bodyKind is "length", else 0. */
  readonly contentLength: number;
  /** `Connection: close` was sent (RFC 9112 §9.6). */
  readonly wantsClose: boolean;
  /** `Connection: keep-alive` was sent (RFC 9112 §C.2.2, for HTTP/1.0). */
  readonly wantsKeepAlive: boolean;
  /** `Expect: 100-continue` on an HTTP/1.1 request (RFC 9110 §10.1.1). */
  readonly expectsContinue: boolean;
  /** The head's bytes as latin1 text, for --trace. Built only when asked for. */
  readonly headText: string | undefined;
}

/** A request the server must refuse; the connection sends `status` and closes. */
export interface HeadError {
  readonly kind: "error";
  readonly status: 400 | 414 | 431 | 501 | 505;
  /** Short diagnostic for traces and tests; never sent to the client. */
  readonly reason: string;
  /**
   * The request line, when it was valid and the error came later (a bad field, no Host, both
   * framings): the access log shows it, as nginx logs it for such a 400.
   */
  readonly requestLine?: RequestLine;
}

/** A valid request line's parts, as sent. */
export interface RequestLine {
  readonly method: string;
  readonly target: string;
  readonly version: 10 | 11;
}

export type HeadParseResult = { readonly kind: "need-more" } | ParsedHead | HeadError;

const NEED_MORE = { kind: "need-more" } as const;
/** What an empty parser holds: shared, so a new or idle parser pins no received chunk. */
const EMPTY = Buffer.alloc(0);
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");
/** Room for a method, two spaces and " HTTP/1.1\r\n" beside the target in a request line. */
const REQUEST_LINE_SLACK = 64;

function fail(status: HeadError["status"], reason: string): HeadError {
  return { kind: "error", status, reason };
}

/**
 * One parser per connection. Unconsumed bytes are kept as one contiguous view: the received
 * chunk itself when a head arrives whole (the common case: no copy at all), or a growing
 * buffer (doubling, so each byte is copied O(1) times) when a head spans chunks. Its size is
 * bounded because the head limits are checked on every push and the connection stops reading
 * while a response is in flight.
 */
export class RequestHeadParser {
  private data: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** True when `data` is our own growable buffer rather than a received chunk. */
  private owned = false;
  /** Offset (relative to start) up to which the current head has been searched. */
  private scanned = 0;
  /** Index of the request line's LF once found, else -1. */
  private lineEnd = -1;
  /** Where the current head began, empty lines before it included (for its byte count). */
  private headStart = 0;
  /**
   * The last Host value found valid: a client sends the same one on every request of its
   * connection, checked once instead of byte by byte each time.
   */
  private validHost: string | undefined;

  constructor(
    private readonly limits: HttpLimits,
    /** Keep the head text for --trace. */
    private readonly keepHeadText = false,
  ) {}

  /** Bytes received and not yet consumed by a head or consume(). */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /** Appends received bytes. Call parse() afterwards. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const have = this.end - this.start;
    if (have === 0) {
      this.data = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    if (this.owned && this.data.length - this.end >= chunk.length) {
      chunk.copy(this.data, this.end);
      this.end += chunk.length;
      return;
    }
    const grown = Buffer.allocUnsafe(Math.max(4096, 2 * (have + chunk.length)));
    this.data.copy(grown, 0, this.start, this.end);
    chunk.copy(grown, have);
    // Scan positions are relative to start, so they survive the move.
    this.data = grown;
    this.lineEnd = this.lineEnd === -1 ? -1 : this.lineEnd - this.start;
    this.headStart -= this.start;
    this.start = 0;
    this.end = have + chunk.length;
    this.owned = true;
  }

  /** Up to `max` buffered bytes, removed from the buffer (a body being read or discarded). */
  consume(max: number): Buffer {
    const n = Math.min(max, this.end - this.start);
    const out = this.data.subarray(this.start, this.start + n);
    this.start += n;
    if (this.start === this.end) this.release();
    return out;
  }

  /** Forgets the consumed buffer, so an idle connection keeps no received chunk alive. */
  private release(): void {
    this.data = EMPTY;
    this.start = 0;
    this.end = 0;
    this.owned = false;
  }

  /** Puts bytes back in front of the buffer (what a body reader did not use). */
  unshift(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const rest = this.data.subarray(this.start, this.end);
    this.data = rest.length === 0 ? bytes : Buffer.concat([bytes, rest]);
    this.start = 0;
    this.end = this.data.length;
    this.owned = false;
  }

  /**
   * Tries to complete a head from the buffered bytes. On "head", the head's bytes are consumed
   * and whatever follows stays buffered; on "error" the connection must close (the framing of
   * what follows cannot be trusted).
   */
  parse(): HeadParseResult {
    const data = this.data;
    const end = this.end;
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before a request-line
    // (some clients send an extra CRLF after a body). Skipped lines count as head bytes.
    if (this.scanned === 0) {
      this.headStart = this.start;
      while (this.start < end && data[this.start] === CR) {
        if (this.start + 1 >= end) return NEED_MORE;
        if (data[this.start + 1] !== LF) return fail(400, "bare CR before request-line");
        this.start += 2;
      }
      if (this.start < end && data[this.start] === LF) return fail(400, "bare LF");
      if (this.start === end) return NEED_MORE;
    }
    const start = this.start;
    if (this.lineEnd === -1) {
      const lf = data.indexOf(LF, start + this.scanned);
      if (lf === -1 || lf >= end) {
        this.scanned = end - start;
        return this.scanned > this.limits.maxTargetBytes + REQUEST_LINE_SLACK
          ? fail(414, "request line too long")
          : this.scanned > this.limits.maxHeadBytes
            ? fail(431, "head too large")
            : NEED_MORE;
      }
      // Checking the request line as soon as it is complete answers HTTP/0.9 requests (which
      // never send a blank line) and bad versions at once.
      const err = this.checkRequestLine(start, lf);
      if (err !== undefined) return err;
      this.lineEnd = lf;
      this.scanned = lf + 1 - start;
    }
    const from = Math.max(this.lineEnd - 1, start + this.scanned - 3);
    const found = data.indexOf(CRLFCRLF, from);
    if (found === -1 || found + 4 > end) {
      // Not complete yet. A bare LF would stop the head from ever completing, so look for one
      // in the new bytes now rather than letting the client wait for the head timeout.
      for (let i = data.indexOf(LF, Math.max(from, this.lineEnd + 1)); i !== -1 && i < end;) {
        if (data[i - 1] !== CR) return this.withRequestLine(fail(400, "bare LF"), start);
        i = data.indexOf(LF, i + 1);
      }
      this.scanned = end - start;
      if (this.scanned > this.limits.maxHeadBytes) {
        return this.withRequestLine(fail(431, "head too large"), start);
      }
      return NEED_MORE;
    }
    const headEnd = found + 4;
    if (headEnd - start > this.limits.maxHeadBytes) {
      return this.withRequestLine(fail(431, "head too large"), start);
    }
    const result = this.parseHead(start, this.lineEnd, headEnd, headEnd - this.headStart);
    const answer = result.kind === "error" ? this.withRequestLine(result, start) : result;
    this.start = headEnd;
    this.scanned = 0;
    this.lineEnd = -1;
    if (headEnd === end) this.release();
    return answer;
  }

  /** `err` with the request line that starts at `start` (checked, ending at this.lineEnd). */
  private withRequestLine(err: HeadError, start: number): HeadError {
    const data = this.data;
    const lf = this.lineEnd;
    const sp = data.indexOf(SP, start);
    const sp2 = data.indexOf(SP, sp + 1);
    const requestLine: RequestLine = {
      method: latin1(data, start, sp),
      target: latin1(data, sp + 1, sp2),
      version: data[lf - 2] === 0x30 ? 10 : 11,
    };
    return { ...err, requestLine };
  }

  /** Validates the request line in [start, lf]; errors only. */
  private checkRequestLine(start: number, lf: number): HeadError | undefined {
    const data = this.data;
    let i = start;
    while (TCHAR[data[i] as number] === 1) i++;
    if (i === start) return fail(400, "invalid method");
    if (data[i] !== SP) return fail(400, "invalid method character");
    const targetStart = ++i;
    while (i < lf && data[i] !== SP && data[i] !== CR) {
      if (TARGET_CHAR[data[i] as number] !== 1) return fail(400, "invalid request-target byte");
      i++;
    }
    if (i === targetStart) return fail(400, "empty request-target");
    if (i - targetStart > this.limits.maxTargetBytes) return fail(414, "request-target too long");
    if (data[i] !== SP) return fail(400, "no HTTP version (HTTP/0.9 request)");
    const v = i + 1;
    // "HTTP/" DIGIT "." DIGIT CR LF, exactly (RFC 9112 §2.3).
    if (data[lf - 1] !== CR) return fail(400, "bare LF in request line");
    if (
      lf - v !== 9 ||
      data[v] !== 0x48 ||
      data[v + 1] !== 0x54 ||
      data[v + 2] !== 0x54 ||
      data[v + 3] !== 0x50 ||
      data[v + 4] !== 0x2f ||
      !isDigit(data[v + 5]) ||
      data[v + 6] !== 0x2e ||
      !isDigit(data[v + 7])
    ) {
      return fail(400, "malformed HTTP version");
    }
    if (data[v + 5] !== 0x31) return fail(505, "HTTP major version is not 1");
    return undefined;
  }

  /** Parses a complete head whose request line ends at `lf` and whose blank line ends at end. */
  private parseHead(
    start: number,
    lf: number,
    end: number,
    headBytes: number,
  ): ParsedHead | HeadError {
    const data = this.data;
    // The head decoded once; every string below is a slice of it (field-names.ts says why).
    const text: HeadText = { text: latin1(data, start, end), base: start };
    let sp = start;
    while (data[sp] !== SP) sp++;
    const method = methodName(data, start, sp, text);
    let sp2 = sp + 1;
    while (data[sp2] !== SP) sp2++;
    const target = sliceHead(text, sp + 1, sp2);
    const version = data[lf - 2] === 0x30 ? 10 : 11;

    const fields: string[] = [];
    let count = 0;
    let host: string | undefined;
    let hostCount = 0;
    let contentLength = -1;
    let transferEncoding: string | undefined;
    let wantsClose = false;
    let wantsKeepAlive = false;
    let expectsContinue = false;
    const limit = end - 2; // the final CRLF
    let line = lf + 1;
    while (line < limit) {
      const first = data[line];
      // RFC 9112 §5.2: obs-fold is rejected with 400 outside message/http.
      if (first === SP || first === HTAB) return fail(400, "obs-fold");
      let i = line;
      while (TCHAR[data[i] as number] === 1) i++;
      if (i === line) return fail(400, "invalid field name");
      // RFC 9112 §5.1: whitespace between name and colon MUST be rejected with 400.
      if (data[i] !== 0x3a)
        return fail(400, "invalid field name character or whitespace before colon");
      const nameEnd = i++;
      while (data[i] === SP || data[i] === HTAB) i++;
      const valueStart = i;
      for (;;) {
        const c = data[i] as number;
        if (c === CR) {
          if (data[i + 1] !== LF) return fail(400, "bare CR");
          break;
        }
        if (FIELD_VALUE_CHAR[c] !== 1)
          return fail(400, c === LF ? "bare LF" : "control byte in field value");
        i++;
      }
      let valueEnd = i;
      while (valueEnd > valueStart && (data[valueEnd - 1] === SP || data[valueEnd - 1] === HTAB)) {
        valueEnd--;
      }
      if (++count > this.limits.maxHeaderCount) return fail(431, "too many header fields");
      const name = fieldName(data, line, nameEnd, text);
      const value = sliceHead(text, valueStart, valueEnd);
      fields.push(name, value);
      line = i + 2;
      switch (name) {
        case "host":
          host = value;
          hostCount++;
          break;
        case "content-length": {
          // RFC 9112 §6.3 item 5: an invalid value is an unrecoverable framing error. RFC 9110
          // §8.6 lets a recipient either reject or merge repeated identical values; like nginx
          // and Node, tcpkit rejects any repetition, so no two parsers can disagree on it.
          if (contentLength !== -1) return fail(400, "repeated Content-Length");
          contentLength = parseContentLength(value);
          if (contentLength < 0) return fail(400, "invalid Content-Length");
          break;
        }
        case "transfer-encoding":
          transferEncoding =
            transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
          break;
        case "connection": {
          const v = value.toLowerCase();
          if (v === "keep-alive") wantsKeepAlive = true;
          else if (v === "close") wantsClose = true;
          else {
            for (const token of v.split(",")) {
              const t = trimOws(token);
              if (t === "close") wantsClose = true;
              else if (t === "keep-alive") wantsKeepAlive = true;
            }
          }
          break;
        }
        case "expect":
          if (value.toLowerCase() === "100-continue") expectsContinue = true;
          break;
        default:
          break;
      }
    }

    // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without Host, or with
    // more than one Host field, or with an invalid one.
    if (hostCount > 1) return fail(400, "more than one Host");
    if (host === undefined) {
      if (version === 11) return fail(400, "missing Host");
    } else if (host !== this.validHost) {
      if (!isValidHost(host)) return fail(400, "invalid Host");
      this.validHost = host;
    }

    let bodyKind: RequestBodyKind = contentLength > 0 ? "length" : "none";
    if (transferEncoding !== undefined) {
      // RFC 9112 §6.1: both framings at once is a smuggling attempt (MUST close after
      // responding); Transfer-Encoding in a 1.0 request is faulty framing, likewise.
      if (contentLength !== -1) return fail(400, "Content-Length with Transfer-Encoding");
      if (version === 10) return fail(400, "Transfer-Encoding in HTTP/1.0");
      const codings = transferEncoding.toLowerCase().split(",").map(trimOws);
      // As nginx: only plain "chunked" is decoded; any other coding is 501 (RFC 9112 §6.1),
      // and a list whose last coding is not chunked cannot be framed at all (400). Chunked
      // applied twice (in one field or two) is a framing no sender may produce (RFC 9112
      // §7: MUST NOT apply chunked more than once): 400, as nginx, not "unsupported" 501.
      if (codings[codings.length - 1] !== "chunked")
        return fail(400, "final coding is not chunked");
      if (codings.indexOf("chunked") !== codings.length - 1)
        return fail(400, "chunked applied more than once");
      if (codings.length !== 1) return fail(501, "unsupported transfer coding");
      bodyKind = "chunked";
    }

    const split = splitRequestTarget(target, method);
    if (split.kind === "error") return fail(400, split.reason);
    const head: RequestHead = {
      method,
      target,
      path: split.path,
      query: split.query,
      version,
      fields,
    };
    return {
      kind: "head",
      head,
      headBytes,
      bodyKind,
      contentLength: bodyKind === "length" ? contentLength : 0,
      wantsClose,
      wantsKeepAlive,
      expectsContinue: expectsContinue && version === 11,
      headText: this.keepHeadText ? text.text : undefined,
    };
  }
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/**
 * Content-Length = 1*DIGIT (RFC 9110 §8.6), as a number; -1 for anything else: signs, spaces
 * inside, hex, lists ("5, 5") and values past 2^53 are invalid.
 */
export function parseContentLength(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}
