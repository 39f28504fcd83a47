/**
 * Copying a response body into a file or stream, with backpressure and progress. Unlike
 * stream.pipeline, a failing body does not destroy the sink: the bytes that arrived are flushed.
 * Into a FileSink the bytes go straight from the decoder to the file (takeBodyDirectly), since a
 * synchronous write needs no buffering and no backpressure.
 */
import type { Hash } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import { TcpkitError } from "../util/tcpkit-error.js";
import { interrupted } from "./connect.js";
import { FileSink } from "./file-sink.js";
import { takeBodyDirectly } from "./response-reader.js";

/** How copyBody copies. */
export interface CopyOptions {
  /** Called with the bytes received so far, after each piece. */
  readonly onProgress?: ((received: number) => void) | undefined;
  /** End the sink when the body ends or fails (default true; false for stdout). */
  readonly end?: boolean;
  /**
   * Copy at most this many bytes, then stop reading and destroy the body (its connection
   * closes): for the first response of a segmented download, which carries more than its segment.
   */
  readonly limit?: number | undefined;
  /** Fed every byte copied, in order. */
  readonly hash?: Hash | undefined;
  /** Stops the copy (the body errors with ERR_INTERRUPTED, what arrived is still flushed). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Copies the body into `sink` with backpressure and progress reports; resolves with the bytes
 * received. Unlike stream.pipeline, a body error does not destroy the sink: what arrived before
 * the error is flushed first (when `end`), so a partial file holds every byte received.
 */
export async function copyBody(
  body: Readable,
  sink: Writable,
  options: CopyOptions = {},
): Promise<number> {
  const { onProgress, limit, hash, signal } = options;
  let received = 0;
  onProgress?.(received);
  let sinkError: Error | undefined;
  // On abort, the bytes already buffered still reach the sink (the partial file holds every byte
  // received until then); what arrives later is not waited for.
  let stopAt = Infinity;
  const onAbort = (): void => {
    stopAt = received + body.readableLength;
    if (body.readableLength === 0) body.destroy(interrupted(signal));
  };
  const onDrain = (): void => {
    body.resume();
  };
  const copied = new Promise<void>((resolve, reject) => {
    /** Takes one piece; false when the copy is over (limit reached, or stopped). */
    const take = (chunk: Buffer, write: (piece: Buffer) => boolean): boolean => {
      let piece = chunk;
      const atLimit = limit !== undefined && received + piece.length >= limit;
      if (atLimit) piece = piece.subarray(0, limit - received);
      received += piece.length;
      hash?.update(piece);
      const more = write(piece);
      onProgress?.(received);
      if (received >= stopAt) {
        body.destroy(interrupted(signal));
        return false;
      }
      if (atLimit) {
        body.destroy();
        resolve();
        return false;
      }
      if (!more) body.pause();
      return true;
    };
    if (limit === 0) {
      body.destroy();
      resolve();
      return;
    }
    const direct =
      sink instanceof FileSink &&
      takeBodyDirectly(body, (chunk) => {
        if (sinkError !== undefined) return;
        take(chunk, (piece) => {
          try {
            sink.writeNow(piece);
          } catch (err) {
            sinkError = err as Error;
            body.destroy();
            reject(err);
          }
          return true;
        });
      });
    body.on("data", (chunk: Buffer) => {
      if (!take(chunk, (piece) => sink.write(piece))) body.removeAllListeners("data");
    });
    body.once("end", () => resolve());
    body.once("error", reject);
    if (!direct) sink.on("drain", onDrain);
    sink.once("error", (err) => {
      sinkError = err;
      body.destroy();
      reject(err);
    });
  });
  if (signal?.aborted === true) onAbort();
  signal?.addEventListener("abort", onAbort);
  let bodyError: unknown;
  await copied.catch((err: unknown) => {
    bodyError = err;
  });
  sink.off("drain", onDrain);
  signal?.removeEventListener("abort", onAbort);
  if ((options.end ?? true) && sinkError === undefined) {
    await new Promise<void>((resolve) => {
      sink.once("error", (err) => {
        sinkError = err;
        resolve();
      });
      sink.end(() => resolve());
    });
  }
  if (sinkError !== undefined)
    throw new TcpkitError("ERR_FILE", `cannot write the output: ${sinkError.message}`, {
      cause: sinkError,
    });
  if (bodyError !== undefined) throw bodyError;
  return received;
}
