/**
 * A request body on its way from the connection's input buffer to a handler's stream, or to
 * nowhere (RFC 9112 §6.3, §7.1): Content-Length bodies are counted off, chunked ones decoded
 * (chunked-decoder.ts), byte-exact, so the next pipelined request is read from the right byte.
 *
 * The body stays in the input buffer until someone reads it. A handler reads it as a stream: the
 * stream's buffer is bounded (highWaterMark), and while it is full nothing is taken from the
 * input buffer, which past its own bound pauses the socket, so a slow reader stops the client
 * (TCP flow control) and memory stays flat. A body nobody reads is discarded by the connection.
 */
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { ChunkedDecoder } from "./chunked-decoder.js";
import type { RequestBodyKind } from "./request-head-parser.js";
import { noteBytesRead } from "../../util/runtime-tuning.js";
import { TcpkitError, type TcpkitErrorCode } from "../../util/tcpkit-error.js";

/** Decoded body bytes a handler's stream holds before the server stops taking input. */
const STREAM_HIGH_WATER_BYTES = 64 * 1024;
/**
 * After a response, at most this many unread body bytes are read and discarded to keep the
 * connection (Go's maxPostHandlerReadBytes); with more left, the connection closes instead.
 */
export const POST_RESPONSE_DRAIN_BYTES = 256 * 1024;

/** Where the body's bytes wait (the request-head parser's buffer). */
export interface BodyInput {
  readonly bufferedBytes: number;
  consume(max: number): Buffer;
  unshift(bytes: Buffer): void;
}

/** What the reader tells its connection. */
export interface BodyListener {
  /** The body was read to its end (the input now holds what follows it). */
  bodyDone(): void;
  /**
   * The body cannot be completed: malformed (400), past its limit (413), or the client stopped
   * sending it (408 after the deadline, 400 when it closed its side). The connection closes.
   */
  bodyFailed(status: 400 | 408 | 413, reason: string): void;
}

/** Input bytes buffered while a request is in progress before the socket is paused. */
export const INPUT_BUFFER_BYTES = 64 * 1024;

type Mode =
  | "none" /* no body, or it was read to its end */
  | "unread" /* present; nobody takes it from the input now */
  | "deliver" /* taken into the handler's stream */
  | "discard" /* taken and thrown away */
  | "failed"; /* rejected or cut off: the connection closes */

/** One per connection, reused: begin() for each request. */
export class RequestBodyReader {
  #mode: Mode = "none";
  #chunked = false;
  /** Content-Length bytes not yet taken (length framing). */
  #remaining = 0;
  /** A handler began reading (its stream was made): it reads once. */
  #started = false;
  #stream: Readable | undefined;
  /** The stream asked for more (its buffer is below its highWaterMark). */
  #wants = false;
  #pumping = false;
  /** Made at the first chunked body: most connections never see one. */
  #decoder: ChunkedDecoder | undefined;
  #onData: ((data: Buffer) => void) | undefined;
  /** Decoded body bytes taken so far. */
  received = 0;
  /** Bytes taken from the wire, chunk framing included (for the exchange record). */
  wireBytes = 0;

  /**
   * 0, or when the client must have sent more (ms since the epoch): runs while reading waits for
   * the client's bytes, from its last progress (nginx's client_body_timeout), never while a
   * slow handler holds the body back.
   */
  deadline = 0;
  /** The client half-closed: a body still waiting for bytes will not get them. */
  inputEnded = false;

  constructor(
    private readonly input: BodyInput,
    private readonly socket: Socket,
    private readonly timeoutMs: number,
    private readonly listener: BodyListener,
  ) {}

  /** Prepares for the body of a new request (its framing from the parser). */
  begin(kind: RequestBodyKind, contentLength: number): void {
    this.#mode = kind === "none" ? "none" : "unread";
    this.#chunked = kind === "chunked";
    this.#remaining = contentLength;
    this.#started = false;
    this.#stream = undefined;
    this.#wants = false;
    this.received = 0;
    this.wireBytes = 0;
    this.deadline = 0;
    if (this.#chunked) {
      this.#decoder ??= new ChunkedDecoder();
      this.#decoder.reset(Number.MAX_SAFE_INTEGER);
    }
  }

