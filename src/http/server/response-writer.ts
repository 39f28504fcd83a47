/**
 * The response writer: every byte of a response after the handler's decision (darkhttpd's
 * poll_send_header/poll_send_reply, undici's write* functions). Plan in: the head with its
 * framing and Connection line, the prebuilt fast path for small repeated bodies, head and body
 * coalesced into one write, file ranges read in large chunks from a descriptor, segments, streams
 * (chunked when their length is unknown), each with 'drain' backpressure so memory per
 * connection stays bounded whatever the client's speed. Reports back once per response
 * (WriterReport): sent, or failed; and each wait for 'drain' (stalled), so the connection can time
 * a client that reads nothing.
 */
import { close as closeFd, open as openFile, read as readFile } from "node:fs";
import type { Socket } from "node:net";
import type { Exchange } from "./exchange.js";
import { headAndBody, PREBUILT_MAX_BYTES, prebuiltResponse } from "./prebuilt-response.js";
import { serializeResponseHead, type ResponseFraming } from "./response-head.js";
import { statusForFileError } from "../error-plan.js";
import type { FileRange, ResponsePlan } from "../types.js";

/** File read size: big enough for few syscalls, small enough to bound memory per connection. */
export const FILE_CHUNK_BYTES = 256 * 1024;
/**
 * File chunk size until the client has shown it reads: a write the kernel cannot take keeps its
 * whole buffer alive, so a client that never reads would pin a 256 KiB chunk for as long as the
 * send deadline allows (2,000 of them: +509 MiB). A client earns 256 KiB chunks with its first
 * 'drain', or once the kernel has taken READER_PROOF_BYTES from it; one that stalls at once
 * pins 32 KiB.
 */
export const CAUTIOUS_CHUNK_BYTES = 32 * 1024;
/**
 * More than the kernel buffers for a client that never reads: its receive buffer (128 KiB) and
 * our send buffer, which Linux grows to tcp_wmem's maximum (4 MiB) even then. A fast client
 * (curl, a browser) may never fill the socket, so no 'drain' would ever earn it full chunks: it
 * earns them with this many bytes (32 KiB reads cost twice the CPU per byte of 256 KiB reads).
 */
const READER_PROOF_BYTES = 8 * 1024 * 1024;
/** Bodies up to this size are copied behind the head so both leave in one write. */
const COALESCE_BYTES = 64 * 1024;

/** What the writer tells its connection. */
export interface WriterReport {
  /** The whole response has been handed to the socket (an upgrade's 101: with its taker). */
  responseSent(onUpgrade?: (socket: Socket, buffered: Buffer) => void): void;
  /** A write waits for 'drain': the client reads slower than we send. */
  responseStalled(): void;
  /**
   * The body cannot be completed (a file failed to open or read, a stream broke or sent the
   * wrong length). `status` when nothing has been sent yet, so an error can still be answered.
   * `closeDelimited` when the body's end was to be marked by the close alone: the connection
   * must then be reset, not closed, or the client takes the partial body for the whole.
   */
  responseFailed(status: 403 | 404 | 500 | undefined, closeDelimited: boolean): void;
}

type Waiting = "" | "parts" | "file" | "stream";

/** One per connection, reused for each response. */
export class ResponseWriter {
  /** A file or stream body is in progress. */
  private active = false;
  private waiting: Waiting = "";
  /** The head, until the first body bytes go out behind it. */
  private pendingHead = "";
  private exchange: Exchange | undefined;
  private parts: readonly (Buffer | FileRange)[] = [];
  private partIndex = 0;
  private fd = -1;
  private filePos = 0;
  private fileEnd = 0;
  private ioInFlight = false;
  /**
   * The last chunk buffer, read into again once the socket has written it out: a large file
   * costs one buffer instead of one allocation (and its page faults) per chunk. Dropped when the
   * body ends, so idle connections hold none.
   */
  private spare: Buffer | undefined;
  /** The client has drained the socket at least once (it reads): full-size file chunks. */
  private reads = false;
  /** Bytes of cautious chunks the kernel took at once, towards READER_PROOF_BYTES. */
  private cautiousTaken = 0;
  /** The current wait is for bytes the kernel did not take (not just past the high-water mark). */
  private blocked = false;
  private stream: NodeJS.ReadableStream | undefined;
  private streamChunked = false;
  private streamRemaining = -1;
  private streamUntilClientEnds = false;

  constructor(
    private readonly socket: Socket,
    private readonly report: WriterReport,
  ) {}

  /** True while a file or stream body is being transmitted. */
  get busy(): boolean {
    return this.active;
  }

