import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  MAX_RESPONSE_HEAD_BYTES,
  ResponseHeadParser,
  type ResponseHeadResult,
} from "../../src/client/response-head-parser.js";

/** Feeds `text` in the given pieces; returns the first non-need-more result (or need-more). */
function parsePieces(pieces: Buffer[]): ResponseHeadResult {
  const parser = new ResponseHeadParser();
  for (let i = 0; i < pieces.length; i++) {
    const result = parser.push(pieces[i] as Buffer);
    if (result.kind === "head") {
      // Bytes after the head: the rest of this piece and every later piece.
      return { ...result, rest: Buffer.concat([result.rest, ...pieces.slice(i + 1)]) };
    }
    if (result.kind !== "need-more") return result;
  }
  return { kind: "need-more" };
}

/** `bytes` as pieces of one byte each, as a server that dribbles its head sends them. */
function oneByteAtATime(bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) pieces.push(bytes.subarray(i, i + 1));
  return pieces;
}

function parse(text: string): ResponseHeadResult {
  return parsePieces([Buffer.from(text, "latin1")]);
}

function headOf(text: string) {
  const result = parse(text);
  assert.equal(result.kind, "head", `got ${JSON.stringify(result)}`);
  return result as Extract<ResponseHeadResult, { kind: "head" }>;
}

