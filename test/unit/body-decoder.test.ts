import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  BodyDecoder,
  decideFraming,
  type BodyFraming,
  type DecodeResult,
} from "../../src/client/body-decoder.js";
import { ResponseHeadParser, type ResponseHead } from "../../src/client/response-head-parser.js";

function head(text: string): ResponseHead {
  const r = new ResponseHeadParser().push(Buffer.from(text, "latin1"));
  if (r.kind !== "head") throw new Error(`bad test head: ${JSON.stringify(r)}`);
  return r.head;
}

interface Decoded {
  body: string;
  result: DecodeResult;
  trailers: readonly string[];
}

/** Runs a decoder over pieces, then end() if it still wants more and `close` is set. */
function decode(framing: BodyFraming, pieces: Buffer[], close = true): Decoded {
  const decoder = new BodyDecoder(framing);
  const out: Buffer[] = [];
  let result: DecodeResult = { kind: "more" };
  for (const piece of pieces) {
    result = decoder.push(piece, (d) => out.push(Buffer.from(d)));
    if (result.kind !== "more") break;
  }
  if (result.kind === "more" && close) result = decoder.end();
  return { body: Buffer.concat(out).toString("latin1"), result, trailers: decoder.trailers };
}

function bytes(text: string): Buffer {
  return Buffer.from(text, "latin1");
}

describe("decideFraming", () => {
  const cases: [string, string, string, BodyFraming | RegExp][] = [
    [
      "GET",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
      "length 5",
      { kind: "length", length: 5 },
    ],
    ["HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD", { kind: "none" }],
    ["GET", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "204", { kind: "none" }],
    ["GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", "304", { kind: "none" }],
    ["GET", "HTTP/1.1 103 Early Hints\r\n\r\n", "1xx", { kind: "none" }],
    [
      "GET",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "chunked",
      { kind: "chunked" },
    ],
    [
      "GET",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n",
      "gzip, chunked",
      { kind: "chunked" },
    ],
    [
      "GET",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
      "TE overrides CL",
      { kind: "chunked" },
    ],
    [
      "GET",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "TE not ending in chunked",
      { kind: "close" },
    ],
    ["GET", "HTTP/1.1 200 OK\r\n\r\n", "no framing fields", { kind: "close" }],
    [
      "GET",
      "HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n",
      "equal CL list",
      { kind: "length", length: 7 },
    ],
    [
      "GET",
      "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n",
      "differing CLs",
      /conflicting/,
    ],
    [
      "GET",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "negative CL",
      /invalid Content-Length/,
    ],
    [
      "GET",
      "HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n",
      "CL with an exponent",
      /invalid Content-Length/,
    ],
    [
      "GET",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
      "chunked twice",
      /more than once/,
    ],
    ["GET", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "TE in HTTP/1.0", /HTTP\/1.0/],
  ];
  for (const [method, text, what, want] of cases) {
    it(`decides ${what}`, () => {
      const got = decideFraming(method, head(text));
      if (want instanceof RegExp) {
        assert.equal(got.kind, "error");
        assert.match((got as { message: string }).message, want);
      } else {
        assert.deepEqual(got, want);
      }
    });
  }
});

