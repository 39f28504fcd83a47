/**
 * Transmits the large body kinds of a response plan (file ranges, segments, streams) onto a
 * socket with 'drain' backpressure, so memory per connection stays bounded whatever the
 * client's speed. The connection owns the head, keep-alive and errors; this owns fds and streams.
 */
import { close as closeFd, open as openFile, read as readFile } from "node:fs";
import type { Socket } from "node:net";
import type { FileRange } from "./types.js";

/** File read size: big enough for few syscalls, small enough to bound memory per connection. */
export const FILE_CHUNK_BYTES = 256 * 1024;

/** What the writer needs from its connection. */
export interface BodySink {
  /** Writes body bytes (behind the response head if it has not gone out); false = wait for drain. */
  writeBody(bytes: Buffer): boolean;
  /** The writer waits for 'drain' (the client is slower than the disk): time the stall. */
  bodyWaiting(): void;
  /** The whole body has been handed to the socket. */
  bodyDone(): void;
  /**
   * The body cannot be completed: a file failed to open or read (err), or a stream broke or
   * sent the wrong length (undefined). The connection answers or destroys the socket.
   */
  bodyFailed(err: NodeJS.ErrnoException | null | undefined): void;
}

type Waiting = "" | "parts" | "file" | "stream";

/** One per connection, reused for each response with a file or stream body. */
export class ResponseBodyWriter {
  private active = false;
  private waiting: Waiting = "";
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
  private stream: NodeJS.ReadableStream | undefined;
  private streamChunked = false;
  private streamRemaining = -1;

  constructor(
    private readonly socket: Socket,
    private readonly sink: BodySink,
  ) {}

  /** True while a body is being transmitted. */
  get isActive(): boolean {
    return this.active;
  }

  /** Sends literal bytes and file ranges in order (a file body is one range). */
  sendParts(parts: readonly (Buffer | FileRange)[]): void {
    this.active = true;
    this.parts = parts;
    this.partIndex = 0;
    this.continueParts();
  }

  /**
   * Sends a stream: chunked coding when `chunked`, else raw bytes that must add up to `length`
   * when it is known (>= 0), or run until the stream ends (close-delimited).
   */
  sendStream(stream: NodeJS.ReadableStream, chunked: boolean, length: number): void {
    this.active = true;
    this.stream = stream;
    this.streamChunked = chunked;
    this.streamRemaining = length;
    stream.on("data", (chunk: Buffer | string) => this.onStreamData(stream, chunk));
    stream.on("end", () => this.onStreamEnd(stream));
    stream.on("error", () => this.onStreamError(stream));
  }

  /** The socket drained: resumes what was waiting for it. Returns false if nothing was. */
  onDrain(): boolean {
    const waiting = this.waiting;
    this.waiting = "";
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

  /** Stops at once (the socket closed): releases the fd and the stream. */
  abort(): void {
    this.active = false;
    this.spare = undefined;
    this.waiting = "";
    if (!this.ioInFlight) this.releaseFile();
    if (this.stream !== undefined) disposeStream(this.stream);
    this.stream = undefined;
  }

  private continueParts(): void {
    while (this.partIndex < this.parts.length) {
      if (!this.active) return;
      const part = this.parts[this.partIndex++] as Buffer | FileRange;
      if (Buffer.isBuffer(part)) {
        if (!this.sink.writeBody(part)) {
          this.wait("parts");
          return;
        }
        continue;
      }
      if (part.end <= part.start) continue;
      this.fileEnd = part.end;
      this.filePos = part.start;
      this.ioInFlight = true;
      openFile(part.path, "r", (err, fd) => this.onFileOpen(err, fd));
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
    const length = Math.min(FILE_CHUNK_BYTES, this.fileEnd - this.filePos);
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
    const ok = this.sink.writeBody(n === buffer.length ? buffer : buffer.subarray(0, n));
    if (this.filePos >= this.fileEnd) {
      this.releaseFile();
      if (ok) this.continueParts();
      else this.wait("parts");
    } else if (ok) this.readFileChunk();
    else this.wait("file");
  }

  private wait(what: Exclude<Waiting, "">): void {
    this.waiting = what;
    this.sink.bodyWaiting();
  }

  private releaseFile(): void {
    if (this.fd !== -1) closeFd(this.fd, ignoreError);
    this.fd = -1;
  }

  private onStreamData(stream: NodeJS.ReadableStream, data: Buffer | string): void {
    if (!this.active || stream !== this.stream) return;
    const chunk = typeof data === "string" ? Buffer.from(data) : data;
    if (chunk.length === 0) return;
    let ok: boolean;
    if (this.streamChunked) {
      this.socket.cork();
      this.socket.write(chunk.length.toString(16) + "\r\n", "latin1");
      this.sink.writeBody(chunk);
      ok = this.socket.write("\r\n", "latin1");
      this.socket.uncork();
    } else {
      // More than the announced length would corrupt the framing of what follows.
      if (this.streamRemaining >= 0 && chunk.length > this.streamRemaining)
        return this.fail(undefined);
      if (this.streamRemaining >= 0) this.streamRemaining -= chunk.length;
      ok = this.sink.writeBody(chunk);
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
    this.sink.bodyDone();
  }

  private fail(err: NodeJS.ErrnoException | null | undefined): void {
    this.abort();
    this.sink.bodyFailed(err);
  }
}

/** Destroys a stream the server will not read (HEAD, a closed connection). */
export function disposeStream(stream: NodeJS.ReadableStream): void {
  const destroyable = stream as NodeJS.ReadableStream & { destroy?: () => void };
  if (typeof destroyable.destroy === "function") destroyable.destroy();
}

function ignoreError(): void {}
