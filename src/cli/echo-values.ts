/**
 * The value syntaxes of `tcpkit echo`'s flags: byte counts with binary or decimal units, a
 * --bench budget (bytes or a duration), a rate, a percentile list. Pure.
 */
import { invalidValue, parseDuration } from "./flags.js";
import { parsePercentiles } from "../echo/latency-histogram.js";

/** K, M, G, T and KiB... are binary (1024); KB, MB, GB, TB are decimal (1000), as SI says. */
const BYTE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

/**
 * "1000", "64K", "4M", "1.5G", "2GiB" (binary) or "2GB" (decimal) → bytes, a whole number > 0;
 * undefined if malformed.
 */
export function parseByteCount(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([a-z]*)$/i.exec(value);
  if (m === null) return undefined;
  const unit = BYTE_UNITS[(m[2] ?? "").toLowerCase()];
  if (unit === undefined || (unit === 1 && (m[1] as string).includes("."))) return undefined;
  const n = Math.floor(Number(m[1]) * unit);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/**
 * "10s", "500ms" → a duration; "64M", "1G", "2GB", "1000000" → bytes ("2m" is 2 MiB, as it
 * always was here: minutes are written "120s").
 */
export function parseBenchBudget(
  value: string,
  name = "--bench",
): { bytes: number } | { durationMs: number } {
  const expected = "a byte count (64M, 1G = 1 GiB, 1GB = 10^9 bytes) or seconds (10s, 500ms)";
  if (/^[\d.]+m?s$/.test(value)) {
    const ms = parseDuration(value, "s");
    if (ms === undefined || ms <= 0) throw invalidValue(name, expected, value);
    return { durationMs: ms };
  }
  const bytes = parseByteCount(value);
  if (bytes === undefined) throw invalidValue(name, expected, value);
  return { bytes };
}

/** --byte-count style flag conversion: a byte count or a usage error. */
export function byteCountFlag(text: string, name: string): number {
  const bytes = parseByteCount(text);
  if (bytes === undefined) throw invalidValue(name, "a byte count (48K, 4M, 1GB)", text);
  return bytes;
}

/** "1000", "1000/s", "2.5k", "10k/s" → per second, above 0. */
export function parseRate(text: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)(k)?(?:\/s)?$/i.exec(text);
  const rate = m === null ? NaN : Number(m[1]) * (m[2] === undefined ? 1 : 1000);
  if (!(rate > 0) || !Number.isFinite(rate)) {
    throw invalidValue(name, "a rate per second above 0 (1000, 1000/s, 5k/s)", text);
  }
  return rate;
}

/** "50,99,99.9" → [50, 99, 99.9]. */
export function percentilesFlag(text: string, name: string): number[] {
  const parsed = parsePercentiles(text);
  if (typeof parsed === "string") {
    throw invalidValue(name, "a comma-separated list of percentiles (50,99,99.9)", text);
  }
  return parsed;
}

/** Bytes as the reports say them: "2 GiB (2,147,483,648 bytes)", "1,000 bytes". */
export function describeBytes(bytes: number): string {
  const exact = `${bytes.toLocaleString("en-US")} bytes`;
  for (const [unit, size] of [
    ["TiB", 1024 ** 4],
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
    ["KiB", 1024],
  ] as const) {
    if (bytes >= size) {
      const n = bytes / size;
      const shown = Number.isInteger(n) ? String(n) : n.toFixed(2);
      return `${shown} ${unit} (${exact})`;
    }
  }
  return exact;
}