describe("BodyDecoder", () => {
  const chunked =
    '4;name=value;q="quoted;str"\r\nWiki\r\n5 ; ext\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\nX-Sum: abc\r\n\r\nNEXT';

  it("decodes chunked bodies with extensions and trailers, keeping bytes after them", () => {
    const r = decode({ kind: "chunked" }, [bytes(chunked)]);
    assert.equal(r.body, "Wikipedia in\r\n\r\nchunks.");
    assert.deepEqual(r.trailers, ["expires", "never", "x-sum", "abc"]);
    assert.equal(r.result.kind, "done");
    assert.equal((r.result as { rest: Buffer }).rest.toString(), "NEXT");
  });

  it("decodes the same chunked body at every split point and one byte at a time", () => {
    const all = bytes(chunked);
    const whole = decode({ kind: "chunked" }, [all]);
    for (let at = 0; at <= all.length; at++) {
      const r = decode({ kind: "chunked" }, [all.subarray(0, at), all.subarray(at)]);
      assert.equal(r.body, whole.body, `split at ${at}`);
      assert.deepEqual(r.trailers, whole.trailers, `split at ${at}`);
      assert.equal(r.result.kind, "done", `split at ${at}`);
    }
    const dribbled = [...all].map((b) => Buffer.from([b]));
    const r = decode({ kind: "chunked" }, dribbled);
    assert.equal(r.body, whole.body);
  });

  it("accepts every form of the chunk-ext grammar (RFC 9112 §7.1.1)", () => {
    const lines = [
      "3;a",
      "3;a=b",
      "3 ;a",
      "3\t; a = b",
      '3;a="x;y\\"z\\\\"',
      '3;a="\xe9\t "',
      '3;a;b=c;d=""',
      "3;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~",
      '3;a="x" ;b',
    ];
    for (const line of lines) {
      const r = decode({ kind: "chunked" }, [bytes(`${line}\r\nabc\r\n0\r\n\r\n`)]);
      assert.equal(r.result.kind, "done", `${JSON.stringify(line)}: ${JSON.stringify(r.result)}`);
      assert.equal(r.body, "abc");
    }
  });

  it("accepts upper-case hex and bare LF line ends", () => {
    const r = decode({ kind: "chunked" }, [bytes("A\nabcdefghij\n0\n\n")]);
    assert.equal(r.body, "abcdefghij");
    assert.equal(r.result.kind, "done");
  });

  const badChunks: [string, string, RegExp][] = [
    ["a non-hex size", "zz\r\nhello\r\n0\r\n\r\n", /malformed chunk size/],
    ["an empty size", "\r\nhello\r\n0\r\n\r\n", /malformed chunk size/],
    ["data longer than its size", "3\r\nhello\r\n0\r\n\r\n", /longer than its chunk size/],
    ["a CR not followed by LF after data", "3\r\nabc\rX0\r\n\r\n", /missing CRLF/],
    ["a size over 15 hex digits", "1000000000000000\r\n", /too large/],
    ["a control byte in an extension", "3;a\x01b\r\nabc\r\n0\r\n\r\n", /chunk extension/],
    // RFC 9112 §7.1.1 chunk-ext grammar (issue 18 item 12): each of these was accepted before.
    ["junk after the size", "5 junk\r\nhello\r\n0\r\n\r\n", /chunk extension/],
    ["a bare ';'", "5;\r\nhello\r\n0\r\n\r\n", /chunk extension name/],
    ["an empty value", "5;a=\r\nhello\r\n0\r\n\r\n", /chunk extension value/],
    ["a non-token name", "5;a@b\r\nhello\r\n0\r\n\r\n", /chunk extension/],
    ["an unterminated quoted-string", '5;a="x\r\nhello\r\n0\r\n\r\n', /quoted-string/],
    [
      "a CRLF inside a quoted-string (a smuggled message)",
      '2;a="\r\nXX\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"\r\nab\r\n0\r\n\r\n',
      /quoted-string/,
    ],
    ["junk after a quoted value", '5;a="x"y\r\nhello\r\n0\r\n\r\n', /chunk extension/],
    ["whitespace before the line end", "5 \r\nhello\r\n0\r\n\r\n", /chunk extension/],
    ["a DEL in a quoted-string", '5;a="\x7f"\r\nhello\r\n0\r\n\r\n', /quoted-string/],
    ["a bare CR in the size line", "3\rabc\r\n0\r\n\r\n", /bare CR/],
    ["a malformed trailer", "0\r\nnot a field\r\n\r\n", /malformed trailer/],
  ];
  for (const [what, text, message] of badChunks) {
    it(`reports ${what}`, () => {
      const r = decode({ kind: "chunked" }, [bytes(text)]);
      assert.equal(r.result.kind, "error", JSON.stringify(r));
      assert.match((r.result as { message: string }).message, message);
    });
  }

  it("reports a chunked body cut short by the peer closing", () => {
    const r = decode({ kind: "chunked" }, [bytes("5\r\nhel")]);
    assert.equal(r.body, "hel");
    assert.equal(r.result.kind, "error");
    assert.match(
      (r.result as { message: string }).message,
      /closed inside a chunked body \(after 3 bytes\)/,
    );
  });

  it("reports a body shorter than its Content-Length", () => {
    const r = decode({ kind: "length", length: 10 }, [bytes("abc")]);
    assert.equal(r.body, "abc");
    assert.deepEqual(r.result, {
      kind: "error",
      message: "body shorter than Content-Length: got 3 of 10 bytes",
    });
  });

  it("stops at Content-Length and returns the surplus", () => {
    const r = decode({ kind: "length", length: 3 }, [bytes("ab"), bytes("cdef")]);
    assert.equal(r.body, "abc");
    assert.equal((r.result as { rest: Buffer }).rest.toString(), "def");
  });

  it("finishes an empty Content-Length body and a none body at once", () => {
    assert.equal(
      decode({ kind: "length", length: 0 }, [Buffer.alloc(0)], false).result.kind,
      "done",
    );
    assert.equal(decode({ kind: "none" }, [Buffer.alloc(0)], false).result.kind, "done");
  });

  it("reads a close-delimited body until the end", () => {
    const r = decode({ kind: "close" }, [bytes("abc"), bytes("def")]);
    assert.equal(r.body, "abcdef");
    assert.equal(r.result.kind, "done");
  });

  it("decodes any chunked encoding of any body the same, however it is split", () => {
    const chunkArb = fc.record({
      data: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      ext: fc.constantFrom("", ";a", ";a=b", ' ;q="x;y"', ";n=1;m"),
      upper: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(chunkArb, { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.boolean(),
        (chunks, cuts, withTrailer) => {
          const parts: Buffer[] = [];
          for (const c of chunks) {
            const size = c.data.length.toString(16);
            parts.push(
              bytes(`${c.upper ? size.toUpperCase() : size}${c.ext}\r\n`),
              Buffer.from(c.data),
              bytes("\r\n"),
            );
          }
          parts.push(bytes(withTrailer ? "0\r\nX-T: 1\r\n\r\n" : "0\r\n\r\n"));
          const wire = Buffer.concat(parts);
          const points = [...new Set(cuts.map((n) => n % (wire.length + 1)))].sort((a, b) => a - b);
          const pieces: Buffer[] = [];
          let from = 0;
          for (const p of points) {
            pieces.push(wire.subarray(from, p));
            from = p;
          }
          pieces.push(wire.subarray(from));
          const r = decode({ kind: "chunked" }, pieces, false);
          assert.equal(r.result.kind, "done");
          assert.ok(Buffer.from(r.body, "latin1").equals(Buffer.concat(chunks.map((c) => c.data))));
          assert.deepEqual(r.trailers, withTrailer ? ["x-t", "1"] : []);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never throws on random chunked input and never delivers more than it was given", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const decoder = new BodyDecoder({ kind: "chunked" });
        let given = 0;
        let delivered = 0;
        for (const c of chunks) {
          given += c.length;
          const r = decoder.push(Buffer.from(c), (d) => (delivered += d.length));
          if (r.kind !== "more") break;
        }
        decoder.end();
        assert.ok(delivered <= given);
      }),
      { numRuns: 500 },
    );
  });
});

describe("field values are trimmed by OWS only (issue 18 item 10, client side)", () => {
  // RFC 9110 §5.6.3: OWS is SP and HTAB, nothing else. String#trim also strips VT, FF, NBSP
  // (0xA0) and NEL (0x85) of latin1 text: `chunked\xa0` would then be decoded as chunked, while a
  // peer that does not strip it sees an unknown coding.
  const isOws = (b: number) => b === 0x20 || b === 0x09;
  for (const where of ["before", "after"] as const) {
    it(`for every byte value ${where} a Transfer-Encoding or Content-Length value`, () => {
      for (let b = 0; b < 256; b++) {
        if (b === 0x0d || b === 0x0a) continue; // line ends: another field line, not a value
        const pad = String.fromCharCode(b);
        const wrap = (v: string) => (where === "before" ? pad + v : v + pad);
        const te = new ResponseHeadParser().push(
          bytes(`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${wrap("chunked")}\r\n\r\n`),
        );
        if (te.kind === "head") {
          const value = te.head.fields[1] as string;
          assert.equal(value === "chunked", isOws(b), `byte 0x${b.toString(16)}: '${value}'`);
          const framing = decideFraming("GET", te.head).kind;
          // A comma makes an empty list member, which recipients skip (RFC 9110 §5.6.1).
          const chunked = isOws(b) || b === 0x2c;
          assert.equal(framing === "chunked", chunked, `byte 0x${b.toString(16)}: ${framing}`);
        } else {
          assert.ok(!isOws(b), `byte 0x${b.toString(16)} refused: ${JSON.stringify(te)}`);
        }
        const cl = new ResponseHeadParser().push(
          bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${wrap("5")}\r\n\r\n`),
        );
        if (b >= 0x30 && b <= 0x39) continue; // another valid Content-Length
        const length = cl.kind === "head" ? decideFraming("GET", cl.head) : cl;
        assert.equal(
          length.kind === "length",
          isOws(b),
          `byte 0x${b.toString(16)}: ${JSON.stringify(length)}`,
        );
      }
    });
  }

  it("in list members and in obs-fold continuations", () => {
    for (let b = 0; b < 256; b++) {
      if (b === 0x0d || b === 0x0a || b === 0x2c || isOws(b)) continue;
      const pad = String.fromCharCode(b);
      const list = new ResponseHeadParser().push(
        bytes(`HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,${pad}chunked\r\n\r\n`),
      );
      if (list.kind === "head") {
        assert.notEqual(decideFraming("GET", list.head).kind, "chunked", `0x${b.toString(16)}`);
      }
      const folded = new ResponseHeadParser().push(
        bytes(`HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,\r\n ${pad}chunked\r\n\r\n`),
      );
      if (folded.kind === "head") {
        assert.notEqual(decideFraming("GET", folded.head).kind, "chunked");
      }
    }
  });
});
