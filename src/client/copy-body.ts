/**
 * Copying a response body into a file or stream, with backpressure and progress. Unlike
 * stream.pipeline, a failing body does not destroy the sink: the bytes that arrived are flushed.
 */
import type { Readable, Writable } from "node:stream";
import { TcpkitError } from "../util/tcpkit-error.js";

/**
 * Copies the body into `sink` with backpressure and progress reports; resolves with the bytes
 * received. Unlike stream.pipeline, a body error does not destroy the sink: what arrived before
 * the error is flushed first (when `end`), so a partial file holds every byte received.
 */
export async function copyBody(
  body: Readable,
  sink: Writable,
  onProgress: ((received: number) => void) | undefined,
  end = true,
): Promise<number> {
  let received = 0;
  onProgress?.(received);
  let sinkError: Error | undefined;
  const onDrain = (): void => {
    body.resume();
  };
  const copied = new Promise<void>((resolve, reject) => {
    body.on("data", (chunk: Buffer) => {
      received += chunk.length;
      onProgress?.(received);
      if (!sink.write(chunk)) body.pause();
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
  if (end && sinkError === undefined) {
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
