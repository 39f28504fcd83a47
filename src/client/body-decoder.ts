/**
 * Response body framing for the client (RFC 9112 §6.3): the decision made once when the head is
 * complete (none, Content-Length, chunked, or until close), and an incremental decoder that hands
 * out body bytes and detects short bodies and malformed chunks. Pure: no sockets, no timers.
 */
import { stepChunkExt, type ChunkExtState } from "../http/chunk-extension.js";
import { hexValue, trimOws } from "../http/header-fields.js";
import { getField, splitList } from "../http/header-lookup.js";
import { hexEscape } from "../util/format.js";
import {
  MAX_RESPONSE_HEAD_BYTES,
  parseFieldLines,
  type ResponseHead,
} from "./response-head-parser.js";

/** How the body of one response is delimited. */
export type BodyFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "close" };

/** The framing, or why the head's framing cannot be trusted. */
export type FramingDecision = BodyFraming | { readonly kind: "error"; readonly message: string };

/**
 * Decides how the body of `head`, the response to a `method` request, is delimited, in the order
 * of RFC 9112 §6.3: no body for HEAD, 1xx, 204 and 304; Transfer-Encoding ending in chunked;
 * another Transfer-Encoding means "until close"; then Content-Length (a list of equal values is
 * accepted, differing or invalid values are an error); otherwise until the connection closes.
 * Transfer-Encoding overrides Content-Length (item 3); the caller never reuses such a connection.
 */
export function decideFraming(method: string, head: ResponseHead): FramingDecision {
  const status = head.status;
  if (method === "HEAD" || status < 200 || status === 204 || status === 304)
    return { kind: "none" };
  const te = getField(head, "transfer-encoding");
  if (te !== undefined) {
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
    if (head.version === 10)
      return { kind: "error", message: "Transfer-Encoding in an HTTP/1.0 response" };
    const codings = splitList(te).map((c) => c.toLowerCase());
    if (codings.at(-1) === "chunked") {
      if (codings.indexOf("chunked") !== codings.length - 1) {
        return { kind: "error", message: "chunked applied more than once" };
      }
      return { kind: "chunked" };
    }
    return { kind: "close" };
  }
  const cl = getField(head, "content-length");
  if (cl === undefined) return { kind: "close" };
  let length: number | undefined;
  for (const member of cl.split(",")) {
    const text = trimOws(member);
    if (!/^\d{1,15}$/.test(text))
      return { kind: "error", message: `invalid Content-Length '${cl}'` };
    const n = Number(text);
    if (length !== undefined && n !== length) {
      return { kind: "error", message: `conflicting Content-Length values '${cl}'` };
    }
    length = n;
  }
  return { kind: "length", length: length ?? 0 };
}

/**
 * Why a response's transfer coding cannot be taken off, or undefined. Transfer codings belong
 * to the connection (RFC 9112 §6.1) and tcpkit sends no TE, so only chunked may be applied
 * (RFC 9110 §10.1.4) and only chunked is decoded; a body sent with another (gzip, identity)
 * would be taken for the content itself. An error, as in nginx's proxy and Go's client.
 */
export function unsupportedTransferCoding(
  framing: BodyFraming,
  head: ResponseHead,
): string | undefined {
  const te = framing.kind === "none" ? undefined : getField(head, "transfer-encoding");
  if (te === undefined || /^chunked$/i.test(te)) return undefined;
  // Bytes that look like a space (0xA0 after "chunked") or nothing are shown as \xHH.
  const shown = te.replace(/[^\x20-\x7e]/g, hexEscape);
  return `unsupported Transfer-Encoding '${shown}'`;
}

/** What one `push` or `end` produced. `rest` holds bytes after the body (unused by close framing). */
export type DecodeResult =
  | { readonly kind: "more" }
  | { readonly kind: "done"; readonly rest: Buffer }
  | { readonly kind: "error"; readonly message: string };

/** Longest chunk-size line accepted, extensions included; a peer cannot make us buffer more. */
export const MAX_CHUNK_LINE_BYTES = 4096;

type ChunkState = "size" | "ext" | "size-lf" | "data" | "data-cr" | "data-lf" | "trailer" | "done";

const MORE: DecodeResult = { kind: "more" };
const EMPTY = Buffer.alloc(0);

/**
 * Turns the bytes after a response head into body bytes, for one framing. Body bytes go to
 * `onData` as slices of the input (no copies); chunk-size lines, extensions (checked against
 * the grammar of RFC 9112 §7.1.1, then ignored) and trailers (kept in `trailers`, RFC 9112 §7.1.2) are consumed. Never throws on peer
 * input: a malformed chunk is an `error` result, and `end()` (the peer closed) reports a body
 * shorter than its framing promised.
 */
export class BodyDecoder {
  /** Body bytes handed to `onData` so far. */
  received = 0;
  /** Trailer fields of a chunked body, flat [name, value, ...], once it is complete. */
  trailers: readonly string[] = [];

  private state: ChunkState = "size";
  /** Where the chunk-extension grammar is, while `state` is "ext". */
  private extState: ChunkExtState = "size";
  private chunkRemaining = 0;
  private sizeDigits = 0;
  private lineBytes = 0;
  private trailerText = "";
  private trailerLineLength = 0;
  private finished = false;

  constructor(readonly framing: BodyFraming) {}

  /** True once the whole body has been seen. */
  get complete(): boolean {
    return this.finished;
  }

