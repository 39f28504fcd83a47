/** The echo client's pure parts: histogram error bound, UDP sequence accounting, patterns, values. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import hdrInt32Module from "hdr-histogram-js/dist/Int32Histogram.js";
import {
  describeBytes,
  parseBenchBudget,
  parseByteCount,
  parseRate,
} from "../../src/cli/echo-values.js";
import { parseDuration } from "../../src/cli/flags.js";
import { EchoLoopGuard } from "../../src/echo/echo-loop-guard.js";
import { LatencyHistogram, parsePercentiles } from "../../src/echo/latency-histogram.js";
import { findPatternMismatch, patternAt, PATTERN_PERIOD } from "../../src/echo/payload-pattern.js";
import { isReflectionRisk } from "../../src/echo/reflection-guard.js";
import { checkDatagram, datagram } from "../../src/echo/udp-probe.js";
import { UdpSequenceStats } from "../../src/echo/udp-sequence-stats.js";

const Histogram = hdrInt32Module.default;

/** Nearest-rank percentile of ascending `sorted`. */
function exactPercentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

describe("LatencyHistogram", () => {
  it("keeps every percentile within 0.1 % of the exact one (the documented bound)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.001, max: 60_000, noNaN: true }), {
          minLength: 1,
          maxLength: 400,
        }),
        (values) => {
          const h = new LatencyHistogram();
          for (const v of values) h.record(v);
          const sorted = [...values].sort((a, b) => a - b);
          for (const p of [1, 50, 90, 99, 99.9, 99.99, 100]) {
            const exact = exactPercentile(sorted, p);
            const got = h.valueAt(p);
            // Values are kept in whole nanoseconds: allow that rounding as well.
            assert.ok(Math.abs(got - exact) <= exact * 0.001 + 1e-6, `p${p}: ${got} vs ${exact}`);
          }
          const s = h.summary();
          assert.equal(s.count, values.length);
          assert.ok(Math.abs(s.min - (sorted[0] as number)) <= 1e-6);
          assert.ok(Math.abs(s.max - (sorted[sorted.length - 1] as number)) <= 1e-6);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("gives exactly what hdr-histogram-js alone gives (its buckets, counted aside, then moved)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 7_200_000, noNaN: true }), { maxLength: 300 }),
        fc.array(fc.integer({ min: 0, max: 5_000_000 }), { maxLength: 300 }),
        (ms, ns) => {
          const values = [...ms, ...ns.map((n) => n / 1e6)];
          const h = new LatencyHistogram();
          const plain = new Histogram(1, 3600 * 1e9, 3);
          for (const v of values) {
            h.record(v);
            plain.recordValue(Math.min(3600 * 1e9, Math.round(v * 1e6)));
          }
          assert.equal(h.count, plain.totalCount);
          if (values.length === 0) return;
          for (const p of [0.1, 1, 50, 90, 99, 99.9, 99.99, 100]) {
            const max = Math.min(3600 * 1e9, Math.round(Math.max(...values) * 1e6));
            assert.equal(h.valueAt(p), Math.min(plain.getValueAtPercentile(p), max) / 1e6, `p${p}`);
          }
          assert.equal(h.summary().stddev, plain.stdDeviation / 1e6);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("adds intervals into a total and resets", () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.record(1);
    b.record(3);
    b.record(200);
    a.add(b);
    b.reset();
    assert.equal(a.count, 3);
    assert.equal(b.count, 0);
    assert.equal(a.summary().max, 200);
    assert.equal(a.summary().min, 1);
    assert.ok(Number.isNaN(b.summary([50]).percentiles["p50"] as number));
  });

  it("reports the requested percentiles by key", () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(i / 1000);
    const s = h.summary([50, 99.99]);
    assert.deepEqual(Object.keys(s.percentiles), ["p50", "p99.99"]);
    assert.ok(Math.abs((s.percentiles["p99.99"] as number) - 9.999) < 0.01);
  });

  it("parses --percentiles lists", () => {
    assert.deepEqual(parsePercentiles("99,50, 99.9"), [50, 99, 99.9]);
    assert.deepEqual(parsePercentiles("p50,p99.999"), [50, 99.999]);
    for (const bad of ["", "0", "101", "50,,99", "x"]) {
      assert.equal(typeof parsePercentiles(bad), "string", bad);
    }
  });
});

