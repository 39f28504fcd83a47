/**
 * Reads a chunked request body (RFC 9112 §7.1) only to throw it away: tcpkit serves no uploads,
 * but a GET with a chunked body must be consumed so the next pipelined request is read from
 * the right byte. Strict syntax; the total is limited. Pure: bytes in, verdict out.
 * Not shared with the client's BodyDecoder (client/body-decoder.ts) on purpose: that one is lenient
 * (bare LF), keeps trailers and hands data out; this one is strict, answers 400/413, keeps nothing.
 */

/** What one `push` produced: need more bytes, the body's end, or why it is rejected. */
export type SkipResult =
  | { readonly kind: "need-more" }
  /** The body ended; `rest` is whatever followed it in the chunk (the next request). */
  | { readonly kind: "done"; readonly rest: Buffer }
  | { readonly kind: "error"; readonly status: 400 | 413; readonly reason: string };

type SkipState =
  "size" | "ext" | "size-lf" | "data" | "data-cr" | "data-lf" | "trailer" | "trailer-lf";

const NEED_MORE = { kind: "need-more" } as const;
/** Hex digits of a chunk size: 15 covers any size a Number holds exactly. */
const MAX_SIZE_DIGITS = 15;
/** Chunk extensions and trailer fields together; they are ignored, so keep them short. */
const MAX_METADATA_BYTES = 8 * 1024;

/** Consumes one chunked request body, byte-exact, and says where the next request starts. */
export class ChunkedBodySkipper {
  private state: SkipState = "size";
  private size = 0;
  private digits = 0;
  private remaining = 0;
  private total = 0;
  private metadata = 0;
  /** Length of the current trailer line; 0 at the start of a line. */
  private lineLength = 0;

  constructor(private readonly maxBodyBytes: number) {}

  /** Feeds the next bytes of the body. */
  push(chunk: Buffer): SkipResult {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const c = chunk[i] as number;
      switch (this.state) {
        case "size": {
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > MAX_SIZE_DIGITS) return error(400, "chunk size too long");
            this.size = this.size * 16 + v;
          } else if (this.digits === 0) {
            return error(400, "chunk size expected");
          } else if (c === 0x3b /* ; */ || c === 0x20 || c === 0x09) {
            this.state = "ext";
          } else if (c === 0x0d) {
            this.state = "size-lf";
          } else return error(400, "bad chunk size");
          i++;
          break;
        }
        case "ext":
          if (c === 0x0d) this.state = "size-lf";
          else if (c < 0x20 && c !== 0x09) return error(400, "control byte in chunk extension");
          else if (++this.metadata > MAX_METADATA_BYTES)
            return error(400, "chunk extensions too long");
          i++;
          break;
        case "size-lf":
          if (c !== 0x0a) return error(400, "bare CR in chunk size line");
          i++;
          this.total += this.size;
          if (this.total > this.maxBodyBytes) return error(413, "chunked body too large");
          this.remaining = this.size;
          this.state = this.size === 0 ? "trailer" : "data";
          this.size = 0;
          this.digits = 0;
          this.lineLength = 0;
          break;
        case "data": {
          const take = Math.min(this.remaining, n - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = "data-cr";
          break;
        }
        case "data-cr":
          if (c !== 0x0d) return error(400, "chunk data not followed by CRLF");
          this.state = "data-lf";
          i++;
          break;
        case "data-lf":
          if (c !== 0x0a) return error(400, "chunk data not followed by CRLF");
          this.state = "size";
          i++;
          break;
        case "trailer":
          i++;
          if (c === 0x0d) this.state = "trailer-lf";
          else if (c === 0x0a) return error(400, "bare LF in trailer");
          else if (++this.metadata > MAX_METADATA_BYTES) return error(400, "trailer too long");
          else this.lineLength++;
          break;
        case "trailer-lf":
          if (c !== 0x0a) return error(400, "bare CR in trailer");
          i++;
          if (this.lineLength === 0) return { kind: "done", rest: chunk.subarray(i) };
          this.lineLength = 0;
          this.state = "trailer";
          break;
        default: {
          const never: never = this.state;
          return never;
        }
      }
    }
    return NEED_MORE;
  }
}

function error(status: 400 | 413, reason: string): SkipResult {
  return { kind: "error", status, reason };
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