  /** Feeds bytes received after the head (call once with an empty buffer if there were none). */
  push(chunk: Buffer, onData: (data: Buffer) => void): DecodeResult {
    if (this.finished) return { kind: "done", rest: chunk };
    switch (this.framing.kind) {
      case "none":
        return this.finish(chunk);
      case "close":
        if (chunk.length > 0) this.deliver(chunk, onData);
        return MORE;
      case "length": {
        const wanted = this.framing.length - this.received;
        if (chunk.length < wanted) {
          if (chunk.length > 0) this.deliver(chunk, onData);
          return MORE;
        }
        if (wanted > 0) this.deliver(chunk.subarray(0, wanted), onData);
        return this.finish(chunk.subarray(wanted));
      }
      case "chunked":
        return this.pushChunked(chunk, onData);
    }
  }

  /** The peer closed the connection: the body is complete only if its framing says so. */
  end(): DecodeResult {
    if (this.finished) return { kind: "done", rest: EMPTY };
    switch (this.framing.kind) {
      case "none":
      case "close":
        return this.finish(EMPTY);
      case "length":
        return {
          kind: "error",
          message: `body shorter than Content-Length: got ${this.received} of ${this.framing.length} bytes`,
        };
      case "chunked":
        return {
          kind: "error",
          message: `connection closed inside a chunked body (after ${this.received} bytes)`,
        };
    }
  }

  private deliver(data: Buffer, onData: (data: Buffer) => void): void {
    this.received += data.length;
    onData(data);
  }

  private finish(rest: Buffer): DecodeResult {
    this.finished = true;
    this.state = "done";
    return { kind: "done", rest };
  }

  private pushChunked(chunk: Buffer, onData: (data: Buffer) => void): DecodeResult {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === "data") {
        const take = Math.min(this.chunkRemaining, chunk.length - i);
        this.deliver(chunk.subarray(i, i + take), onData);
        this.chunkRemaining -= take;
        i += take;
        if (this.chunkRemaining === 0) this.state = "data-cr";
        continue;
      }
      const byte = chunk[i] as number;
      i++;
      const error = this.stepControlByte(byte);
      if (error !== undefined) {
        this.finished = true;
        return { kind: "error", message: error };
      }
      if (this.state === "done") {
        const fields = parseFieldLines(this.trailerLines());
        if (typeof fields === "string")
          return { kind: "error", message: `malformed trailer: ${fields}` };
        this.trailers = fields;
        return this.finish(chunk.subarray(i));
      }
    }
    return MORE;
  }

  /** Advances the chunk state machine by one byte outside chunk data; returns an error message. */
  private stepControlByte(byte: number): string | undefined {
    switch (this.state) {
      case "size": {
        const digit = hexValue(byte);
        if (digit >= 0) {
          // 15 hex digits stay below 2^60, well inside safe integers.
          if (++this.sizeDigits > 15) return "chunk size too large";
          this.chunkRemaining = this.chunkRemaining * 16 + digit;
          return this.countLineByte();
        }
        if (this.sizeDigits === 0) return `malformed chunk size (byte 0x${byte.toString(16)})`;
        this.state = "ext";
        this.extState = "size";
        return this.stepExtension(byte);
      }
      case "ext":
        return this.stepExtension(byte);
      case "size-lf":
        if (byte !== 0x0a) return "bare CR in a chunk-size line";
        return this.startChunk();
      case "data-cr":
        if (byte === 0x0d) {
          this.state = "data-lf";
          return undefined;
        }
        if (byte === 0x0a) return this.nextChunk();
        return "chunk data longer than its chunk size";
      case "data-lf":
        return byte === 0x0a ? this.nextChunk() : "missing CRLF after chunk data";
      case "trailer":
        return this.stepTrailerByte(byte);
      case "data":
      case "done":
        return "chunk decoder in an impossible state";
    }
  }

  /** One byte of the chunk-size line after the digits: extensions, then the line's end. */
  private stepExtension(byte: number): string | undefined {
    const next = stepChunkExt(this.extState, byte);
    if (typeof next === "object") return next.error;
    if (next !== "end") {
      this.extState = next;
      return this.countLineByte();
    }
    if (byte === 0x0d) {
      this.state = "size-lf";
      return undefined;
    }
    // A bare LF ends the line (RFC 9112 §2.2 lets a recipient accept it).
    return this.startChunk();
  }

  private countLineByte(): string | undefined {
    return ++this.lineBytes > MAX_CHUNK_LINE_BYTES ? "chunk-size line too long" : undefined;
  }

  private startChunk(): string | undefined {
    this.state = this.chunkRemaining === 0 ? "trailer" : "data";
    return undefined;
  }

  private nextChunk(): string | undefined {
    this.state = "size";
    this.chunkRemaining = 0;
    this.sizeDigits = 0;
    this.lineBytes = 0;
    return undefined;
  }

  private stepTrailerByte(byte: number): string | undefined {
    if (this.trailerText.length >= MAX_RESPONSE_HEAD_BYTES) return "trailer section too large";
    this.trailerText += String.fromCharCode(byte);
    if (byte === 0x0d) return undefined;
    if (byte !== 0x0a) {
      this.trailerLineLength++;
      return undefined;
    }
    if (this.trailerLineLength === 0) this.state = "done";
    this.trailerLineLength = 0;
    return undefined;
  }

  private trailerLines(): string[] {
    const lines = this.trailerText.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
    lines.length -= 2;
    return lines;
  }
}
