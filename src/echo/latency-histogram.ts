/**
 * Latencies of the echo client's measuring modes, kept in an HDR histogram (HdrHistogram's own
 * JavaScript port, hdr-histogram-js): constant memory and constant time per sample however long
 * a run lasts, and percentiles far into the tail (p99.99) that a sorted sample list would need
 * millions of entries for.
 *
 * Error bound: values are recorded in nanoseconds with 3 significant digits, so every percentile
 * is within 0.1 % of a value actually recorded (HdrHistogram's guarantee: a value is counted in a
 * bucket no wider than 1/1000 of it). Below 2.048 µs buckets are 1 ns wide. min, max and mean are
 * exact. Values above one hour are counted as one hour.
 */
// The class's own module, not the package index: the index also loads a WebAssembly build and a
// zlib port (about 100 ms at start) that tcpkit does not use.
import hdrInt32Module from "hdr-histogram-js/dist/Int32Histogram.js";

const NS_PER_MS = 1e6;
/** The largest value tracked: one hour, in ns. */
const HIGHEST_NS = 3600 * 1e9;
/** Three significant digits: 0.1 % relative error. */
export const SIGNIFICANT_DIGITS = 3;

/** The percentiles reported unless --percentiles says otherwise. */
export const DEFAULT_PERCENTILES: readonly number[] = [50, 90, 99, 99.9, 99.99];

/** A latency distribution as reports show it, in milliseconds. */
export interface LatencySummary {
  /** Samples recorded. */
  count: number;
  min: number;
  mean: number;
  max: number;
  /** Population standard deviation. */
  stddev: number;
  /** The requested percentiles, keyed `p50`, `p99.9`... (NaN with no samples). */
  percentiles: Record<string, number>;
}

// hdr-histogram-js is CommonJS compiled from TypeScript: Node hands over module.exports (the
// class is its `default`), Bun may hand over the class itself.
type HdrHistogramClass = typeof hdrInt32Module.default;
const Histogram: HdrHistogramClass =
  (hdrInt32Module as { default?: HdrHistogramClass }).default ??
  (hdrInt32Module as unknown as HdrHistogramClass);

/** The key of percentile `p` in LatencySummary.percentiles: 50 → "p50", 99.9 → "p99.9". */
export function percentileKey(p: number): string {
  return `p${p}`;
}

/**
 * hdr-histogram-js finds a value's bucket with Math.log2 and two Math.pow calls (about 0.15 µs a
 * sample, a measurable part of a round trip's cost). Values below 2^32 ns (4.3 s) are instead
 * counted here, in HdrHistogram's own layout for 3 significant digits (2,048 sub-buckets, the
 * bucket found with Math.clz32), and moved into the HDR histogram in one pass when it is read:
 * the same buckets, so the same results. 22 buckets x 1,024 + 1,024 = 23,552 counters.
 */
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_HALF = 1 << SUB_BUCKET_HALF_MAGNITUDE;
const PENDING_SLOTS = 23 * SUB_BUCKET_HALF;

/** A histogram of latencies in milliseconds (stored as nanoseconds). */
export class LatencyHistogram {
  private readonly hdr = new Histogram(1, HIGHEST_NS, SIGNIFICANT_DIGITS);
  private pending: Float64Array | undefined;
  private pendingCount = 0;
  private minNs = Infinity;
  private maxNs = 0;
  private sumNs = 0;

  get count(): number {
    return this.hdr.totalCount + this.pendingCount;
  }

  /** Records one latency in milliseconds (negative values count as 0). */
  record(ms: number): void {
    const ns = Math.min(HIGHEST_NS, Math.max(0, Math.round(ms * NS_PER_MS)));
    if (ns < 0x1_0000_0000) {
      // HdrHistogram's index: bucket = floor(log2(ns)) - 10 (at least 0), sub-bucket = ns >> bucket.
      const bucket = Math.max(0, 31 - Math.clz32(ns) - SUB_BUCKET_HALF_MAGNITUDE);
      const index = (bucket + 1) * SUB_BUCKET_HALF + (ns >>> bucket) - SUB_BUCKET_HALF;
      const pending = (this.pending ??= new Float64Array(PENDING_SLOTS));
      pending[index] = (pending[index] as number) + 1;
      this.pendingCount++;
    } else {
      this.hdr.recordValue(ns);
    }
    this.sumNs += ns;
    if (ns < this.minNs) this.minNs = ns;
    if (ns > this.maxNs) this.maxNs = ns;
  }

  /** Moves the counted-aside samples into the HDR histogram (each as its bucket's lowest value). */
  private settle(): void {
    const pending = this.pending;
    if (pending === undefined || this.pendingCount === 0) return;
    for (let index = 0; index < PENDING_SLOTS; index++) {
      const n = pending[index] as number;
      if (n === 0) continue;
      const bucket = Math.max(0, Math.floor(index / SUB_BUCKET_HALF) - 1);
      const sub = index - (bucket + 1) * SUB_BUCKET_HALF + SUB_BUCKET_HALF;
      this.hdr.recordValueWithCount(sub * 2 ** bucket, n);
    }
    pending.fill(0);
    this.pendingCount = 0;
  }

  /** Adds every sample of `other` (an interval's histogram into the run's). */
  add(other: LatencyHistogram): void {
    if (other.count === 0) return;
    other.settle();
    this.hdr.add(other.hdr);
    this.sumNs += other.sumNs;
    this.minNs = Math.min(this.minNs, other.minNs);
    this.maxNs = Math.max(this.maxNs, other.maxNs);
  }

  /** Forgets every sample. */
  reset(): void {
    this.hdr.reset();
    this.pending?.fill(0);
    this.pendingCount = 0;
    this.minNs = Infinity;
    this.maxNs = 0;
    this.sumNs = 0;
  }

  /** The value at percentile `p` (0-100), ms; NaN with no samples. */
  valueAt(p: number): number {
    if (this.count === 0) return NaN;
    this.settle();
    // The histogram answers with its bucket's highest value; never past the largest sample.
    return Math.min(this.hdr.getValueAtPercentile(p), this.maxNs) / NS_PER_MS;
  }

  /** min / mean / max / stddev and `percentiles`, ms. */
  summary(percentiles: readonly number[] = DEFAULT_PERCENTILES): LatencySummary {
    const n = this.count;
    this.settle();
    const out: Record<string, number> = {};
    for (const p of percentiles) out[percentileKey(p)] = this.valueAt(p);
    return {
      count: n,
      min: n === 0 ? NaN : this.minNs / NS_PER_MS,
      mean: n === 0 ? NaN : this.sumNs / n / NS_PER_MS,
      max: n === 0 ? NaN : this.maxNs / NS_PER_MS,
      stddev: n === 0 ? NaN : this.hdr.stdDeviation / NS_PER_MS,
      percentiles: out,
    };
  }
}

/**
 * Checks a --percentiles list: numbers above 0 and at most 100, ascending order not required
 * (they are sorted). Throws a TypeError-free message for the caller to wrap.
 */
export function parsePercentiles(text: string): number[] | string {
  const parts = text.split(",").map((s) => s.trim());
  const values: number[] = [];
  for (const part of parts) {
    const n = Number(part.replace(/^p/i, ""));
    if (part === "" || !Number.isFinite(n) || n <= 0 || n > 100) {
      return `'${part}' is not a percentile above 0 and at most 100`;
    }
    values.push(n);
  }
  return [...new Set(values)].sort((a, b) => a - b);
}
