/** Response-head serialisation and the keep-alive and body rules (RFC 9112 §6, §9). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Readable } from "node:stream";
import {
  bodyAllowedForStatus,
  connectionLine,
  frameResponse,
  requestAllowsKeepAlive,
  serializeResponseHead,
} from "../../src/http/server/response-head.js";
import { currentHttpDate } from "../../src/http/http-date.js";
import { reasonPhrase, statusLine } from "../../src/http/status.js";

describe("serializeResponseHead", () => {
  const date = (): string => currentHttpDate();
  it("writes an HTTP/1.1 status line, Date, the handler's block and Content-Length", () => {
    const head = serializeResponseHead(200, "X-A: 1\r\n", "length", 5, connectionLine(11, true));
    assert.equal(head, `HTTP/1.1 200 OK\r\nDate: ${date()}\r\nX-A: 1\r\nContent-Length: 5\r\n\r\n`);
  });
  it("answers 1.0 clients with HTTP/1.1 and echoes keep-alive", () => {
    const head = serializeResponseHead(404, "", "length", 0, connectionLine(10, true));
    assert.equal(
      head,
      `HTTP/1.1 404 Not Found\r\nDate: ${date()}\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n`,
    );
  });
  it("says Connection: close when closing, and frames chunked or by close", () => {
    assert.match(
      serializeResponseHead(200, "", "chunked", -1, connectionLine(11, false)),
      /Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n$/,
    );
    const closeDelimited = serializeResponseHead(200, "", "close", -1, connectionLine(10, false));
    assert.doesNotMatch(closeDelimited, /Content-Length|Transfer-Encoding/);
  });
  it("sends no Content-Length with framing none (204, 304)", () => {
    assert.doesNotMatch(
      serializeResponseHead(304, "", "none", 10, connectionLine(11, true)),
      /Content-Length/,
    );
  });
});

describe("response rules", () => {
  it("allows a body except for 1xx, 204 and 304", () => {
    for (const s of [100, 101, 204, 304]) assert.equal(bodyAllowedForStatus(s), false, String(s));
    for (const s of [200, 206, 301, 404, 500])
      assert.equal(bodyAllowedForStatus(s), true, String(s));
  });
  it("keeps 1.1 unless close, 1.0 only with keep-alive", () => {
    assert.equal(requestAllowsKeepAlive(11, false, false), true);
    assert.equal(requestAllowsKeepAlive(11, true, false), false);
    assert.equal(requestAllowsKeepAlive(10, false, false), false);
    assert.equal(requestAllowsKeepAlive(10, false, true), true);
    assert.equal(requestAllowsKeepAlive(10, true, true), false);
  });
  it("has reason phrases, falling back to the class", () => {
    assert.equal(reasonPhrase(431), "Request Header Fields Too Large");
    assert.equal(reasonPhrase(102), "Processing"); // RFC 2518 (RFC 9110 no longer has it)
    assert.equal(reasonPhrase(508), "Loop Detected"); // RFC 5842 §7.2
    assert.equal(reasonPhrase(299), "OK");
    assert.equal(statusLine(505), "HTTP/1.1 505 HTTP Version Not Supported\r\n");
  });
});

describe("frameResponse", () => {
  const plan = (status: number, body: object) =>
    ({ status, headers: "", body }) as unknown as Parameters<typeof frameResponse>[0];
  const stream = (length?: number) => ({
    kind: "stream",
    stream: Readable.from([]),
    ...(length === undefined ? {} : { length }),
  });
  it("frames known lengths with Content-Length, HEAD included", () => {
    assert.deepEqual(
      frameResponse(plan(200, { kind: "bytes", bytes: Buffer.from("abc") }), false, 11),
      { framing: "length", length: 3 },
    );
    assert.deepEqual(
      frameResponse(plan(206, { kind: "file", path: "/x", start: 10, end: 20 }), true, 10),
      { framing: "length", length: 10 },
    );
    const segments = {
      kind: "segments",
      segments: [Buffer.from("ab"), { kind: "file", path: "/x", start: 0, end: 5 }],
    };
    assert.deepEqual(frameResponse(plan(206, segments), false, 11), {
      framing: "length",
      length: 7,
    });
    assert.deepEqual(frameResponse(plan(200, stream(9)), false, 10), {
      framing: "length",
      length: 9,
    });
  });
  it("streams of unknown length: chunked to 1.1, close-delimited to 1.0, nothing for HEAD", () => {
    assert.equal(frameResponse(plan(200, stream()), false, 11).framing, "chunked");
    assert.equal(frameResponse(plan(200, stream()), false, 10).framing, "close");
    assert.equal(frameResponse(plan(200, stream()), true, 11).framing, "none");
  });
  it("no framing for 204 and 304", () => {
    assert.equal(frameResponse(plan(204, { kind: "none" }), false, 11).framing, "none");
    assert.equal(
      frameResponse(plan(304, { kind: "bytes", bytes: Buffer.from("x") }), false, 11).framing,
      "none",
    );
  });
  it("throws on malformed plans", () => {
    assert.throws(() => frameResponse(plan(99, { kind: "none" }), false, 11), TypeError);
    assert.throws(() => frameResponse(plan(200, { kind: "nope" }), false, 11), TypeError);
    assert.throws(
      () => frameResponse(plan(200, { kind: "file", path: "/x", start: 5, end: 2 }), false, 11),
      TypeError,
    );
  });
});
