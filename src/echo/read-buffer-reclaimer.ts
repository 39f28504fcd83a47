/**
 * Keeps the echo server's memory flat under streaming load. Node reads each socket into a fresh
 * buffer (up to 64 KiB); V8 frees dead buffers only at its next garbage collection, which it
 * paces by JS heap growth and lets up to 64 MiB of such external memory pile up first. An echo
 * server moving 1 GB/s allocates little JS heap, so it would carry tens of MiB of dead buffers.
 * A young-generation collection every MiB read frees them early (cheap: echo keeps almost no
 * young objects alive) and lets malloc hand the same, cache-warm memory back for the next reads.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Bytes read between two young-generation collections. Measured on E1 (one connection streaming,
 * docs/BENCHMARKS.md): 8 MiB left peak RSS ~17 MiB above idle; 1 MiB keeps it ~9 MiB above and
 * uses ~20 % less CPU per byte (the reused buffers are still in cache); 256 KiB costs more CPU
 * in collections than it saves.
 */
export const RECLAIM_EVERY_BYTES = 1024 * 1024;

type GcFunction = (options: { type: "minor" | "major"; execution?: "sync" | "async" }) => void;

let minorGc: (() => void) | undefined;
let readSinceGc = 0;

/**
 * Turns reclaiming on for this process. Uses V8's gc() hook, made available at run time; if the
 * running V8 refuses, reclaiming stays off and memory is merely higher (never an error).
 */
export function enableReadBufferReclaim(): void {
  if (minorGc !== undefined) return;
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as GcFunction | undefined;
    if (typeof gc === "function") minorGc = () => gc({ type: "minor" });
  } catch {
    minorGc = undefined;
  }
}

/** Accounts `bytes` just read; collects once RECLAIM_EVERY_BYTES have accumulated. */
export function noteBytesRead(bytes: number): void {
  readSinceGc += bytes;
  if (readSinceGc >= RECLAIM_EVERY_BYTES) {
    readSinceGc = 0;
    minorGc?.();
  }
}
