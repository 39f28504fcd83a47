/**
 * The bytes the echo client sends when it measures: a fixed pseudo-random pattern, so every
 * echoed byte can be checked against what was sent without keeping a copy. Pure.
 */

/** Pattern period: a prime, so it never lines up with socket buffer sizes. */
export const PATTERN_PERIOD = 65_521;

/** Spans up to this many bytes are compared byte by byte in JavaScript. */
const SMALL_SPAN = 256;

/** The pattern stored twice, so any window of up to PATTERN_PERIOD bytes is contiguous. */
const PATTERN: Buffer = (() => {
  const b = Buffer.allocUnsafe(2 * PATTERN_PERIOD);
  let x = 0x9e3779b9;
  for (let i = 0; i < PATTERN_PERIOD; i++) {
    // xorshift32: cheap, and covers all 256 byte values.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
    b[i + PATTERN_PERIOD] = x & 0xff;
  }
  return b;
})();

/**
 * A view of the pattern bytes at stream offset `offset`, at most `length` and at most
 * PATTERN_PERIOD bytes long. Shares memory with the pattern: never write to it.
 */
export function patternAt(offset: number, length: number): Buffer {
  const start = offset % PATTERN_PERIOD;
  return PATTERN.subarray(start, start + Math.min(length, PATTERN_PERIOD));
}

/**
 * Checks that the first `length` bytes of `chunk` (all of it by default) equal the pattern from
 * stream offset `offset`; returns the offset of the first wrong byte, or -1 if all match.
 * Compares in place (Buffer.compare with ranges): no view is allocated on the way.
 */
export function findPatternMismatch(chunk: Buffer, offset: number, length = chunk.length): number {
  const start0 = offset % PATTERN_PERIOD;
  if (length <= SMALL_SPAN) {
    // A round trip's few bytes: a JIT-compiled loop costs less than the native call and
    // argument checks of Buffer.compare (measured: about 0.2 µs per 64-byte echo).
    for (let i = 0; i < length; i++) if (chunk[i] !== PATTERN[start0 + i]) return offset + i;
    return -1;
  }
  let done = 0;
  while (done < length) {
    const start = (offset + done) % PATTERN_PERIOD;
    const n = Math.min(length - done, PATTERN_PERIOD);
    if (chunk.compare(PATTERN, start, start + n, done, done + n) !== 0) {
      const got = chunk.subarray(done, done + n);
      return offset + done + firstDifference(got, PATTERN.subarray(start, start + n));
    }
    done += n;
  }
  return -1;
}

/** Index of the first differing byte of two buffers (the shorter length if one is a prefix). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
