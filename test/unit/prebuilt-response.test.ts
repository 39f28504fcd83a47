/**
 * prebuiltResponse: the shared wire bytes of a repeated small response must equal what the head
 * serialiser and the body make, for every connection line; follow status and header changes;
 * and follow a body buffer that its owner rewrote.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { currentHttpDate } from "../../src/http/http-date.js";
import { prebuiltResponse } from "../../src/http/server/prebuilt-response.js";
import {
  connectionLine,
  serializeResponseHead,
  type ConnectionLine,
} from "../../src/http/server/response-head.js";

const noDate = (s: string): string => s.replace(/\r\nDate: [^\r]*/, "");
const expected = (status: number, headers: string, body: Buffer, line: ConnectionLine): string =>
  serializeResponseHead(status, headers, "length", body.length, line) + body.toString("latin1");

describe("prebuiltResponse", () => {
  const body = Buffer.from("<p>hello</p>\n");
  const headers = 'Content-Type: text/html\r\nETag: "1"\r\n';
  const lines: ConnectionLine[] = [connectionLine(11, true), connectionLine(11, false)];
  lines.push(connectionLine(10, true));

  for (const line of lines) {
    it(`connection line ${JSON.stringify(line)}: head + body, one buffer shared`, () => {
      for (let i = 0; i < 3; i++) {
        const wire = prebuiltResponse(200, headers, body, line);
        assert.equal(noDate(wire.toString("latin1")), noDate(expected(200, headers, body, line)));
      }
      // From the second request on, one buffer is reused while the Date line holds.
      let again: Buffer;
      let date: string;
      do {
        date = currentHttpDate();
        again = prebuiltResponse(200, headers, body, line);
      } while (currentHttpDate() !== date);
      assert.equal(prebuiltResponse(200, headers, body, line), again);
    });
  }

  it("rebuilds when the status or the header block differs for the same body", () => {
    const a = prebuiltResponse(200, headers, body, "");
    const b = prebuiltResponse(404, headers, body, "");
    const c = prebuiltResponse(200, "Content-Type: text/plain\r\n", body, "");
    assert.match(a.toString("latin1"), /^HTTP\/1\.1 200 /);
    assert.match(b.toString("latin1"), /^HTTP\/1\.1 404 /);
    assert.match(c.toString("latin1"), /Content-Type: text\/plain\r\n/);
    assert.doesNotMatch(c.toString("latin1"), /text\/html/);
  });

  it("sends a rewritten buffer as it is now, never a stale copy", () => {
    const scratch = Buffer.from("first!\n");
    for (const text of ["first!\n", "second\n", "third!\n", "third!\n", "fourth\n"]) {
      scratch.write(text, "latin1");
      const wire = prebuiltResponse(200, "", scratch, "").toString("latin1");
      assert.ok(wire.endsWith(`\r\n\r\n${text}`), wire);
    }
  });
});
