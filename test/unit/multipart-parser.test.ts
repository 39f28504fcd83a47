/**
 * The streaming multipart/form-data parser: the same parts whatever the chunking (every split of
 * a body, one byte at a time, random cuts), boundary-like bytes inside data, the boundary and
 * Content-Disposition parameters, and malformed bodies refused.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  formDataBoundary,
  MultipartParser,
  partDisposition,
  type MultipartEvent,
} from "../../src/upload/multipart-parser.js";

interface Part {
  fields: Record<string, string>;
  data: Buffer;
}

function parse(boundary: string, chunks: Buffer[]): Part[] {
  const parser = new MultipartParser(boundary);
  const parts: Part[] = [];
  let done = false;
  const take = (events: MultipartEvent[]): void => {
    for (const e of events) {
      if (e.kind === "part")
        parts.push({ fields: Object.fromEntries(e.fields), data: Buffer.alloc(0) });
      else if (e.kind === "data") {
        const last = parts[parts.length - 1] as Part;
        last.data = Buffer.concat([last.data, e.bytes]);
      } else if (e.kind === "done") done = true;
    }
  };
  for (const c of chunks) take(parser.write(c));
  parser.end();
  assert.ok(done);
  return parts;
}

const B = "----tcpkitBoundary7MA4YWxk";
const tricky = Buffer.concat([
  Buffer.from(`\r\n--${B.slice(0, -1)}`),
  randomBytes(3000),
  Buffer.from(`\r\n--${B}x`.slice(0, 10)),
]);
const body = Buffer.concat([
  Buffer.from(`preamble\r\n--${B}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi`),
  Buffer.from(`\r\n--${B}\r\nContent-Disposition: form-data; name="file"; filename="a b.bin"\r\n`),
  Buffer.from("Content-Type: application/octet-stream\r\n\r\n"),
  tricky,
  Buffer.from(`\r\n--${B}\r\n\r\nno head\r\n--${B}--\r\nepilogue`),
]);

function check(parts: Part[]): void {
  assert.equal(parts.length, 3);
  assert.equal(parts[0]?.data.toString(), "hi");
  assert.equal(parts[0]?.fields["content-disposition"], 'form-data; name="note"');
  assert.ok(parts[1]?.data.equals(tricky));
  assert.equal(parts[1]?.fields["content-type"], "application/octet-stream");
  assert.deepEqual(parts[2]?.fields, {});
  assert.equal(parts[2]?.data.toString(), "no head");
}

describe("MultipartParser", () => {
  it("gives the same parts for every split point and one byte at a time", () => {
    check(parse(B, [body]));
    for (let at = 0; at <= body.length; at += 7)
      check(parse(B, [body.subarray(0, at), body.subarray(at)]));
    const bytes: Buffer[] = [];
    for (let i = 0; i < body.length; i++) bytes.push(body.subarray(i, i + 1));
    check(parse(B, bytes));
  });

  it("gives the same parts for random cuts", () => {
    for (let round = 0; round < 200; round++) {
      const chunks: Buffer[] = [];
      let at = 0;
      while (at < body.length) {
        const n = 1 + Math.floor(Math.random() * 200);
        chunks.push(body.subarray(at, at + n));
        at += n;
      }
      check(parse(B, chunks));
    }
  });

  it("refuses a body without its closing delimiter, a missing CRLF, an endless head", () => {
    assert.throws(() => parse(B, [Buffer.from(`--${B}\r\n\r\ndata`)]), /last boundary/);
    assert.throws(() => parse(B, [Buffer.from(`--${B}xx\r\n\r\ndata\r\n--${B}--`)]), /CRLF/);
    assert.throws(
      () => parse(B, [Buffer.from(`--${B}\r\n${"a: b\r\n".repeat(5000)}`)]),
      /too long/,
    );
  });
});

describe("form-data fields", () => {
  it("reads the boundary, quoted or not, and refuses other types and bad boundaries", () => {
    assert.equal(formDataBoundary("multipart/form-data; boundary=abc"), "abc");
    assert.equal(formDataBoundary('Multipart/Form-Data; charset=x; boundary="a b:c"'), "a b:c");
    assert.equal(formDataBoundary("multipart/mixed; boundary=abc"), undefined);
    assert.equal(formDataBoundary("multipart/form-data"), undefined);
    assert.equal(formDataBoundary(`multipart/form-data; boundary=${"a".repeat(71)}`), undefined);
  });

  it("reads name and filename as browsers send them (no backslash escapes)", () => {
    const d = (v: string): ReturnType<typeof partDisposition> =>
      partDisposition(new Map([["content-disposition", v]]));
    assert.deepEqual(d('form-data; name="file"; filename="a b.txt"'), {
      name: "file",
      filename: "a b.txt",
    });
    assert.deepEqual(d('form-data; name="f"; filename="a\\b"'), { name: "f", filename: "a\\b" });
    assert.deepEqual(d('form-data; name="note"'), { name: "note", filename: undefined });
    assert.deepEqual(d("form-data; name=plain; filename=x.txt"), {
      name: "plain",
      filename: "x.txt",
    });
    assert.equal(d('attachment; name="x"'), undefined);
    assert.equal(d("form-data"), undefined);
  });
});
