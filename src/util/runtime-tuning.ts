/**
 * Where tcpkit tunes the runtime through means Node does not promise to keep: V8 flags set after
 * start-up (Node documents v8.setFlagsFromString as possibly unpredictable) and V8's gc() fetched
 * through a fresh context. Each is in this one module, each degrades to doing nothing where the
 * runtime refuses (Bun; a V8 without the flag), and test/unit/runtime-tuning.test.ts fails loudly
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
import { PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** The V8 flags used here, for the guard test. */
export const V8_FLAGS = ["--semi-space-growth-factor", "--expose-gc"] as const;

/**
 * Keeps V8's young generation small: semi-spaces of at most `capMiB` (V8 starts them at 1 MiB and
 * doubles them under load up to 16 MiB, which then stay allocated). At 1 MiB, from the start. A
 * larger cap lets them grow to it and stops them there: a scavenge's cost follows the surviving
 * objects plus a fixed part (the roots, V8's startup object cache among them: ~1.3 million
 * instructions a scavenge on Node 24), so a server that allocates much per request spends less
 * in collections with fewer, larger ones. Measured with bench:instructions: `--proxy` (two heads
 * parsed and two built per request) 85k → 78.5k instructions per request at 4 MiB; static files
 * about 5 % less, not taken there, for W6's memory (10,000 idle connections). For a server
 * process (the CLI), not a library.
 */
export function keepYoungGenerationSmall(capMiB = 1): void {
  // No young generation to size (Bun): nothing to watch.
  if (capMiB <= 1 || newSpaceBytes() === 0) return setV8Flag("--semi-space-growth-factor=1");
  // Growth happens at a scavenge, one doubling at a time: looked at after each collection.
  let observer: PerformanceObserver | undefined;
  const stop = (): void => {
    setV8Flag("--semi-space-growth-factor=1");
    observer?.disconnect();
  };
  try {
    observer = new PerformanceObserver(() => {
      if (newSpaceBytes() >= 2 * capMiB * 1024 * 1024) stop();
    });
    observer.observe({ entryTypes: ["gc"] });
  } catch {
    stop(); // no GC events in this runtime: the smallest size, as before
  }
}

/** Both semi-spaces of V8's young generation, in bytes (0 where the runtime has none). */
function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0;
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

/**
 * Minor collections between two looks at ArrayBuffer memory, and the growth that then earns a
 * full collection. A buffer that waits in a socket's queue through two minor collections (a
 * reader slower than the disk: an archive streamed to python's tarfile) is promoted, and once
 * dead only a full collection frees it; V8 paces those by JS heap growth, which a stream barely
 * makes, and by an external-memory limit that let a 5 GiB tar grow the server by 68-75 MiB on
 * Node 22 (32 on Node 24). Looking every 4 MiB read costs one v8.getHeapStatistics() (~4 us);
 * a full collection of a server's small heap a few ms per 8 MiB of stranded buffers. At 16 MiB
 * the archive test's growth (test/cli/serve-archive-big.test.ts, bound 32 MiB) had crept to
 * 29-35 MiB on Node 22 and 27-30 on Node 24; at 8 MiB it is 22-23 and 18 (Bun 37 against 41),
 * and a 1 GiB tar to python's tarfile cost the server no more CPU (190-261 ticks against
 * 209-369, 2026-12-06).
 */
const CHECK_EVERY_MINOR = 4;
export const STRANDED_BYTES = 8 * 1024 * 1024;

let reclaim: Collectors | undefined;
let readSinceGc = 0;
let minorsSinceCheck = 0;
/** Memory held (Collectors.held) after the last full collection, or the lowest seen since. */
let heldFloor = 0;

/**
 * Turns reclaiming on for this process: a choice for the process owner (the CLI), not for a
 * library embedded in someone else's program, as it exposes V8's gc() process-wide. Where the
 * runtime does not offer gc(), reclaiming stays off and memory is merely higher.
 */
export function enableReadBufferReclaim(): void {
  if (reclaim !== undefined) return;
  reclaim = collectors();
  // The floor starts at what is held now: from 0, Bun (whose "held" is the resident size, tens
  // of MiB at rest) would pay one needless full collection at the first check.
  if (reclaim !== undefined) heldFloor = reclaim.held();
}

/** Accounts `bytes` just read from a socket; collects once RECLAIM_EVERY_BYTES have accumulated. */
export function noteBytesRead(bytes: number): void {
  readSinceGc += bytes;
  if (readSinceGc < RECLAIM_EVERY_BYTES || reclaim === undefined) return;
  readSinceGc = 0;
  reclaim.minor();
  if (++minorsSinceCheck < CHECK_EVERY_MINOR) return;
  minorsSinceCheck = 0;
  const held = reclaim.held();
  if (held - heldFloor > STRANDED_BYTES) {
    reclaim.full();
    heldFloor = reclaim.held();
  } else if (held < heldFloor) {
    heldFloor = held;
  }
}

/** The memory V8 accounts outside its heap (buffers): what its own full collections are paced by. */
function v8ExternalMemory(): number {
  // Older Node 22 releases lack external_memory; memoryUsage() has the same figure but reads /proc
  // for RSS too (~20 us).
  return getHeapStatistics().external_memory ?? process.memoryUsage().arrayBuffers;
}

interface Collectors {
  minor(): void;
  full(): void;
  /** The memory that dead buffers inflate, cheap to read. */
  held(): number;
}

function collectors(): Collectors | undefined {
  const gc = v8Gc();
  if (gc !== undefined) {
    return {
      minor: () => gc({ type: "minor" }),
      full: () => gc({ type: "major" }),
      held: v8ExternalMemory,
    };
  }
  // Bun (JavaScriptCore) has no young-generation collection to ask for: Bun.gc(false) (~40 us)
  // every MiB cost the echo server 30 % more CPU per byte for 4 % less peak memory. A full
  // collection, Bun.gc(true), when the resident size has grown by STRANDED_BYTES: Bun reports
  // no ArrayBuffer total (memoryUsage().arrayBuffers is 0 and bun:jsc's heapStats() takes ms),
  // and its resident size is ~50 ns to read.
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun !== undefined) {
    return { minor: () => {}, full: () => bun.gc(true), held: () => process.memoryUsage.rss() };
  }
  return undefined;
}

/**
 * A young-generation collection as a function (V8's gc({ type: "minor" }), made available at
 * run time), or undefined where the runtime does not offer it.
 */
export function minorGc(): (() => void) | undefined {
  const gc = v8Gc();
  return gc === undefined ? undefined : () => gc({ type: "minor" });
}

/**
 * A full collection as a function (V8's gc({ type: "major" })), or undefined where the runtime
 * does not offer it: for tests that must see an object collected.
 */
export function fullGc(): (() => void) | undefined {
  const gc = v8Gc();
  return gc === undefined ? undefined : () => gc({ type: "major" });
}

type V8Gc = (options: { type: "minor" | "major" }) => void;

/** V8's gc(), made available at run time, or undefined where the runtime does not offer it. */
function v8Gc(): V8Gc | undefined {
  setV8Flag("--expose-gc");
  try {
    const gc = runInNewContext("gc") as unknown;
    if (typeof gc === "function") return gc as V8Gc;
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
