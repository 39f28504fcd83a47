/**
 * Decodes a chunked request body (RFC 9112 §7.1) as its bytes arrive, for a handler that reads
 * it or for the server discarding it: the byte stream must be consumed exactly, so that the next
 * pipelined request is read from the right byte. Strict: the chunk-ext grammar of §7.1.1 exactly
 * (token names; token or quoted-string values; closed quotes; whitespace only as BWS, and BWS
 * means SP and HTAB), CRLF line ends, trailer fields with token names; anything else is 400 and
 * the connection closes. Sizes and the total are limited (413). Pure: bytes in, data slices out.
 * Not shared with the client's decoder (body-framing.ts) on purpose: that one is lenient as a
 * client should be (bare LF) and keeps trailers; this one is strict and keeps nothing.
 */
import { FIELD_VALUE_CHAR, hexValue, TCHAR } from "../header-fields.js";

/** What one decode() produced: need more bytes, the body's end, or why it is rejected. */
export type DecodeResult =
  | { readonly kind: "need-more" }
  /** The body ended; `next` is the offset in the input where the next request begins. */
  | { readonly kind: "done"; readonly next: number }
  | { readonly kind: "error"; readonly status: 400 | 413; readonly reason: string };

type State =
  | "size" /* hex digits of chunk-size */
  | "size-bws" /* BWS after the size: only ";" may follow */
  | "ext-name-start" /* after ";" and BWS: a token */
  | "ext-name"
  | "ext-name-bws" /* BWS after a name: "=" or ";" */
  | "ext-value-start" /* after "=" and BWS: a token or a quoted-string */
  | "ext-token"
  | "ext-quoted"
  | "ext-quoted-pair" /* after "\" inside a quoted-string */
  | "ext-after-value" /* after a closing quote: ";", CR or BWS */
  | "ext-bws" /* BWS after a value: only ";" may follow */
  | "size-lf"
  | "data"
  | "data-cr"
  | "data-lf"
  | "trailer-start" /* start of a trailer line, or CR of the final blank line */
  | "trailer-name"
  | "trailer-value"
  | "trailer-lf"
  | "end-lf"
  | "done";

const NEED_MORE = { kind: "need-more" } as const;
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const SEMI = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Hex digits of a chunk size: 15 covers any size a Number holds exactly. */
const MAX_SIZE_DIGITS = 15;
/** Chunk extensions and trailer fields together; they are ignored, so keep them short. */
const MAX_METADATA_BYTES = 8 * 1024;

/** One per connection; reset() before each body. */
export class ChunkedDecoder {
  private state: State = "size";
  private size = 0;
  private digits = 0;
  private remaining = 0;
  private total = 0;
  private metadata = 0;
  private limit = 0;

  /** Prepares for a new body of at most `limit` data bytes. */
  reset(limit: number): void {
    this.state = "size";
    this.size = 0;
    this.digits = 0;
    this.remaining = 0;
    this.total = 0;
    this.metadata = 0;
    this.limit = limit;
  }

  /** Changes the limit of the body in progress (a handler that starts reading sets its own). */
  setLimit(limit: number): DecodeResult {
    this.limit = limit;
    return this.total > limit ? tooLarge() : NEED_MORE;
  }

  /**
   * Decodes `input`, handing each piece of chunk data to `onData` (a view into `input`), until
   * the input is used up (need-more), the body ends (done) or an error.
   */
  decode(input: Buffer, onData: (data: Buffer) => void): DecodeResult {
    let i = 0;
    const n = input.length;
    while (i < n) {
      if (this.state === "data") {
        const take = Math.min(this.remaining, n - i);
        onData(input.subarray(i, i + take));
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.state = "data-cr";
        continue;
      }
      const c = input[i++] as number;
      if (isMetadata(this.state) && ++this.metadata > MAX_METADATA_BYTES) {
        return fail(400, "chunk extensions or trailers too long");
      }
      const err = this.step(c);
      if (err !== undefined) return err;
      if (this.state === "done") return { kind: "done", next: i };
    }
    return NEED_MORE;
  }

