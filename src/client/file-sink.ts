/**
 * Writing a download into a regular file: positional writes done synchronously as each piece of
 * the body arrives, as curl and wget do. A write to the page cache takes microseconds; going
 * through the thread pool instead (fs.WriteStream) costs a round trip per piece and, with its
 * small buffer, pauses the socket while each write is in flight, which made a loopback download
 * half as fast as curl's. Special files (a FIFO, a terminal) keep fs.WriteStream, since a
 * synchronous write to them can block for as long as their reader likes.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { Writable } from "node:stream";

/** A Writable over a regular file, writing at `start` onwards; `bytesWritten` is on disk. */
export class FileSink extends Writable {
  /** Bytes written so far (each write has completed when it is counted). */
  bytesWritten = 0;
  private fd: number | undefined;
  private position: number;

  /**
   * Opens `path` now (throws the system error): "w" truncates, "a" appends, "r+" writes at
   * `start` in an existing file.
   */
  constructor(path: string, flags: "w" | "a" | "r+", start = 0) {
    super({ highWaterMark: 1 << 20 });
    this.fd = openSync(path, flags);
    this.position = start;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error) => void): void {
    callback(this.writeAll(chunk));
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (err?: Error | null) => void): void {
    for (const { chunk } of chunks) {
      const err = this.writeAll(chunk);
      if (err !== undefined) {
        callback(err);
        return;
      }
    }
    callback();
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.closeFile();
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.closeFile();
    callback(err);
  }

  /**
   * Writes `chunk` at once, bypassing the Writable's queue (throws the system error): for a
   * caller that has nothing queued (copyBody's direct path).
   */
  writeNow(chunk: Buffer): void {
    if (this.fd === undefined) throw new Error("write after end");
    let done = 0;
    while (done < chunk.length) {
      const n = writeSync(this.fd, chunk, done, chunk.length - done, this.position + done);
      done += n;
      this.bytesWritten += n;
    }
    this.position += done;
  }

  private writeAll(chunk: Buffer): Error | undefined {
    try {
      this.writeNow(chunk);
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
