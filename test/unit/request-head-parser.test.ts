/** The request-head parser: raw text in, head or error status out; and its properties. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DEFAULT_LIMITS, resolveLimits, type HttpLimits } from "../../src/http/limits.js";
import {
  RequestHeadParser,
  parseContentLength,
  type HeadParseResult,
} from "../../src/http/server/request-head-parser.js";

const LIMITS = resolveLimits({ maxHeadBytes: 1024, maxTargetBytes: 256, maxHeaderCount: 10 });

function parseAll(text: string | Buffer, limits: HttpLimits = LIMITS): HeadParseResult {
  const p = new RequestHeadParser(limits);
  p.push(typeof text === "string" ? Buffer.from(text, "latin1") : text);
  return p.parse();
}

/** Feeds `bytes` in the given pieces, parsing after each; the first non-need-more result. */
function parseInPieces(
  bytes: Buffer,
  cuts: number[],
  limits: HttpLimits = LIMITS,
): HeadParseResult {
  const p = new RequestHeadParser(limits);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    p.push(bytes.subarray(from, cut));
    from = cut;
    const r = p.parse();
    if (r.kind !== "need-more") return r;
  }
  return { kind: "need-more" };
}

describe("RequestHeadParser", () => {
  const valid: [string, string, Record<string, unknown>][] = [
    [
      "a simple 1.1 GET",
      "GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n",
      { method: "GET", path: "/a", query: "b=c", version: 11 },
    ],
    ["1.0 without Host", "GET / HTTP/1.0\r\n\r\n", { version: 10 }],
    ["1.7 as 1.1", "GET / HTTP/1.7\r\nHost: x\r\n\r\n", { version: 11 }],
    [
      "absolute-form",
      "GET http://h:8/p/q?z HTTP/1.1\r\nHost: h:8\r\n\r\n",
      { path: "/p/q", query: "z", target: "http://h:8/p/q?z" },
    ],
    ["OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", { path: "*" }],
    ["leading empty lines", "\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n", { method: "HEAD" }],
    ["empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", { path: "/" }],
    ["Host with a port", "GET / HTTP/1.1\r\nHost: a.b:8080\r\n\r\n", { path: "/" }],
    ["Host with an empty port", "GET / HTTP/1.1\r\nHost: a:\r\n\r\n", { path: "/" }],
    ["Host IPv6 literal with port", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", { path: "/" }],
    ["Host IPv6 literal", "GET / HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n", { path: "/" }],
    ["Host IPv4 with port", "GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n", { path: "/" }],
    [
      "tabs and spaces around values",
      "GET / HTTP/1.1\r\nHost: x\r\nX-A:\t a b \t\r\n\r\n",
      { path: "/" },
    ],
    ["obs-text in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xe9\r\n\r\n", { path: "/" }],
  ];
  for (const [name, text, want] of valid) {
    it(`parses ${name}`, () => {
      const r = parseAll(text);
      assert.equal(r.kind, "head", JSON.stringify(r));
      if (r.kind !== "head") return;
      for (const [key, value] of Object.entries(want)) {
        assert.equal((r.head as unknown as Record<string, unknown>)[key], value, key);
      }
    });
  }

  it("lower-cases field names and trims values, keeping order", () => {
    const r = parseAll("GET / HTTP/1.1\r\nHost: x\r\nX-One:  1 \r\nx-two: 2\r\nX-ONE: 3\r\n\r\n");
    assert.equal(r.kind, "head");
    if (r.kind === "head")
      assert.deepEqual(r.head.fields, ["host", "x", "x-one", "1", "x-two", "2", "x-one", "3"]);
  });

  it("reports body framing and connection tokens", () => {
    const cl = parseAll(
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nConnection: Keep-Alive, CLOSE\r\n\r\n",
    );
    assert.ok(cl.kind === "head");
    assert.equal(cl.bodyKind, "length");
    assert.equal(cl.contentLength, 12);
    assert.equal(cl.wantsClose, true);
    assert.equal(cl.wantsKeepAlive, true);
    const ch = parseAll("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n");
    assert.ok(ch.kind === "head");
    assert.equal(ch.bodyKind, "chunked");
    const zero = parseAll("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assert.ok(zero.kind === "head");
    assert.equal(zero.bodyKind, "none");
  });

  const invalid: [string, string, number][] = [
    ["HTTP/0.9 simple request", "GET /\r\n", 400],
    ["HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", 505],
    ["lower-case http", "GET / http/1.1\r\n\r\n", 400],
    ["two-digit minor", "GET / HTTP/1.10\r\n\r\n", 400],
    ["trailing space after version", "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400],
    ["missing Host on 1.1", "GET / HTTP/1.1\r\n\r\n", 400],
    ["two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400],
    ["Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400],
    ["Host with a letter port", "GET / HTTP/1.1\r\nHost: a:xx\r\n\r\n", 400],
    ["Host with two colons", "GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", 400],
    ["Host with a bracket in a name", "GET / HTTP/1.1\r\nHost: a]b\r\n\r\n", 400],
    ["Host with an unclosed IP literal", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400],
    ["Host with junk after an IP literal", "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", 400],
    [
      "CL and TE",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      400,
    ],
    [
      "differing CL",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      400,
    ],
    [
      "repeated identical CL",
      "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
      400,
    ],
    ["empty CL", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400],
    ["TE gzip", "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501],
    [
      "TE not ending in chunked",
      "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      400,
    ],
    ["TE on 1.0", "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
    [
      "TE chunked twice in one field",
      "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
      400,
    ],
    [
      "TE chunked in two fields",
      "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
      400,
    ],
    ["obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n", 400],
    ["space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400],
    ["bare CR in a value", "GET / HTTP/1.1\r\nHost: x\r\nA: b\rc\r\n\r\n", 400],
    ["bare LF ending a field", "GET / HTTP/1.1\r\nHost: x\nA: b\r\n\r\n", 400],
    ["bare LF head end", "GET / HTTP/1.1\r\nHost: x\n\n", 400],
    ["NUL in a value", "GET / HTTP/1.1\r\nHost: x\r\nA: \x00\r\n\r\n", 400],
    ["DEL in a value", "GET / HTTP/1.1\r\nHost: x\r\nA: \x7f\r\n\r\n", 400],
    ["bad name char", "GET / HTTP/1.1\r\nHost: x\r\nA/B: c\r\n\r\n", 400],
    ["bad method char", 'GE"T / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ["empty method", " / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["two spaces after method", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["relative target", "GET a HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["asterisk with GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["space-less garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400],
    ["target too long", `GET /${"a".repeat(300)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
    ["too many fields", `GET / HTTP/1.1\r\nHost: x\r\n${"A: b\r\n".repeat(10)}\r\n`, 431],
    ["head too large", `GET / HTTP/1.1\r\nHost: x\r\nA: ${"b".repeat(1100)}\r\n\r\n`, 431],
    ["head too large, unfinished", `GET / HTTP/1.1\r\nHost: x\r\nA: ${"b".repeat(1100)}`, 431],
    ["request line too long, unfinished", `GET /${"a".repeat(400)}`, 414],
  ];
  for (const [name, text, status] of invalid) {
    it(`rejects ${name} with ${status}`, () => {
      const r = parseAll(text);
      assert.equal(r.kind, "error", JSON.stringify(r));
      if (r.kind === "error") assert.equal(r.status, status, r.reason);
    });
  }

  it("waits for more bytes on an incomplete head", () => {
    for (const text of [
      "",
      "\r\n",
      "GET",
      "GET / HTTP/1.1\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\n\r",
    ]) {
      assert.equal(parseAll(text).kind, "need-more", JSON.stringify(text));
    }
  });

  it("keeps the bytes after a head for the next parse (pipelining)", () => {
    const p = new RequestHeadParser(LIMITS);
    p.push(
      Buffer.from("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HT"),
    );
    const paths: string[] = [];
    for (let r = p.parse(); r.kind === "head"; r = p.parse()) paths.push(r.head.path);
    assert.deepEqual(paths, ["/1", "/2"]);
    assert.equal(p.bufferedBytes, 9);
    p.push(Buffer.from("TP/1.1\r\nHost: x\r\n\r\n"));
    const third = p.parse();
    assert.ok(third.kind === "head");
    assert.equal(third.head.path, "/3");
  });

  it("hands body bytes out through consume() and takes back unshift()ed ones", () => {
    const p = new RequestHeadParser(LIMITS);
    p.push(
      Buffer.from(
        "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /n HTTP/1.1\r\nHost: x\r\n\r\n",
      ),
    );
    assert.equal(p.parse().kind, "head");
    assert.equal(p.consume(3).toString(), "abc");
    const rest = p.consume(1000);
    p.unshift(rest);
    const next = p.parse();
    assert.ok(next.kind === "head");
    assert.equal(next.head.path, "/n");
  });
});

describe("parseContentLength", () => {
  it("accepts digits only", () => {
    assert.equal(parseContentLength("0"), 0);
    assert.equal(parseContentLength("123"), 123);
    for (const bad of [
      "",
      "-1",
      "+1",
      "1.0",
      "0x10",
      "1 2",
      "5, 5",
      "5, 6",
      "9".repeat(16),
      "1e3",
    ]) {
      assert.equal(parseContentLength(bad), -1, bad);
    }
  });
});

describe("RequestHeadParser properties", () => {
  const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
  const value = fc.stringMatching(/^[!-~]([ !-~]{0,30}[!-~])?$/);
  const validRequest = fc
    .record({
      method: fc.constantFrom("GET", "HEAD", "OPTIONS", "POST", "BREW"),
      path: fc.stringMatching(/^\/[A-Za-z0-9._~%!$&'()*+,;=:@/-]{0,40}$/),
      query: fc.option(fc.stringMatching(/^[A-Za-z0-9=&%/?-]{0,20}$/), { nil: undefined }),
      version: fc.constantFrom("1.0", "1.1"),
      fields: fc.array(fc.tuple(token, value), { maxLength: 8 }),
    })
    .map(({ method, path, query, version, fields }) => {
      const lines = [
        `${method} ${path}${query === undefined ? "" : "?" + query} HTTP/${version}`,
        "Host: example",
      ];
      for (const [n, v] of fields) {
        const lower = n.toLowerCase();
        if (["host", "content-length", "transfer-encoding"].includes(lower)) continue;
        lines.push(`${n}: ${v}`);
      }
      return Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1");
    });

  it("parses any split of a valid request the same as the whole", () => {
    fc.assert(
      fc.property(validRequest, fc.array(fc.nat(), { maxLength: 6 }), (bytes, rawCuts) => {
        const whole = parseAll(bytes, DEFAULT_LIMITS);
        assert.equal(whole.kind, "head");
        const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const split = parseInPieces(bytes, cuts, DEFAULT_LIMITS);
        assert.deepEqual(split, whole);
      }),
      { numRuns: 300 },
    );
  });

  it("parses a valid request dribbled one byte at a time the same as the whole", () => {
    fc.assert(
      fc.property(validRequest, (bytes) => {
        const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
        assert.deepEqual(
          parseInPieces(bytes, cuts, DEFAULT_LIMITS),
          parseAll(bytes, DEFAULT_LIMITS),
        );
      }),
      { numRuns: 50 },
    );
  });

  it("never throws on random bytes and never buffers past the head limit", () => {
    const small = resolveLimits({ maxHeadBytes: 256, maxTargetBytes: 64, maxHeaderCount: 5 });
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        const p = new RequestHeadParser(small);
        for (const chunk of chunks) {
          p.push(Buffer.from(chunk));
          const r = p.parse();
          if (r.kind === "error") {
            assert.ok([400, 414, 431, 501, 505].includes(r.status));
            return;
          }
          if (r.kind === "need-more") {
            assert.ok(p.bufferedBytes <= small.maxHeadBytes + 1, `buffered ${p.bufferedBytes}`);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("never throws on mutated valid requests", () => {
    fc.assert(
      fc.property(validRequest, fc.nat(), fc.integer({ min: 0, max: 255 }), (bytes, at, byte) => {
        const copy = Buffer.from(bytes);
        copy[at % copy.length] = byte;
        const r = parseAll(copy, DEFAULT_LIMITS);
        assert.ok(["head", "error", "need-more"].includes(r.kind));
      }),
      { numRuns: 1000 },
    );
  });
});
