// httpGet against a server that answers with random bytes (often after a plausible status line
// and fields): every outcome is a TcpkitError or a complete body, never an uncaught exception,
// a non-TcpkitError, or a hang.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { httpGet } from "../../src/client/http-get.js";
import { TcpkitError } from "../../src/util/tcpkit-error.js";
import { startCannedServer, writeSplit, type CannedServer } from "../support/canned-server.js";

const PREFIXES = [
  "",
  "HTTP/1.1 200 OK\r\n",
  "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
  "HTTP/1.0 200 OK\r\n\r\n",
  "HTTP/1.1 100 Continue\r\n\r\n",
  "HTTP/1.1 302 Found\r\nLocation: ",
];

describe("httpGet against random responses", () => {
  let server: CannedServer;
  let response = Buffer.alloc(0);
  let splitAt = 0;

  before(async () => {
    server = await startCannedServer(async (_request, socket) => {
      await writeSplit(socket, response, Math.min(splitAt, response.length), { gapMs: 1 });
      return undefined;
    });
  });
  after(() => server.close());

  it("always ends in a complete body or a TcpkitError", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PREFIXES),
        fc.uint8Array({ maxLength: 120 }),
        fc.nat({ max: 200 }),
        async (prefix, tail, at) => {
          response = Buffer.concat([Buffer.from(prefix, "latin1"), Buffer.from(tail)]);
          splitAt = at;
          const timeouts = { connectMs: 5000, firstByteMs: 5000, idleMs: 5000 };
          try {
            const r = await httpGet(server.url("/fuzz"), { timeouts, maxRedirects: 2 });
            for await (const chunk of r.body) assert.ok(Buffer.isBuffer(chunk));
          } catch (err) {
            assert.ok(err instanceof TcpkitError, `not a TcpkitError: ${String(err)}`);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