  /** Transmits `plan`, framed as frameResponse() decided, for `x` (its HEAD, version, verdict). */
  send(plan: ResponsePlan, framing: ResponseFraming, length: number, x: Exchange): void {
    const body = plan.body;
    const status = plan.status;
    x.status = status;
    this.exchange = x;
    if (body.kind === "upgrade") {
      // The handler's header block carries Upgrade and `Connection: upgrade` (RFC 9110 §7.8).
      const head = serializeResponseHead(status, plan.headers, "none", 0, "");
      x.trace("sent", head);
      this.socket.write(head, "latin1");
      return this.report.responseSent(body.onUpgrade);
    }
    if (body.kind === "bytes" && canPrebuild(framing, length, x)) {
      // The hot path: a small body, head and body from one shared buffer in one write.
      x.bodyBytes = length;
      this.socket.write(prebuiltResponse(status, plan.headers, body.bytes, x.connectionLine));
      return this.report.responseSent();
    }
    const head = serializeResponseHead(status, plan.headers, framing, length, x.connectionLine);
    const sendsBody = !x.isHead && framing !== "none" && length !== 0;
    x.trace("sent", head, sendsBody ? (length >= 0 ? length : "stream") : 0);
    if (!sendsBody || body.kind === "none") {
      if (body.kind === "stream") disposeStream(body.stream);
      this.socket.write(head, "latin1");
      return this.report.responseSent();
    }
    this.pendingHead = head;
    switch (body.kind) {
      case "bytes":
        this.write(body.bytes);
        return this.report.responseSent();
      case "file":
        return this.sendParts([body]);
      case "segments":
        return this.sendParts(body.segments);
      case "stream":
        // A stream may take its time (Server-Sent Events): the head goes now.
        this.socket.write(head, "latin1");
        this.pendingHead = "";
        this.streamUntilClientEnds = body.untilClientEnds === true;
        return this.sendStream(body.stream, framing === "chunked", length);
    }
  }

  /** The socket drained: resumes what was waiting for it. Returns false if nothing was. */
  onDrain(): boolean {
    const waiting = this.waiting;
    this.waiting = "";
    if (this.blocked) this.reads = true;
    switch (waiting) {
      case "parts":
        this.continueParts();
        return true;
      case "file":
        this.readFileChunk();
        return true;
      case "stream":
        this.stream?.resume();
        return true;
      case "":
        return false;
      default: {
        const never: never = waiting;
        return never;
      }
    }
  }

  /** The client sent its FIN: a stream sent only while the client is there stops (a cut). */
  clientEnded(): void {
    if (this.active && this.stream !== undefined && this.streamUntilClientEnds)
      this.fail(undefined);
  }

  /** Stops at once (the socket closed): releases the descriptor and the stream. */
  abort(): void {
    this.active = false;
    this.spare = undefined;
    this.waiting = "";
    this.pendingHead = "";
    if (!this.ioInFlight) this.releaseFile();
    if (this.stream !== undefined) disposeStream(this.stream);
    this.stream = undefined;
  }

  /** Writes body bytes, behind the head if it has not gone out; false = wait for 'drain'. */
  private write(bytes: Buffer): boolean {
    (this.exchange as Exchange).bodyBytes += bytes.length;
    const head = this.pendingHead;
    if (head === "") return this.socket.write(bytes);
    this.pendingHead = "";
    if (bytes.length <= COALESCE_BYTES) return this.socket.write(headAndBody(head, bytes));
    this.socket.cork();
    this.socket.write(head, "latin1");
    const ok = this.socket.write(bytes);
    this.socket.uncork();
    return ok;
  }

  /** Sends literal bytes and file ranges in order (a file body is one range). */
  private sendParts(parts: readonly (Buffer | FileRange)[]): void {
    this.active = true;
    this.parts = parts;
    this.partIndex = 0;
    this.continueParts();
  }

  private continueParts(): void {
    while (this.partIndex < this.parts.length) {
      if (!this.active) return;
      const part = this.parts[this.partIndex++] as Buffer | FileRange;
      if (Buffer.isBuffer(part)) {
        if (!this.write(part)) return this.wait("parts");
        continue;
      }
      if (part.end <= part.start) continue;
      this.fileEnd = part.end;
      this.filePos = part.start;
      this.ioInFlight = true;
      if (part.open !== undefined) part.open((err, fd) => this.onFileOpen(err, fd));
      else openFile(part.path, "r", (err, fd) => this.onFileOpen(err, fd));
      return;
    }
    this.parts = [];
    this.finish();
  }

  private onFileOpen(err: NodeJS.ErrnoException | null, fd: number): void {
    this.ioInFlight = false;
    if (err === null) this.fd = fd;
    if (!this.active) return this.releaseFile();
    if (err !== null) return this.fail(err);
    this.readFileChunk();
  }

