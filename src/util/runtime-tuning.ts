/**
 * Where tcpkit tunes the runtime through means Node does not promise to keep: V8 flags set after
 * start-up (Node documents v8.setFlagsFromString as possibly unpredictable) and V8's gc() fetched
 * through a fresh context. Each is in this one module, each degrades to doing nothing where the
 * runtime refuses (a V8 without the flag; Bun, which gets its own collection instead), and test/unit/runtime-tuning.test.ts fails loudly
 * when Node's V8 drops a flag, so it is re-measured and removed rather than silently dead.
 *
 * Measured on Node 24.21 (bench/http-bench.mjs W6 and bench/echo-bench.mjs --quick, A/B with the
 * rest unchanged; the machine was shared, so memory, which load barely moves, is the figure):
 *  - keepYoungGenerationSmall(): 10,000 idle keep-alive connections hold 105-108 MiB instead of
 *    139-149 MiB.
 *  - minor GCs every MiB read (enableReadBufferReclaim): the echo server's peak RSS 69-70 MiB
 *    instead of 132-139 MiB.
 *  - Buffer#latin1Slice, once used by the request-head parser, is gone: toString("latin1", a, b)
 *    costs the same on Node 24 (87 ns for a 12-byte slice either way).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** The V8 flags used here, for the guard test. */
export const V8_FLAGS = ["--semi-space-growth-factor", "--expose-gc"] as const;

/**
 * Keeps V8's young generation at its initial size (1 MiB semi-spaces) instead of letting a burst
 * grow it to 16 MiB ones that stay allocated. Scavenge cost follows surviving objects, not the
 * space's size, so requests cost no more CPU. For a server process (the CLI), not a library.
 */
export function keepYoungGenerationSmall(): void {
  setV8Flag("--semi-space-growth-factor=1");
}

/**
 * Keeping memory flat under streaming load (the echo server, request bodies). Node reads each
 * socket into a fresh buffer (up to 64 KiB); V8 frees dead buffers only at its next garbage
 * collection, which it paces by JS heap growth and lets up to 64 MiB of such external memory pile
 * up first. A server moving hundreds of MB/s allocates little JS heap, so it would carry tens of
 * MiB of dead buffers. A young-generation collection every RECLAIM_EVERY_BYTES read frees them
 * early (cheap: streaming keeps almost no young objects alive) and lets malloc hand the same,
 * cache-warm memory back for the next reads.
 *
 * Bytes read between two collections. Measured on E1 (one echo connection streaming,
 * docs/BENCHMARKS.md): 8 MiB left peak RSS ~17 MiB above idle; 1 MiB keeps it ~9 MiB above and
 * uses ~20 % less CPU per byte (the reused buffers are still in cache); 256 KiB costs more CPU in
 * collections than it saves.
 */
export const RECLAIM_EVERY_BYTES = 1024 * 1024;

let reclaim: (() => void) | undefined;
let readSinceGc = 0;

/**
 * Turns reclaiming on for this process: a choice for the process owner (the CLI), not for a
 * library embedded in someone else's program, as it exposes V8's gc() process-wide. Where the
 * runtime does not offer gc(), reclaiming stays off and memory is merely higher.
 */
export function enableReadBufferReclaim(): void {
  reclaim ??= minorGc() ?? bunCollection();
}

/**
 * Bytes read between two collections on Bun, whose collector offers no young-generation-only
 * collection to a program: Bun.gc(true) is a full, synchronous one (about 0.5 ms on a small
 * heap). Measured with a 1 GiB upload to `serve --upload` (server VmHWM over its idle RSS, curl
 * -T, Bun 1.4): without it +48 to +64 MiB for a Content-Length body and +64 to +72 MiB chunked;
 * every 16 MiB +27 and +34 MiB; every 64 MiB +40 and +56 MiB.
 */
export const BUN_COLLECT_EVERY_BYTES = 16 * 1024 * 1024;

/** Bun's full collection every BUN_COLLECT_EVERY_BYTES, as a reclaim step; undefined elsewhere. */
function bunCollection(): (() => void) | undefined {
  const bun = (globalThis as { Bun?: { gc?: (sync: boolean) => void } }).Bun;
  const gc = bun?.gc;
  if (typeof gc !== "function") return undefined;
  const every = BUN_COLLECT_EVERY_BYTES / RECLAIM_EVERY_BYTES;
  let calls = 0;
  return () => {
    if (++calls % every === 0) gc.call(bun, true);
  };
}

/** Accounts `bytes` just read from a socket; collects once RECLAIM_EVERY_BYTES have accumulated. */
export function noteBytesRead(bytes: number): void {
  readSinceGc += bytes;
  if (readSinceGc >= RECLAIM_EVERY_BYTES) {
    readSinceGc = 0;
    reclaim?.();
  }
}

/**
 * A young-generation collection as a function (V8's gc({ type: "minor" }), made available at
 * run time), or undefined where the runtime does not offer it.
 */
export function minorGc(): (() => void) | undefined {
  setV8Flag("--expose-gc");
  try {
    const gc = runInNewContext("gc") as unknown;
    if (typeof gc === "function")
      return () => (gc as (o: { type: "minor" }) => void)({ type: "minor" });
  } catch {
    // No gc in this runtime: nothing is reclaimed early, memory is merely higher.
  }
  return undefined;
}

function setV8Flag(flag: string): void {
  try {
    setFlagsFromString(flag);
  } catch {
    // A runtime without V8 flags (Bun accepts and ignores them; another may throw).
  }
}
