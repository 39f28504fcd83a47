/**
 * ChunkedDecoder: strict chunked syntax (RFC 9112 §7.1), the chunk-ext grammar of §7.1.1
 * exactly, trailer fields, the limit, the data handed out, and where the next request begins.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ChunkedDecoder, type DecodeResult } from "../../src/http/server/chunked-decoder.js";

interface Decoded {
  readonly result: DecodeResult;
  readonly data: string;
  /** What followed the body, when it ended. */
  readonly rest: string;
}

/** Decodes `text` in pieces cut at `cuts` (offsets), as a connection would feed it. */
function decode(text: string | Buffer, limit = 100, cuts: number[] = []): Decoded {
  const d = new ChunkedDecoder();
  d.reset(limit);
  const bytes = typeof text === "string" ? Buffer.from(text, "latin1") : text;
  let data = "";
  let from = 0;
  let result: DecodeResult = { kind: "need-more" };
  for (const cut of [...cuts, bytes.length]) {
    const piece = bytes.subarray(from, cut);
    from = cut;
    result = d.decode(piece, (b) => (data += b.toString("latin1")));
    if (result.kind === "done") {
      const rest = piece.subarray(result.next).toString("latin1") + bytes.toString("latin1", from);
      return { result, data, rest };
    }
    if (result.kind === "error") break;
  }
  return { result, data, rest: "" };
}

const oneByteCuts = (text: string): number[] => [...Array(text.length).keys()].slice(1);

describe("ChunkedDecoder", () => {
  const valid: [string, string][] = [
    ["plain chunks", "5\r\nhello\r\nA\r\n0123456789\r\n0\r\n\r\n"],
    ["upper- and lower-case hex, leading zeros", "00a\r\n0123456789\r\n0000\r\n\r\n"],
    ["a token extension", "5;a=b\r\nhello\r\n0\r\n\r\n"],
    ["a name-only extension and several", "5;a;b=c;d\r\nhello\r\n0;last\r\n\r\n"],
    ["BWS around ; and =", "5 ;\ta = b ; c\r\nhello\r\n0\r\n\r\n"],
    ["a quoted-string value", '5;a="x y;z=\\"q\\""\r\nhello\r\n0\r\n\r\n'],
    ["obs-text inside a quoted-string", '5;a="caf\xe9"\r\nhello\r\n0\r\n\r\n'],
    ["a quoted value then more", '5;a="1";b=2\r\nhello\r\n0\r\n\r\n'],
    ["trailer fields", "5\r\nhello\r\n0\r\nX-T: 1\r\nY:\r\n\r\n"],
  ];
  for (const [name, text] of valid) {
    for (const oneByte of [false, true]) {
      it(`${name}${oneByte ? " (one byte at a time)" : ""}`, () => {
        const d = decode(text + "NEXT", 100, oneByte ? oneByteCuts(text) : []);
        assert.equal(d.result.kind, "done", JSON.stringify(d.result));
        assert.equal(d.rest, "NEXT");
        assert.ok(d.data === "hello" || d.data === "hello0123456789" || d.data === "0123456789");
      });
    }
  }

  it("waits for more", () => assert.equal(decode("5\r\nhel").result.kind, "need-more"));

  const bad: [string, string, 400 | 413][] = [
    ["not hex", "x\r\n", 400],
    ["no size", ";a\r\n", 400],
    ["a bare LF after the size", "5\nhello\r\n0\r\n\r\n", 400],
    ["data longer than its size", "5\r\nhelloX\r\n", 400],
    ["a bare LF in a trailer", "0\r\nX: 1\n\r\n", 400],
    ["a size past 15 hex digits", "1234567890123456\r\n", 400],
    ["whitespace after the size and no extension", "5 \r\nhello\r\n0\r\n\r\n", 400],
    ["whitespace after an extension before CRLF", "5;a \r\nhello\r\n0\r\n\r\n", 400],
    ["whitespace after a value before CRLF", "5;a=b \r\nhello\r\n0\r\n\r\n", 400],
    ["an empty extension name", "5;\r\nhello\r\n0\r\n\r\n", 400],
    ["an extension name that is no token", "5;a@b\r\nhello\r\n0\r\n\r\n", 400],
    ["= without a value", "5;a=\r\nhello\r\n0\r\n\r\n", 400],
    ["a value that is no token", "5;a=b@c\r\nhello\r\n0\r\n\r\n", 400],
    ["an unclosed quoted-string", '5;a="bc\r\nhello\r\n0\r\n\r\n', 400],
    ["a control byte in a quoted-string", '5;a="b\x01c"\r\nhello\r\n0\r\n\r\n', 400],
    ["DEL in a quoted-string", '5;a="b\x7fc"\r\nhello\r\n0\r\n\r\n', 400],
    ["a quoted-pair of a control byte", '5;a="b\\\x01"\r\nhello\r\n0\r\n\r\n', 400],
    ["text after a closing quote", '5;a="b"c\r\nhello\r\n0\r\n\r\n', 400],
    ["NBSP as whitespace (no JavaScript trim)", "5;\xa0a=b\r\nhello\r\n0\r\n\r\n", 400],
    ["vertical tab as whitespace", "5\v;a=b\r\nhello\r\n0\r\n\r\n", 400],
    ["form feed around =", "5;a\f=b\r\nhello\r\n0\r\n\r\n", 400],
    ["a bare CR in an extension", "5;a\rb\r\nhello\r\n0\r\n\r\n", 400],
    ["obs-fold in a trailer", "0\r\nX: 1\r\n 2\r\n\r\n", 400],
    ["a trailer without a colon", "0\r\nX-T 1\r\n\r\n", 400],
    ["a control byte in a trailer value", "0\r\nX: a\x00b\r\n\r\n", 400],
    ["a size past the limit", "65\r\n", 413],
    ["chunks adding up past the limit", "32\r\n" + "x".repeat(50) + "\r\n33\r\n", 413],
  ];
  for (const [name, text, status] of bad) {
    it(`rejects ${name} with ${status}`, () => {
      const r = decode(text).result;
      assert.equal(r.kind, "error", JSON.stringify(r));
      if (r.kind === "error") assert.equal(r.status, status);
    });
  }

  it("limits extensions and trailers to 8 KiB", () => {
    const r = decode(`5;a=${"b".repeat(9000)}\r\nhello\r\n0\r\n\r\n`).result;
    assert.equal(r.kind, "error");
  });

  it("a lower limit set while reading applies to what was read", () => {
    const d = new ChunkedDecoder();
    d.reset(1000);
    d.decode(Buffer.from("a\r\n0123456789\r\n"), () => {});
    assert.equal(d.setLimit(5).kind, "error");
  });

  it("decodes the same data and end whatever the cuts (property)", () => {
    const body = fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 6 });
    fc.assert(
      fc.property(body, fc.array(fc.nat(), { maxLength: 8 }), (chunks, rawCuts) => {
        let wire = "";
        let data = "";
        for (const c of chunks) {
          const text = Buffer.from(c).toString("latin1");
          wire += `${c.length.toString(16)};n="v"\r\n${text}\r\n`;
          data += text;
        }
        wire += "0\r\nT: x\r\n\r\nNEXT";
        const cuts = [...new Set(rawCuts.map((n) => n % (wire.length + 1)))].sort((a, b) => a - b);
        const d = decode(wire, 10_000, cuts);
        assert.equal(d.result.kind, "done");
        assert.equal(d.data, data);
        assert.equal(d.rest, "NEXT");
      }),
    );
  });
});