  private readFileChunk(): void {
    const chunk = this.reads ? FILE_CHUNK_BYTES : CAUTIOUS_CHUNK_BYTES;
    const length = Math.min(chunk, this.fileEnd - this.filePos);
    // Only a socket with nothing left to write has let go of the spare buffer's bytes.
    const spare = this.socket.writableLength === 0 ? this.spare : undefined;
    const buffer =
      spare !== undefined && spare.length >= length ? spare : Buffer.allocUnsafeSlow(length);
    this.spare = buffer;
    this.ioInFlight = true;
    readFile(this.fd, buffer, 0, length, this.filePos, (err, n) => this.onFileRead(err, n, buffer));
  }

  private onFileRead(err: NodeJS.ErrnoException | null, n: number, buffer: Buffer): void {
    this.ioInFlight = false;
    if (!this.active) return this.releaseFile();
    // A file that shrank under us cannot fill the promised Content-Length.
    if (err !== null || n === 0) return this.fail(err);
    this.filePos += n;
    const ok = this.write(n === buffer.length ? buffer : buffer.subarray(0, n));
    if (!this.reads && ok && this.socket.writableLength === 0) {
      this.cautiousTaken += n;
      this.reads = this.cautiousTaken >= READER_PROOF_BYTES;
    }
    if (this.filePos >= this.fileEnd) {
      this.releaseFile();
      if (ok) this.continueParts();
      else this.wait("parts");
    } else if (ok) this.readFileChunk();
    else this.wait("file");
  }

  private wait(what: Exclude<Waiting, "">): void {
    this.waiting = what;
    // A write the kernel took whole still returns false past the high-water mark; 'drain'
    // follows at once. Only a write left partly in user space shows the client reading.
    this.blocked = this.socket.writableLength > 0;
    this.report.responseStalled();
  }

  private releaseFile(): void {
    if (this.fd !== -1) closeFd(this.fd, ignoreError);
    this.fd = -1;
  }

  /**
   * Sends a stream: chunked coding when `chunked`, else raw bytes that must add up to `length`
   * when it is known (>= 0), or run until the stream ends (close-delimited).
   */
  private sendStream(stream: NodeJS.ReadableStream, chunked: boolean, length: number): void {
    this.active = true;
    this.stream = stream;
    this.streamChunked = chunked;
    this.streamRemaining = length;
    stream.on("data", (chunk: Buffer | string) => this.onStreamData(stream, chunk));
    stream.on("end", () => this.onStreamEnd(stream));
    stream.on("error", () => this.onStreamError(stream));
  }

  private onStreamData(stream: NodeJS.ReadableStream, data: Buffer | string): void {
    if (!this.active || stream !== this.stream) return;
    const chunk = typeof data === "string" ? Buffer.from(data) : data;
    if (chunk.length === 0) return;
    let ok: boolean;
    if (this.streamChunked) {
      this.socket.cork();
      this.socket.write(chunk.length.toString(16) + "\r\n", "latin1");
      this.write(chunk);
      ok = this.socket.write("\r\n", "latin1");
      this.socket.uncork();
    } else {
      // More than the announced length would corrupt the framing of what follows.
      if (this.streamRemaining >= 0 && chunk.length > this.streamRemaining) {
        return this.fail(undefined);
      }
      if (this.streamRemaining >= 0) this.streamRemaining -= chunk.length;
      ok = this.write(chunk);
    }
    if (!ok) {
      stream.pause();
      this.wait("stream");
    }
  }

  private onStreamEnd(stream: NodeJS.ReadableStream): void {
    if (!this.active || stream !== this.stream) return;
    this.stream = undefined;
    if (this.streamChunked) this.socket.write("0\r\n\r\n", "latin1");
    else if (this.streamRemaining > 0) return this.fail(undefined);
    this.finish();
  }

  private onStreamError(stream: NodeJS.ReadableStream): void {
    if (this.active && stream === this.stream) this.fail(undefined);
  }

  private finish(): void {
    this.active = false;
    this.spare = undefined;
    this.report.responseSent();
  }

  private fail(err: NodeJS.ErrnoException | null | undefined): void {
    // Nothing sent yet: a status can still tell the client (without OS text).
    const unsent = this.pendingHead !== "" && err !== undefined;
    const closeDelimited =
      this.stream !== undefined && !this.streamChunked && this.streamRemaining < 0;
    this.abort();
    this.report.responseFailed(unsent ? statusForFileError(err) : undefined, closeDelimited);
  }
}

/**
 * The prebuilt path applies to a small Content-Length body with a body to send (not HEAD) and
 * no --trace (which wants the head as text).
 */
function canPrebuild(framing: ResponseFraming, length: number, x: Exchange): boolean {
  return (
    framing === "length" && length > 0 && length <= PREBUILT_MAX_BYTES && !x.isHead && !x.tracing
  );
}

/** Destroys a stream the server will not read (HEAD, a closed connection). */
export function disposeStream(stream: NodeJS.ReadableStream): void {
  const destroyable = stream as NodeJS.ReadableStream & { destroy?: () => void };
  if (typeof destroyable.destroy === "function") destroyable.destroy();
}

function ignoreError(): void {}