describe("UdpSequenceStats", () => {
  it("counts loss, duplicates and reordering exactly", () => {
    const s = new UdpSequenceStats();
    // 0..9 sent; 3 lost; 5 and 6 swapped; 8 twice.
    for (const seq of [0, 1, 2, 4, 6, 5, 7, 8, 8, 9]) s.arrive(seq, 1);
    assert.equal(s.received, 9);
    assert.equal(s.lost(10), 1);
    assert.equal(s.duplicates, 1);
    // 5 arrives after 6; 3 never arrives (a gap is loss, not reordering).
    assert.equal(s.reordered, 1);
  });

  it("computes RFC 3550 jitter: J += (|D| - J) / 16", () => {
    const s = new UdpSequenceStats();
    s.arrive(0, 10);
    s.arrive(1, 26); // |D| = 16 → J = 1
    assert.equal(s.jitterMs, 1);
    s.arrive(2, 26); // |D| = 0 → J = 1 - 1/16
    assert.equal(s.jitterMs, 15 / 16);
  });

  it("grows past its first kilobyte of sequence bits", () => {
    const s = new UdpSequenceStats();
    s.arrive(100_000, 1);
    assert.equal(s.arrive(100_000, 1), false);
    assert.equal(s.duplicates, 1);
  });
});

describe("UDP datagrams", () => {
  it("carry run id, sequence number and send time, and are checked whole", () => {
    const d = datagram(0xdeadbeef, 41, 12.5, 100);
    assert.equal(d.length, 100);
    assert.equal(checkDatagram(d, 100, 0xdeadbeef, 42), undefined);
    assert.equal(checkDatagram(d, 100, 0x12345678, 42), "foreign");
    assert.match(checkDatagram(d, 100, 0xdeadbeef, 41) ?? "", /never sent/);
    assert.match(checkDatagram(d.subarray(0, 99), 100, 0xdeadbeef, 42) ?? "", /99-byte/);
    const corrupt = Buffer.from(d);
    corrupt[60] = (corrupt[60] as number) ^ 1;
    assert.match(checkDatagram(corrupt, 100, 0xdeadbeef, 42) ?? "", /byte 60 differs/);
    // A changed send time changes the pattern the payload is checked against.
    const retimed = Buffer.from(d);
    retimed.writeDoubleBE(13.5, 8);
    assert.match(checkDatagram(retimed, 100, 0xdeadbeef, 42) ?? "", /differs/);
  });
});

describe("payload pattern", () => {
  it("covers all 256 byte values", () => {
    assert.equal(new Set(patternAt(0, PATTERN_PERIOD)).size, 256);
  });
  it("is periodic and contiguous across the period boundary", () => {
    const a = patternAt(PATTERN_PERIOD - 10, 20);
    assert.equal(a.length, 20);
    assert.ok(a.subarray(10).equals(patternAt(0, 10)));
    assert.ok(patternAt(3 * PATTERN_PERIOD + 5, 8).equals(patternAt(5, 8)));
  });
  it("finds the first wrong byte at its stream offset", () => {
    const chunk = Buffer.from(patternAt(1000, PATTERN_PERIOD));
    assert.equal(findPatternMismatch(chunk, 1000), -1);
    chunk[123] = (chunk[123] as number) ^ 1;
    assert.equal(findPatternMismatch(chunk, 1000), 1123);
  });
  it("checks short spans (the byte loop) at any offset, across the period's end too", () => {
    for (const offset of [0, 7, PATTERN_PERIOD - 10, 5 * PATTERN_PERIOD + 3]) {
      const chunk = Buffer.from(patternAt(offset, 64));
      assert.equal(findPatternMismatch(chunk, offset), -1);
      for (const at of [0, 9, 63]) {
        const bad = Buffer.from(chunk);
        bad[at] = (bad[at] as number) ^ 0x80;
        assert.equal(findPatternMismatch(bad, offset), offset + at);
        // Only the first `length` bytes are checked.
        assert.equal(findPatternMismatch(bad, offset, at), -1);
      }
    }
  });
  it("checks chunks longer than one period", () => {
    const long = Buffer.concat([patternAt(0, PATTERN_PERIOD), patternAt(0, 100)]);
    assert.equal(findPatternMismatch(long, 0), -1);
    long[PATTERN_PERIOD + 50] = (long[PATTERN_PERIOD + 50] as number) ^ 0xff;
    assert.equal(findPatternMismatch(long, 0), PATTERN_PERIOD + 50);
  });
});

