import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBenchBudget, parseByteCount } from "../../src/cli/echo-command.js";
import { summarizeLatencies, percentile } from "../../src/echo/latency-stats.js";
import { findPatternMismatch, patternAt, PATTERN_PERIOD } from "../../src/echo/payload-pattern.js";
import { isReflectionRisk } from "../../src/echo/reflection-guard.js";

describe("percentile", () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  for (const [p, want] of [
    [50, 50],
    [90, 90],
    [99, 99],
    [100, 100],
    [1, 1],
    [0.1, 1],
  ] as const) {
    it(`p${p} of 1..100 is ${want} (nearest rank)`, () =>
      assert.equal(percentile(sorted, p), want));
  }
  it("is NaN for no samples", () => assert.ok(Number.isNaN(percentile([], 50))));
  it("takes the only sample for any p", () => assert.equal(percentile([7], 99), 7));
});

describe("summarizeLatencies", () => {
  it("sorts, and reports min/avg/p50/p90/p99/max/stddev", () => {
    const s = summarizeLatencies([4, 2, 8, 6]);
    assert.deepEqual(s, {
      count: 4,
      min: 2,
      avg: 5,
      p50: 4,
      p90: 8,
      p99: 8,
      max: 8,
      stddev: Math.sqrt(5),
    });
  });
  it("is all NaN (count 0) for no samples", () => {
    const s = summarizeLatencies([]);
    assert.equal(s.count, 0);
    assert.ok(Number.isNaN(s.avg) && Number.isNaN(s.p99));
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
    const chunk = Buffer.from(patternAt(1000, 200_000 > PATTERN_PERIOD ? PATTERN_PERIOD : 200_000));
    assert.equal(findPatternMismatch(chunk, 1000), -1);
    chunk[123] = (chunk[123] as number) ^ 1;
    assert.equal(findPatternMismatch(chunk, 1000), 1123);
  });
  it("checks chunks longer than one period", () => {
    const long = Buffer.concat([patternAt(0, PATTERN_PERIOD), patternAt(0, 100)]);
    assert.equal(findPatternMismatch(long, 0), -1);
    long[PATTERN_PERIOD + 50] = (long[PATTERN_PERIOD + 50] as number) ^ 0xff;
    assert.equal(findPatternMismatch(long, 0), PATTERN_PERIOD + 50);
  });
});

describe("isReflectionRisk", () => {
  const self = { port: 7007, isLocalAddress: (a: string) => a === "127.0.0.1" || a === "10.0.0.5" };
  for (const [address, port, want] of [
    ["192.0.2.1", 7, true],
    ["192.0.2.1", 13, true],
    ["192.0.2.1", 19, true],
    ["192.0.2.1", 0, true],
    ["192.0.2.1", 53, true],
    ["192.0.2.1", 40000, false],
    ["127.0.0.1", 7007, true],
    ["10.0.0.5", 7007, true],
    ["192.0.2.1", 7007, false],
    ["127.0.0.1", 7008, false],
  ] as const) {
    it(`${address}:${port} → ${want ? "drop" : "answer"}`, () =>
      assert.equal(isReflectionRisk(address, port, self), want));
  }
});

describe("parseBenchBudget", () => {
  for (const [text, want] of [
    ["10s", { durationMs: 10_000 }],
    ["0.5s", { durationMs: 500 }],
    ["1000", { bytes: 1000 }],
    ["64K", { bytes: 65_536 }],
    ["64M", { bytes: 67_108_864 }],
    ["1G", { bytes: 1_073_741_824 }],
    ["2g", { bytes: 2_147_483_648 }],
  ] as const) {
    it(`reads ${text}`, () => assert.deepEqual(parseBenchBudget(text), want));
  }
  for (const bad of ["", "s", "1.5M", "-1", "0", "0s", "10 s", "1T"]) {
    it(`rejects '${bad}'`, () => assert.throws(() => parseBenchBudget(bad), /--bench/));
  }
});

describe("parseByteCount", () => {
  it("reads plain and binary-suffixed counts", () => {
    assert.equal(parseByteCount("32K"), 32 * 1024);
    assert.equal(parseByteCount("7"), 7);
  });
  it("is undefined for zero or junk", () => {
    assert.equal(parseByteCount("0"), undefined);
    assert.equal(parseByteCount("32KB"), undefined);
  });
});
