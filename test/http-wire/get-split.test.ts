// httpGet against canned net servers that write exact response bytes in two pieces, split at
// every offset: framing, 1xx, short bodies and malformed chunks must not depend on where TCP
// happens to cut the stream.
import assert from "node:assert/strict";
import type { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { httpGet } from "../../src/client/http-get.js";
import { TcpkitError } from "../../src/util/tcpkit-error.js";
import { startCannedServer, writeSplit, type CannedServer } from "../support/canned-server.js";

async function readAll(body: Readable): Promise<{ data: string; error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return { data: Buffer.concat(chunks).toString("latin1"), error: undefined };
  } catch (error) {
    return { data: Buffer.concat(chunks).toString("latin1"), error };
  }
}

describe("httpGet with responses split at every offset", () => {
  let server: CannedServer;
  let response = "";
  let splitAt = 0;

  before(async () => {
    server = await startCannedServer(async (_request, socket) => {
      await writeSplit(socket, response, splitAt);
      return undefined;
    });
  });
  after(() => server.close());

  /** Runs `check` once per split point of `bytes` (bounded: at most ~400 points). */
  async function everySplit(
    bytes: string,
    check: (result: { status: number; data: string; error: unknown }, at: number) => void,
  ): Promise<void> {
    response = bytes;
    const step = Math.max(1, Math.ceil(bytes.length / 400));
    for (let at = 1; at < bytes.length; at += step) {
      splitAt = at;
      const r = await httpGet(server.url("/x"), { timeouts: { idleMs: 10_000 } });
      const body = await readAll(r.body);
      check({ status: r.status, ...body }, at);
    }
  }

  it("decodes chunked bodies with extensions and trailers after 100 and 103 interim responses", async () => {
    const bytes =
      "HTTP/1.1 100 Continue\r\n\r\n" +
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" +
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n" +
      '5;a=b;c="d;e"\r\nhello\r\n1 ;x\r\n,\r\n6\r\n world\r\n0\r\nX-Sum: 42\r\n\r\n';
    await everySplit(bytes, (r, at) => {
      assert.equal(r.status, 200, `split at ${at}`);
      assert.equal(r.error, undefined, `split at ${at}: ${String(r.error)}`);
      assert.equal(r.data, "hello, world", `split at ${at}`);
    });
  });

  it("reads a close-delimited HTTP/1.0 body to the end", async () => {
    const bytes = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the server closes\n";
    await everySplit(bytes, (r, at) => {
      assert.equal(r.error, undefined, `split at ${at}`);
      assert.equal(r.data, "until the server closes\n", `split at ${at}`);
    });
  });

  it("reads exactly Content-Length bytes", async () => {
    const bytes = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
    await everySplit(bytes, (r, at) => {
      assert.equal(r.error, undefined, `split at ${at}`);
      assert.equal(r.data, "0123456789", `split at ${at}`);
    });
  });

  it("reports a body shorter than its Content-Length, whatever the split", async () => {
    const bytes = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this";
    await everySplit(bytes, (r, at) => {
      assert.ok(r.error instanceof TcpkitError, `split at ${at}`);
      // Cut short by the server closing: a network failure, which --retry retries.
      assert.equal(r.error.code, "ERR_CONNECTION_CLOSED");
      assert.match(r.error.message, /body shorter than Content-Length: got 9 of 100 bytes/);
      assert.equal(r.data, "only this");
    });
  });

  it("reports a malformed chunk, whatever the split", async () => {
    const bytes = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n";
    await everySplit(bytes, (r, at) => {
      assert.ok(r.error instanceof TcpkitError, `split at ${at}`);
      assert.match(r.error.message, /chunk data longer than its chunk size/);
    });
  });

  it("rejects a malformed status line, whatever the split", async () => {
    response = "HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n";
    for (let at = 1; at < response.length; at++) {
      splitAt = at;
      await assert.rejects(httpGet(server.url("/x")), (err: unknown) => {
        assert.ok(err instanceof TcpkitError);
        assert.equal(err.code, "ERR_HTTP_PROTOCOL");
        assert.match(err.message, /malformed status line 'HTTP\/1.1 2OO OK'/);
        return true;
      });
    }
  });
});

describe("httpGet backpressure", () => {
  it("does not read ahead of a consumer that stops reading", async () => {
    const total = 64 * 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024, 0x61);
    let written = 0;
    const server = await startCannedServer((_request, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      const pump = (): void => {
        while (written < total) {
          written += piece.length;
          if (!socket.write(piece)) {
            socket.once("drain", pump);
            return;
          }
        }
        socket.end();
      };
      pump();
      return undefined;
    });
    try {
      const response = await httpGet(server.url("/big"));
      const chunks = response.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      let received = 0;
      // Read the first MB, then stop reading for a while.
      while (received < 1024 * 1024) {
        const next = await chunks.next();
        assert.ok(next.done !== true);
        received += next.value.length;
      }
      await new Promise((r) => setTimeout(r, 500));
      // Kernel buffers and the body's high-water mark hold a few MB; the rest must wait.
      assert.ok(written < total / 2, `server wrote ${written} bytes while nobody read`);
      for (;;) {
        const next = await chunks.next();
        if (next.done === true) break;
        received += next.value.length;
      }
      assert.equal(received, total);
    } finally {
      await server.close();
    }
  });
});

describe("httpGet before the consumer reads", () => {
  it("hands over the bytes that came with the head, then the error that followed them", async () => {
    const server = await startCannedServer((_request, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nseventeen bytes!\n", () => {
        setTimeout(() => socket.resetAndDestroy(), 50);
      });
      return undefined;
    });
    try {
      const response = await httpGet(server.url("/x"));
      await new Promise((r) => setTimeout(r, 300));
      const result = await readAll(response.body);
      assert.equal(result.data, "seventeen bytes!\n");
      assert.ok(result.error instanceof TcpkitError);
      assert.match(result.error.message, /reset|shorter than Content-Length/);
    } finally {
      await server.close();
    }
  });
});
