/** ChunkedBodySkipper: strict chunked syntax (RFC 9112 §7.1), limit, and what follows the body. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChunkedBodySkipper } from "../../src/http/chunked-body-skipper.js";

function skip(text: string, max = 100, oneByte = false) {
  const s = new ChunkedBodySkipper(max);
  const bytes = Buffer.from(text, "latin1");
  if (!oneByte) return s.push(bytes);
  let r = s.push(Buffer.alloc(0));
  for (let i = 0; i < bytes.length && r.kind === "need-more"; i++)
    r = s.push(bytes.subarray(i, i + 1));
  return r;
}

describe("ChunkedBodySkipper", () => {
  for (const oneByte of [false, true]) {
    const how = oneByte ? " (one byte at a time)" : "";
    it(`finds the end of a body with extensions and trailers${how}`, () => {
      const r = skip("5;a=b\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nNEXT", 100, oneByte);
      assert.equal(r.kind, "done");
      if (r.kind === "done" && !oneByte) assert.equal(r.rest.toString(), "NEXT");
    });
  }
  it("waits for more", () => assert.equal(skip("5\r\nhel").kind, "need-more"));
  const bad: [string, number][] = [
    ["x\r\n", 400],
    ["5\nhello\r\n0\r\n\r\n", 400],
    ["5\r\nhelloX\r\n", 400],
    ["0\r\nX\n\r\n", 400],
    ["1234567890123456\r\n", 400],
    ["65\r\n", 413],
  ];
  for (const [text, status] of bad) {
    it(`rejects ${JSON.stringify(text)} with ${status}`, () => {
      const r = skip(text);
      assert.equal(r.kind, "error");
      if (r.kind === "error") assert.equal(r.status, status);
    });
  }
});
