/**
 * Copying a response body into a file or stream, with backpressure and progress. Unlike
 * stream.pipeline, a failing body does not destroy the sink: the bytes that arrived are flushed.
 */
import type { Hash } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import { TcpkitError } from "../util/tcpkit-error.js";
import { interrupted } from "./connect.js";

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
  const { onProgress, limit, hash } = options;
  let received = 0;
  onProgress?.(received);
  let sinkError: Error | undefined;
  const onDrain = (): void => {
    body.resume();
  };
  // On abort, the bytes already buffered still reach the sink (the partial file holds every byte
  // received until then); what arrives later is not waited for.
  let stopAt = Infinity;
  const onAbort = (): void => {
    stopAt = received + body.readableLength;
    if (body.readableLength === 0) body.destroy(interrupted(options.signal));
  };
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener("abort", onAbort);
  const copied = new Promise<void>((resolve, reject) => {
    if (limit === 0) {
      body.destroy();
      resolve();
      return;
    }
    body.on("data", (chunk: Buffer) => {
      let piece = chunk;
      const atLimit = limit !== undefined && received + piece.length >= limit;
      if (atLimit) piece = piece.subarray(0, limit - received);
      received += piece.length;
      hash?.update(piece);
      onProgress?.(received);
      const more = sink.write(piece);
      if (received >= stopAt) {
        body.removeAllListeners("data");
        body.destroy(interrupted(options.signal));
      } else if (atLimit) {
        body.removeAllListeners("data");
        body.destroy();
        resolve();
      } else if (!more) body.pause();
    });
    body.once("end", () => resolve());
    body.once("error", reject);
    sink.on("drain", onDrain);
    sink.once("error", (err) => {
      sinkError = err;
      body.destroy();
      reject(err);
    });
  });
  let bodyError: unknown;
  await copied.catch((err: unknown) => {
    bodyError = err;
  });
  sink.off("drain", onDrain);
  options.signal?.removeEventListener("abort", onAbort);
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
