/** Summary statistics of round-trip samples, as ping reports them. Pure. */

/** min / avg / percentiles / max / standard deviation of a sample set, in the samples' unit. */
export interface LatencySummary {
  count: number;
  min: number;
  avg: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Population standard deviation (ping's "mdev" is close to it). */
  stddev: number;
}

/**
 * The `p`-th percentile (0 < p <= 100) of ascending `sorted`, by the nearest-rank method: the
 * smallest sample with at least p % of the samples at or below it. NaN for no samples.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Summarises samples (any order); every field is NaN when there are none. */
export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) {
    return { count: 0, min: NaN, avg: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN, stddev: NaN };
  }
  let sum = 0;
  for (const x of sorted) sum += x;
  const avg = sum / n;
  let squares = 0;
  for (const x of sorted) squares += (x - avg) * (x - avg);
  return {
    count: n,
    min: sorted[0] as number,
    avg,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[n - 1] as number,
    stddev: Math.sqrt(squares / n),
  };
}