describe("ResponseHeadParser", () => {
  it("parses a status line and fields, lower-casing names and trimming values", () => {
    const r = headOf("HTTP/1.1 200 OK\r\nContent-Length:  5 \r\nX-A: b\r\n\r\nhello");
    assert.equal(r.head.version, 11);
    assert.equal(r.head.status, 200);
    assert.equal(r.head.reason, "OK");
    assert.deepEqual(r.head.fields, ["content-length", "5", "x-a", "b"]);
    assert.equal(r.rest.toString(), "hello");
    assert.equal(r.head.raw, "HTTP/1.1 200 OK\r\nContent-Length:  5 \r\nX-A: b\r\n\r\n");
  });

  it("accepts HTTP/1.0, an empty reason and a missing reason", () => {
    assert.equal(headOf("HTTP/1.0 404 \r\n\r\n").head.version, 10);
    assert.equal(headOf("HTTP/1.0 404 \r\n\r\n").head.reason, "");
    assert.equal(headOf("HTTP/1.1 204\r\n\r\n").head.status, 204);
    assert.equal(headOf("HTTP/1.1 200 Very Fine Indeed\r\n\r\n").head.reason, "Very Fine Indeed");
  });

  it("accepts bare LF line endings (RFC 9112 §2.2)", () => {
    const r = headOf("HTTP/1.1 200 OK\nA: 1\n\nrest");
    assert.deepEqual(r.head.fields, ["a", "1"]);
    assert.equal(r.rest.toString(), "rest");
  });

  it("replaces obs-fold by a space (RFC 9112 §5.2)", () => {
    const r = headOf("HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\n\r\n");
    assert.deepEqual(r.head.fields, ["x-long", "a b"]);
  });

  const malformed: [string, string, RegExp][] = [
    ["a garbage status line", "HELLO\r\n\r\n", /malformed status line/],
    ["a four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", /malformed status line/],
    ["a status out of range", "HTTP/1.1 099 Hmm\r\n\r\n", /out of range/],
    ["HTTP/2", "HTTP/2.0 200 OK\r\n\r\n", /unsupported HTTP version/],
    ["lower-case http", "http/1.1 200 OK\r\n\r\n", /malformed status line/],
    ["a blank line first", "\r\nHTTP/1.1 200 OK\r\n\r\n", /empty line/],
    ["a bare CR", "HTTP/1.1 200 OK\rX: y\r\n\r\n", /bare CR/],
    ["space before a colon", "HTTP/1.1 200 OK\r\nX-A : b\r\n\r\n", /invalid field name/],
    ["a line without colon", "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n", /malformed field line/],
    ["a NUL in a value", "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", /control bytes/],
    ["a fold before any field", "HTTP/1.1 200 OK\r\n folded\r\n\r\n", /continuation line/],
  ];
  for (const [what, text, message] of malformed) {
    it(`rejects ${what}`, () => {
      const r = parse(text);
      assert.equal(r.kind, "error");
      assert.match((r as { message: string }).message, message);
    });
  }

  it("rejects a head larger than the limit as the bytes arrive, without waiting for its end", () => {
    const parser = new ResponseHeadParser();
    let result = parser.push(Buffer.from("HTTP/1.1 200 OK\r\n"));
    const filler = Buffer.from(`X: ${"a".repeat(1000)}\r\n`);
    for (let i = 0; i < 100 && result.kind === "need-more"; i++) result = parser.push(filler);
    assert.equal(result.kind, "error");
    assert.match((result as { message: string }).message, new RegExp(`${MAX_RESPONSE_HEAD_BYTES}`));
  });

  it("rejects too many fields", () => {
    const r = parse(`HTTP/1.1 200 OK\r\n${"A: b\r\n".repeat(300)}\r\n`);
    assert.equal(r.kind, "error");
  });

  it("gives the same head at every split point and one byte at a time", () => {
    const text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Fold: a\r\n b\r\n\r\nBODY";
    const bytes = Buffer.from(text, "latin1");
    const whole = headOf(text);
    for (let at = 0; at <= bytes.length; at++) {
      const r = parsePieces([bytes.subarray(0, at), bytes.subarray(at)]);
      assert.deepEqual(r, whole, `split at ${at}`);
    }
    const r = parsePieces(oneByteAtATime(bytes));
    assert.equal(r.kind, "head");
    assert.deepEqual((r as { head: unknown }).head, whole.head);
  });

  it("parses any valid head the same however it is split", () => {
    const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/);
    const value = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/);
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.array(fc.tuple(token, value), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.boolean(),
        (status, fields, cuts, bareLf) => {
          const eol = bareLf ? "\n" : "\r\n";
          const text =
            `HTTP/1.1 ${status} Some Reason${eol}` +
            fields.map(([n, v]) => `${n}: ${v}${eol}`).join("") +
            `${eol}tail`;
          const bytes = Buffer.from(text, "latin1");
          const points = [...new Set(cuts.map((n) => n % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const pieces: Buffer[] = [];
          let from = 0;
          for (const p of points) {
            pieces.push(bytes.subarray(from, p));
            from = p;
          }
          pieces.push(bytes.subarray(from));
          const r = parsePieces(pieces);
          assert.equal(r.kind, "head", JSON.stringify(r));
          const head = (r as Extract<ResponseHeadResult, { kind: "head" }>).head;
          assert.equal(head.status, status);
          assert.deepEqual(
            head.fields,
            fields.flatMap(([n, v]) => [n.toLowerCase(), v]),
          );
          assert.equal((r as { rest: Buffer }).rest.toString(), "tail");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("gives the same result in one read (the CRLFCRLF search) as byte by byte (the scan)", () => {
    // Heads made of pieces that mix CRLF, bare LF, bare CR, folds and blank lines, ended by a
    // CRLFCRLF: the search must never end a head elsewhere than the scan, nor accept more.
    const piece = fc.constantFrom(
      "\r\n",
      "\n",
      "\r",
      "\r\n\r\n",
      "\n\n",
      " ",
      "\t",
      ":",
      "X",
      "a: b",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), fc.boolean(), (pieces, statusFirst) => {
        const text = `${statusFirst ? "HTTP/1.1 200 OK\r\n" : ""}${pieces.join("")}\r\n\r\nend`;
        const bytes = Buffer.from(text, "latin1");
        const whole = parsePieces([bytes]);
        assert.deepEqual(whole, parsePieces(oneByteAtATime(bytes)), JSON.stringify(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("reads a head in one read (byte by byte, names as constants) as the line parser does", () => {
    // Status lines and field lines from pieces that hit every branch of the one-read reader:
    // names in any case (common ones and others), values with HTAB, obs-text, DEL, NUL, trailing
    // spaces, empty values, folds, bad name bytes; the whole text in one piece against the
    // same text dribbled (which only the line parser reads).
    const status = fc.constantFrom(
      "HTTP/1.1 200 OK",
      "HTTP/1.0 404 Not Found",
      "HTTP/1.1 204",
      "HTTP/1.1 301 ",
      "HTTP/1.1 600 Big",
      "HTTP/1.1 099 Small",
      "HTTP/2.0 200 OK",
      "HTTP/1.x 200 OK",
      "HTTP/1.1 2a0 OK",
      "HTTP/1.1 200\tTab",
      "HTTP/1.1 200 Caf\xe9",
      "HTTP/1.1 200 \x7f",
    );
    const name = fc.constantFrom(
      "Content-Type",
      "content-length",
      "ETAG",
      "Date",
      "X-Custom",
      "x_under",
      "Bad Name",
      "Bad@Name",
      "",
      " Folded",
    );
    const value = fc.constantFrom(
      "text/html",
      "",
      "  a b  ",
      "a\tb",
      "caf\xe9",
      "a\x7fb",
      "a\0b",
      "1",
    );
    const line = fc
      .tuple(name, fc.constantFrom(":", ": ", " :", ":\t"), value)
      .map(([n, c, v]) => `${n}${c}${v}`);
    fc.assert(
      fc.property(status, fc.array(line, { maxLength: 8 }), (first, lines) => {
        const text = `${[first, ...lines].join("\r\n")}\r\n\r\nbody`;
        const bytes = Buffer.from(text, "latin1");
        const whole = parsePieces([bytes]);
        assert.deepEqual(whole, parsePieces(oneByteAtATime(bytes)), JSON.stringify(text));
      }),
      { numRuns: 3000 },
    );
  });

  it("never throws on random bytes and never accepts more than the limit", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        const parser = new ResponseHeadParser(500);
        let total = 0;
        for (const c of chunks) {
          total += c.length;
          const r = parser.push(Buffer.from(c));
          if (r.kind === "head") assert.ok(r.head.raw.length <= 500);
          if (r.kind !== "need-more") return;
        }
        assert.ok(total <= 500, "need-more beyond the limit");
      }),
      { numRuns: 300 },
    );
  });
});
