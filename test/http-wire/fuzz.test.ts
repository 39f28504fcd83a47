/**
 * Random and mutated bytes at a running server: whatever arrives, the server answers with a
 * well-formed response or closes, never crashes, never answers twice to one closed request, and
 * keeps serving others.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { parseResponse } from "../support/http-response.js";
import { exchange } from "../support/raw-socket.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const VALID = "GET /fuzz HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc";

describe("fuzzing the server over sockets", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ limits: { headTimeoutMs: 300, maxHeadBytes: 1024 } });
  });
  after(() => t.close());

  async function checkReply(bytes: Buffer): Promise<void> {
    const { data, closed } = await exchange(t.port, [bytes], { quietMs: 800, endAfterWrite: true });
    // Every byte received parses as complete responses.
    let offset = 0;
    while (offset < data.length) {
      const parsed = parseResponse(data, offset, "GET", closed);
      assert.ok(
        parsed !== undefined,
        `incomplete response: ${JSON.stringify(data.toString("latin1"))}`,
      );
      assert.ok(parsed.response.status >= 200 && parsed.response.status < 600);
      offset = parsed.next;
    }
  }

  it("survives random bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        await checkReply(Buffer.from(bytes));
      }),
      { numRuns: 40 },
    );
  });

  it("survives mutated valid requests", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        async (mutations) => {
          const bytes = Buffer.from(VALID + VALID, "latin1");
          for (const [at, byte] of mutations) bytes[at % bytes.length] = byte;
          await checkReply(bytes);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("still serves a normal request afterwards", async () => {
    const { data } = await exchange(t.port, [
      "GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    ]);
    assert.match(data.toString(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*GET \/ok v11\n$/);
  });
});