describe("echo flag values", () => {
  for (const [text, want] of [
    ["10s", { durationMs: 10_000 }],
    ["0.5s", { durationMs: 500 }],
    ["250ms", { durationMs: 250 }],
    ["1000", { bytes: 1000 }],
    ["64K", { bytes: 65_536 }],
    ["64M", { bytes: 67_108_864 }],
    ["1G", { bytes: 1_073_741_824 }],
    ["2g", { bytes: 2_147_483_648 }],
    ["2GiB", { bytes: 2_147_483_648 }],
    ["2GB", { bytes: 2_000_000_000 }],
    ["1.5M", { bytes: 1_572_864 }],
  ] as const) {
    it(`--bench ${text}`, () => assert.deepEqual(parseBenchBudget(text), want));
  }
  for (const bad of ["", "s", "-1", "0", "0s", "10 s", "1.5", "3X", "1e3"]) {
    it(`--bench rejects '${bad}'`, () => assert.throws(() => parseBenchBudget(bad), /--bench/));
  }

  it("reads byte counts: K/M/G and KiB binary, KB/MB/GB decimal", () => {
    assert.equal(parseByteCount("32K"), 32 * 1024);
    assert.equal(parseByteCount("32KB"), 32_000);
    assert.equal(parseByteCount("7"), 7);
    assert.equal(parseByteCount("0"), undefined);
    assert.equal(parseByteCount("junk"), undefined);
  });

  it("describes byte counts with their unit and exact value", () => {
    assert.equal(describeBytes(2 * 1024 ** 3), "2 GiB (2,147,483,648 bytes)");
    assert.equal(describeBytes(2e9), "1.86 GiB (2,000,000,000 bytes)");
    assert.equal(describeBytes(1000), "1,000 bytes");
  });

  it("reads durations with units; a bare number in the flag's unit", () => {
    assert.equal(parseDuration("200ms", "ms"), 200);
    assert.equal(parseDuration("0.2s", "ms"), 200);
    assert.equal(parseDuration("200", "ms"), 200);
    assert.equal(parseDuration("0.2", "ms"), undefined);
    assert.equal(parseDuration("2", "s"), 2000);
    assert.equal(parseDuration("1.5m", "s"), 90_000);
    assert.equal(parseDuration("500us", "s"), 0.5);
    assert.equal(parseDuration("2 s", "s"), undefined);
  });

  it("reads rates", () => {
    assert.equal(parseRate("1000", "--rate"), 1000);
    assert.equal(parseRate("1000/s", "--rate"), 1000);
    assert.equal(parseRate("2.5k/s", "--rate"), 2500);
    assert.throws(() => parseRate("0", "--rate"), /--rate must be/);
    assert.throws(() => parseRate("fast", "--rate"), /--rate must be/);
  });
});

describe("UDP echo guards", () => {
  for (const [port, want] of [
    [7, true],
    [13, true],
    [19, true],
    [0, true],
    [53, true],
    [7007, true],
    [40000, false],
    // The server's own port, from any address: a twin on another host (main answered these).
    [9000, true],
    [9001, false],
  ] as const) {
    it(`source port ${port} → ${want ? "drop" : "answer"} (own port 9000)`, () =>
      assert.equal(isReflectionRisk(port, 9000), want));
  }

  it("drops the echo of its own echo within the window, and only that", () => {
    const guard = new EchoLoopGuard(1000, 2);
    const p = Buffer.from("ping-pong");
    assert.equal(guard.isLoop("192.0.2.7", 7007, p, 0), false, "first: echoed");
    assert.equal(guard.isLoop("192.0.2.7", 7007, p, 5), true, "same bytes back: a loop");
    assert.equal(guard.isLoop("192.0.2.7", 7007, Buffer.from("other"), 6), false);
    assert.equal(guard.isLoop("192.0.2.8", 7007, p, 7), false, "another source");
    assert.equal(guard.isLoop("192.0.2.7", 7008, p, 8), false, "another port");
    // After the window the same bytes are a new request.
    assert.equal(guard.isLoop("192.0.2.9", 1, p, 100), false);
    assert.equal(guard.isLoop("192.0.2.9", 1, p, 1200), false);
  });

  it("remembers a bounded number of sources, oldest forgotten first", () => {
    const guard = new EchoLoopGuard(1000, 2);
    const p = Buffer.from("x");
    guard.isLoop("a", 1, p, 0);
    guard.isLoop("b", 1, p, 1);
    guard.isLoop("c", 1, p, 2); // forgets a
    assert.equal(guard.isLoop("a", 1, p, 3), false);
    assert.equal(guard.isLoop("c", 1, p, 4), true);
  });
});