  /** One byte of framing. Returns an error, or undefined to go on. */
  private step(c: number): DecodeResult | undefined {
    switch (this.state) {
      case "size": {
        const v = hexValue(c);
        if (v >= 0) {
          if (++this.digits > MAX_SIZE_DIGITS) return fail(400, "chunk size too long");
          this.size = this.size * 16 + v;
          return undefined;
        }
        if (this.digits === 0) return fail(400, "chunk size expected");
        if (c === CR) return this.go("size-lf");
        if (c === SEMI) return this.go("ext-name-start");
        if (c === SP || c === HTAB) return this.go("size-bws");
        return fail(400, "bad chunk size");
      }
      case "size-bws":
      case "ext-bws":
        if (c === SP || c === HTAB) return undefined;
        if (c === SEMI) return this.go("ext-name-start");
        return fail(400, "chunk extension expected after whitespace");
      case "ext-name-start":
        if (c === SP || c === HTAB) return undefined;
        if (TCHAR[c] === 1) return this.go("ext-name");
        return fail(400, "chunk extension name must be a token");
      case "ext-name":
        if (TCHAR[c] === 1) return undefined;
        if (c === CR) return this.go("size-lf");
        if (c === SEMI) return this.go("ext-name-start");
        if (c === EQUALS) return this.go("ext-value-start");
        if (c === SP || c === HTAB) return this.go("ext-name-bws");
        return fail(400, "bad byte in chunk extension name");
      case "ext-name-bws":
        if (c === SP || c === HTAB) return undefined;
        if (c === EQUALS) return this.go("ext-value-start");
        if (c === SEMI) return this.go("ext-name-start");
        return fail(400, "bad byte after chunk extension name");
      case "ext-value-start":
        if (c === SP || c === HTAB) return undefined;
        if (c === DQUOTE) return this.go("ext-quoted");
        if (TCHAR[c] === 1) return this.go("ext-token");
        return fail(400, "chunk extension value must be a token or a quoted-string");
      case "ext-token":
        if (TCHAR[c] === 1) return undefined;
        if (c === CR) return this.go("size-lf");
        if (c === SEMI) return this.go("ext-name-start");
        if (c === SP || c === HTAB) return this.go("ext-bws");
        return fail(400, "bad byte in chunk extension value");
      case "ext-quoted":
        // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 §5.6.4)
        if (c === DQUOTE) return this.go("ext-after-value");
        if (c === BACKSLASH) return this.go("ext-quoted-pair");
        if (c === HTAB || (c >= SP && c !== 0x7f)) return undefined;
        return fail(400, c === CR ? "unclosed quoted-string" : "control byte in quoted-string");
      case "ext-quoted-pair":
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
        if (c === HTAB || (c >= SP && c !== 0x7f)) return this.go("ext-quoted");
        return fail(400, "bad quoted-pair in chunk extension");
      case "ext-after-value":
        if (c === CR) return this.go("size-lf");
        if (c === SEMI) return this.go("ext-name-start");
        if (c === SP || c === HTAB) return this.go("ext-bws");
        return fail(400, "bad byte after quoted-string");
      case "size-lf":
        if (c !== LF) return fail(400, "bare CR in chunk size line");
        return this.chunkHeadDone();
      case "data-cr":
        if (c !== CR) return fail(400, "chunk data not followed by CRLF");
        return this.go("data-lf");
      case "data-lf":
        if (c !== LF) return fail(400, "chunk data not followed by CRLF");
        return this.go("size");
      case "trailer-start":
        if (c === CR) return this.go("end-lf");
        if (TCHAR[c] === 1) return this.go("trailer-name");
        return fail(400, c === SP || c === HTAB ? "obs-fold in trailer" : "bad trailer field");
      case "trailer-name":
        if (TCHAR[c] === 1) return undefined;
        if (c === 0x3a) return this.go("trailer-value");
        return fail(400, "bad trailer field name");
      case "trailer-value":
        if (c === CR) return this.go("trailer-lf");
        if (FIELD_VALUE_CHAR[c] === 1) return undefined;
        return fail(400, "bad byte in trailer field value");
      case "trailer-lf":
        if (c !== LF) return fail(400, "bare CR in trailer");
        return this.go("trailer-start");
      case "end-lf":
        if (c !== LF) return fail(400, "bare CR after trailers");
        return this.go("done");
      case "data":
      case "done":
        return undefined;
      default: {
        const never: never = this.state;
        return never;
      }
    }
  }

  private go(state: State): undefined {
    this.state = state;
    return undefined;
  }

  /** The size line is complete: the last chunk, or a chunk of data within the limit. */
  private chunkHeadDone(): DecodeResult | undefined {
    this.total += this.size;
    if (this.total > this.limit) return tooLarge();
    this.remaining = this.size;
    this.state = this.size === 0 ? "trailer-start" : "data";
    this.size = 0;
    this.digits = 0;
    return undefined;
  }
}

/** States whose bytes are chunk extensions or trailers (counted against MAX_METADATA_BYTES). */
function isMetadata(state: State): boolean {
  return state !== "size" && state !== "size-lf" && state !== "data-cr" && state !== "data-lf";
}

function fail(status: 400 | 413, reason: string): DecodeResult {
  return { kind: "error", status, reason };
}

function tooLarge(): DecodeResult {
  return fail(413, "chunked body too large");
}
