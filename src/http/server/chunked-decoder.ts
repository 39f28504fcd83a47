/**
 * Decodes a chunked request body (RFC 9112 §7.1) as its bytes arrive, for a handler that reads
 * it or for the server discarding it: the byte stream must be consumed exactly, so that the next
 * pipelined request is read from the right byte. Strict: the chunk-ext grammar of §7.1.1 exactly
 * (http/chunk-extension.ts, shared with the client: token names; token or quoted-string values;
 * closed quotes; whitespace only as BWS, and BWS means SP and HTAB), CRLF line ends, trailer
 * fields with token names; anything else is 400 and the connection closes. Sizes and the total
 * are limited (413). Pure: bytes in, data slices out. Otherwise not shared with the client's
 * decoder (client/body-decoder.ts) on purpose: that one is lenient as a client should be (bare
 * LF) and keeps trailers; this one is strict and keeps nothing.
 */
import { stepChunkExt, type ChunkExtState } from "../chunk-extension.js";
import { FIELD_VALUE_CHAR, hexValue, TCHAR } from "../header-fields.js";

/** What one decode() produced: need more bytes, the body's end, or why it is rejected. */
export type DecodeResult =
  | { readonly kind: "need-more" }
  /** The body ended; `next` is the offset in the input where the next request begins. */
  | { readonly kind: "done"; readonly next: number }
  | { readonly kind: "error"; readonly status: 400 | 413; readonly reason: string };

type State =
  | "size" /* hex digits of chunk-size */
  | "ext" /* after the digits: BWS and chunk extensions (chunk-extension.ts), up to CR */
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
/** Hex digits of a chunk size: 15 covers any size a Number holds exactly. */
const MAX_SIZE_DIGITS = 15;
/** Chunk extensions and trailer fields together; they are ignored, so keep them short. */
const MAX_METADATA_BYTES = 8 * 1024;

/** One per connection; reset() before each body. */
export class ChunkedDecoder {
  private state: State = "size";
  /** Where the chunk-extension scanner is while `state` is "ext". */
  private ext: ChunkExtState = "size";
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
        this.state = "ext";
        this.ext = "size";
        return this.step(c);
      }
      case "ext": {
        const next = stepChunkExt(this.ext, c);
        if (typeof next === "object") return fail(400, next.error);
        if (next !== "end") {
          this.ext = next;
          return undefined;
        }
        // The client's decoder also ends the line at a bare LF; a server must not (400).
        return c === CR ? this.go("size-lf") : fail(400, "bare LF after a chunk size");
      }
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