  /** Content-Length; undefined for a chunked body; 0 without a body. */
  get length(): number | undefined {
    return this.#chunked ? undefined : this.received + this.#remaining;
  }

  /** Read to its end, or there was none. */
  get complete(): boolean {
    return this.#mode === "none";
  }

  /** Present, and nobody has begun reading it. */
  get unread(): boolean {
    return this.#mode === "unread" && !this.#started;
  }

  /** A handler made its stream (the body may not be streamed twice). */
  get started(): boolean {
    return this.#started;
  }

  /** Taken by the connection to be discarded (a handler can no longer read it). */
  get discarding(): boolean {
    return this.#mode === "discard" || this.#mode === "failed";
  }

  /** Reading waits for the client's bytes: the body deadline runs. */
  get waitingForClient(): boolean {
    return this.#flowing() && this.input.bufferedBytes === 0;
  }

  /** The rest can be read after the response within POST_RESPONSE_DRAIN_BYTES (chunked: tried). */
  get drainable(): boolean {
    return this.#mode === "none" || this.#chunked || this.#remaining <= POST_RESPONSE_DRAIN_BYTES;
  }

  /** A Content-Length above `limit` (a chunked body is checked as its chunks come). */
  exceeds(limit: number): boolean {
    return !this.#chunked && this.#mode !== "none" && this.received + this.#remaining > limit;
  }

