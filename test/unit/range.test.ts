/** parseRange and multipart/byteranges framing, table-driven (after Go's range_test.go). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MAX_RANGES,
  multipartByteranges,
  parseRange,
  type RangeRequest,
} from "../../src/http/range.js";

const whole: RangeRequest = { kind: "whole" };
const unsat: RangeRequest = { kind: "unsatisfiable" };
const r = (...pairs: [number, number][]): RangeRequest => ({
  kind: "ranges",
  ranges: pairs.map(([start, end]) => ({ start, end })),
});

const CASES: [string | undefined, number, RangeRequest][] = [
  [undefined, 10, whole],
  ["", 10, whole],
  ["bytes=", 10, whole],
  ["bytes=0-0", 10, r([0, 1])],
  ["bytes=0-4", 10, r([0, 5])],
  ["bytes=2-", 10, r([2, 10])],
  ["bytes=-3", 10, r([7, 10])],
  ["bytes=-20", 10, r([0, 10])],
  ["bytes=5-100", 10, r([5, 10])],
  ["bytes=9-9", 10, r([9, 10])],
  ["bytes=10-", 10, unsat],
  ["bytes=10-20", 10, unsat],
  ["bytes=-0", 10, unsat],
  ["bytes=10-,-0", 10, unsat],
  ["bytes=0-1,5-6", 10, r([0, 2], [5, 7])],
  ["bytes=0-1, 5-6 ,", 10, r([0, 2], [5, 7])],
  ["bytes=0-1,20-30", 10, r([0, 2])],
  ["BYTES=0-1", 10, r([0, 2])],
  ["bytes = 0-1", 10, r([0, 2])],
  // Garbage is ignored (RFC 9110 §14.2 MAY ignore), never half-applied.
  ["bytes=Ran-dom, garbage", 10, whole],
  ["bytes=5-2", 10, whole],
  ["bytes=a-", 10, whole],
  ["bytes=-a", 10, whole],
  ["bytes=--1", 10, whole],
  ["bytes=1", 10, whole],
  ["bytes=-", 10, whole],
  ["bytes=0-1,junk", 10, whole],
  ["bytes=+1-2", 10, whole],
  ["bytes=0x1-2", 10, whole],
  ["bytes=1.5-2", 10, whole],
  ["bytes 0-1", 10, whole],
  ["items=0-1", 10, whole],
  ["=0-1", 10, whole],
  ["bytes=99999999999999999999-", 10, unsat],
  ["bytes=0-99999999999999999999", 10, r([0, 10])],
  // An empty representation is sent whole.
  ["bytes=0-", 0, whole],
  ["bytes=-1", 0, whole],
  // Sets adding up to more than the file are ignored, as Go does.
  ["bytes=0-9,0-9", 10, whole],
  ["bytes=0-5,3-8", 10, whole],
  ["bytes=0-4,0-4", 10, r([0, 5], [0, 5])],
  ["bytes=-6,0-4", 10, whole],
];

describe("parseRange", () => {
  for (const [header, size, want] of CASES) {
    it(`${JSON.stringify(header)} of ${size} bytes`, () => {
      assert.deepEqual(parseRange(header, size), want);
    });
  }

  it("ignores more than MAX_RANGES parts", () => {
    const many = Array.from({ length: MAX_RANGES + 1 }, (_, i) => `${i}-${i}`).join(",");
    assert.deepEqual(parseRange(`bytes=${many}`, 10_000), whole);
    const ok = Array.from({ length: MAX_RANGES }, (_, i) => `${i}-${i}`).join(",");
    const got = parseRange(`bytes=${ok}`, 10_000);
    assert.equal(got.kind, "ranges");
  });
});

describe("multipartByteranges", () => {
  it("frames parts with Content-Type and Content-Range and a closing delimiter", () => {
    const file = Buffer.from("0123456789");
    const mp = multipartByteranges(
      [
        { start: 0, end: 2 },
        { start: 8, end: 10 },
      ],
      10,
      "text/plain",
      "BOUND",
    );
    assert.equal(mp.contentType, "multipart/byteranges; boundary=BOUND");
    const body = Buffer.concat(
      mp.pieces.map((p) => (Buffer.isBuffer(p) ? p : file.subarray(p.start, p.end))),
    ).toString();
    assert.equal(
      body,
      "--BOUND\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01" +
        "\r\n--BOUND\r\nContent-Type: text/plain\r\nContent-Range: bytes 8-9/10\r\n\r\n89" +
        "\r\n--BOUND--\r\n",
    );
    assert.equal(mp.length, Buffer.byteLength(body));
  });
});
