/**
 * preparedResponse: the shared wire bytes of a repeated small response must equal what the
 * head serialiser and the body make, for every connection line, and follow header changes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { currentHttpDate } from "../../src/http/http-date.js";
import { preparedResponse } from "../../src/http/prepared-response.js";
import { serializeResponseHead } from "../../src/http/response-head.js";

const expected = (
  status: number,
  headers: string,
  body: Buffer,
  version: 10 | 11,
  keepAlive: boolean,
): string =>
  serializeResponseHead(status, headers, "length", body.length, version, keepAlive) +
  body.toString("latin1");

describe("preparedResponse", () => {
  const body = Buffer.from("<p>hello</p>\n");
  const headers = 'Content-Type: text/html\r\nETag: "1"\r\n';
  const cases: [10 | 11, boolean][] = [
    [11, true],
    [11, false],
    [10, true],
    [10, false],
  ];

  for (const [version, keepAlive] of cases) {
    it(`HTTP/1.${version - 10} keep-alive=${keepAlive}: the same bytes as head + body, shared`, () => {
      const first = preparedResponse(200, headers, body, version, keepAlive);
      const second = preparedResponse(200, headers, body, version, keepAlive);
      const third = preparedResponse(200, headers, body, version, keepAlive);
      for (const wire of [first, second, third]) {
        // The Date line may tick between calls; compare without it.
        const noDate = (s: string): string => s.replace(/\r\nDate: [^\r]*/, "");
        assert.equal(
          noDate(wire.toString("latin1")),
          noDate(expected(200, headers, body, version, keepAlive)),
        );
      }
      // From the second request on, one buffer is reused while the Date line holds.
      let again: Buffer;
      let date: string;
      do {
        date = currentHttpDate();
        again = preparedResponse(200, headers, body, version, keepAlive);
      } while (currentHttpDate() !== date);
      assert.equal(preparedResponse(200, headers, body, version, keepAlive), again);
    });
  }

  it("rebuilds when the status or the header block differs for the same body", () => {
    const a = preparedResponse(200, headers, body, 11, true);
    const b = preparedResponse(404, headers, body, 11, true);
    const c = preparedResponse(200, "Content-Type: text/plain\r\n", body, 11, true);
    assert.match(a.toString("latin1"), /^HTTP\/1\.1 200 /);
    assert.match(b.toString("latin1"), /^HTTP\/1\.1 404 /);
    assert.match(c.toString("latin1"), /Content-Type: text\/plain\r\n/);
    assert.doesNotMatch(c.toString("latin1"), /text\/html/);
  });
});