  /**
   * The handler's stream of at most `limit` body bytes; `onStart` answers 100-continue. A body
   * already known to exceed the limit is refused (413) and the stream fails.
   */
  open(limit: number, onStart: () => void): Readable {
    if (this.#started) throw new TcpkitError("ERR_INVALID_ARGUMENT", "the body was read already");
    if (!(limit >= 0)) throw new TcpkitError("ERR_INVALID_ARGUMENT", `invalid body limit ${limit}`);
    if (this.discarding) return failedBody("ERR_INVALID_ARGUMENT", "the request body is gone");
    if (this.#mode === "none") return Readable.from([]);
    if (this.exceeds(limit)) {
      this.#fail(413, "ERR_BODY_TOO_LARGE", "Content-Length over the limit");
      return failedBody("ERR_BODY_TOO_LARGE", "Content-Length over the limit");
    }
    onStart();
    this.#started = true;
    this.#mode = "deliver";
    if (this.#chunked) this.#decoder?.setLimit(limit);
    const stream = new Readable({
      highWaterMark: STREAM_HIGH_WATER_BYTES,
      read: () => {
        if (this.#stream !== stream) return;
        this.#wants = true;
        this.pump();
      },
      destroy: (err, callback) => {
        // The handler gave up on its stream: the rest waits for the connection to decide.
        if (this.#stream === stream) this.#detach();
        callback(err);
      },
    });
    stream.on("error", heardElsewhere);
    this.#stream = stream;
    this.#wants = true;
    return stream;
  }

  /** Throws the rest away, at most `limit` body bytes in all (the handler's stream ends). */
  discard(limit: number): void {
    if (this.#mode === "none" || this.#mode === "failed") return;
    this.#stream?.destroy();
    this.#mode = "discard";
    if (this.#chunked) {
      const result = (this.#decoder as ChunkedDecoder).setLimit(limit);
      if (result.kind === "error") this.#fail(413, "ERR_BODY_TOO_LARGE", "body over its limit");
    }
  }

  /**
   * Cuts the body off (the client went away, an error answer): the handler's stream errors with
   * a TcpkitError of `code`, made only if there is a body left to cut.
   */
  cut(code: TcpkitErrorCode, message: string): void {
    if (this.#mode === "none" || this.#mode === "failed") return;
    this.#mode = "failed";
    this.deadline = 0;
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.destroy(new TcpkitError(code, message));
  }

  /**
   * Takes what the input holds while someone wants it and reports the end or an error; then
   * lets the socket read while the input buffer has room, and runs the deadline while reading
   * waits for the client.
   */
  pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    let end: "done" | { status: 400 | 413; reason: string } | undefined;
    try {
      end = this.#take();
    } finally {
      this.#pumping = false;
    }
    // The listener may start the next request (and pump its body): call it last.
    if (end === "done") return this.#finish();
    if (end !== undefined) {
      if (end.status === 413) return this.#fail(413, "ERR_BODY_TOO_LARGE", "body over its limit");
      return this.#fail(400, "ERR_HTTP_PROTOCOL", `malformed body: ${end.reason}`);
    }
    const waiting = this.waitingForClient;
    if (waiting && this.inputEnded) {
      return this.#fail(400, "ERR_CONNECTION_CLOSED", "the client ended the body short");
    }
    this.deadline = waiting ? Date.now() + this.timeoutMs : 0;
    if (this.input.bufferedBytes > INPUT_BUFFER_BYTES) this.socket.pause();
    else if (this.#mode !== "failed") this.socket.resume();
  }

  #take(): "done" | { status: 400 | 413; reason: string } | undefined {
    while (this.#flowing() && this.input.bufferedBytes > 0) {
      if (!this.#chunked) {
        const data = this.input.consume(this.#remaining);
        this.wireBytes += data.length;
        this.#remaining -= data.length;
        this.#data(data);
        if (this.#remaining === 0) return "done";
        continue;
      }
      const input = this.input.consume(Number.MAX_SAFE_INTEGER);
      this.#onData ??= (data: Buffer): void => this.#data(data);
      const result = (this.#decoder as ChunkedDecoder).decode(input, this.#onData);
      if (result.kind === "done") {
        this.wireBytes += result.next;
        this.input.unshift(input.subarray(result.next));
        return "done";
      }
      this.wireBytes += input.length;
      if (result.kind === "error") return result;
    }
    return undefined;
  }

  /** The deadline passed with the client silent: 408 (or a close, if answered). */
  timedOut(): void {
    this.#fail(408, "ERR_TIMEOUT", "the client stopped sending the body");
  }

  #flowing(): boolean {
    return this.#mode === "discard" || (this.#mode === "deliver" && this.#wants);
  }

  #data(data: Buffer): void {
    this.received += data.length;
    noteBytesRead(data.length);
    if (this.#mode === "deliver" && this.#stream !== undefined && !this.#stream.push(data)) {
      this.#wants = false;
    }
  }

  #finish(): void {
    this.#mode = "none";
    this.deadline = 0;
    const stream = this.#stream;
    this.#stream = undefined;
    stream?.push(null);
    this.listener.bodyDone();
  }

  #fail(status: 400 | 408 | 413, code: TcpkitErrorCode, message: string): void {
    this.cut(code, message);
    this.listener.bodyFailed(status, message);
  }

  /** The handler's stream is gone: the body is unread again, but may not be streamed twice. */
  #detach(): void {
    this.#stream = undefined;
    this.#wants = false;
    if (this.#mode === "deliver") this.#mode = "unread";
  }
}

/** A stream that fails at once (a body refused, or no longer there to read). */
export function failedBody(
  code: "ERR_INVALID_ARGUMENT" | "ERR_BODY_TOO_LARGE",
  text: string,
): Readable {
  const stream = new Readable({ read() {} });
  stream.on("error", heardElsewhere);
  stream.destroy(new TcpkitError(code, text));
  return stream;
}

/**
 * The error listener every body stream carries. A body can fail (cut off, malformed, past its
 * limit) before its handler listens: one that opens the stream, then awaits a file to write it
 * to. Unheard, the stream's 'error' event would end the process; heard here, it does nothing
 * more, as the connection already answers the client (400, 408, 413) and the stream keeps the
 * error for the handler: iterating it, or piping it, still throws.
 */
function heardElsewhere(): void {}
