/**
 * Request bodies handed to library handlers, black-box over real sockets: echoed bodies of 1 byte
 * to 64 MiB (Content-Length and chunked) compared by SHA-256, heads and bodies split at every
 * offset, a slow reader against a fast sender (bounded server memory), bodies a handler ignores
 * (no desync with the next pipelined request), 100-continue both ways, a body over the handler's
 * limit, and a client that stops sending mid-body.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { withMethods } from "../../src/http/handler-chain.js";
import type { Handler, ResponsePlan } from "../../src/http/types.js";
import { processMemory } from "../support/cli.js";
import { RawConnection } from "../support/connection-modes.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const MiB = 1024 * 1024;
const TEXT = "Content-Type: text/plain\r\n";
const text = (s: string, status = 200): ResponsePlan => ({
  status,
  headers: TEXT,
  body: { kind: "bytes", bytes: Buffer.from(s, "latin1") },
});

/**
 * /echo streams the body back as it is read (Content-Length when the request had one, else
 * chunked); /sum reads it whole and answers its length; /ignore never reads it; /refuse answers
 * 401 with `close` without reading it; /small reads at most 10 bytes.
 */
const handler: Handler = withMethods(["GET", "POST", "PUT"], (head, context) => {
  switch (head.path) {
    case "/echo": {
      const stream = context.body.stream({ limit: 128 * MiB });
      const length = context.body.length;
      return {
        status: 200,
        headers: "Content-Type: application/octet-stream\r\n",
        body:
          length === undefined ? { kind: "stream", stream } : { kind: "stream", stream, length },
      };
    }
    case "/sum":
      return context.body.bytes().then((b) => text(`${b.length}:${b.toString("latin1")}\n`));
    case "/small":
      return context.body.bytes({ limit: 10 }).then(
        (b) => text(`${b.length}\n`),
        (err: unknown) => text(`handler saw ${(err as { code?: string }).code}\n`, 500),
      );
    case "/refuse":
      return { ...text("no\n", 401), close: true };
    default:
      return text(`${head.method} ${head.path}\n`);
  }
});

let t: TestServer;
before(async () => {
  t = await startTestServer({ limits: { headTimeoutMs: 1500 } }, handler);
});
after(() => t.close());

const post = (path: string, fields: string): string =>
  `POST ${path} HTTP/1.1\r\nHost: t\r\n${fields}\r\n`;

/** Sends `size` bytes to /echo with node:http (chunked when `chunked`), hashes what comes back. */
function echoThroughNodeHttp(size: number, chunked: boolean): Promise<[string, string]> {
  const block = randomBytes(Math.min(size, MiB));
  return new Promise((resolve, reject) => {
    const sent = createHash("sha256");
    const received = createHash("sha256");
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: t.port,
        method: "POST",
        path: "/echo",
        headers: chunked ? {} : { "content-length": String(size) },
        agent: false,
      },
      (res) => {
        res.on("data", (c: Buffer) => received.update(c));
        res.on("end", () => resolve([sent.digest("hex"), received.digest("hex")]));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    let left = size;
    const write = (): void => {
      while (left > 0) {
        const piece = block.subarray(0, Math.min(block.length, left));
        left -= piece.length;
        sent.update(piece);
        if (!req.write(piece)) return void req.once("drain", write);
      }
      req.end();
    };
    write();
  });
}

describe("a handler that echoes the body", () => {
  for (const size of [1, 100, 65_536, 65_537, MiB + 3, 64 * MiB]) {
    for (const chunked of [false, true]) {
      it(`${size} bytes, ${chunked ? "chunked" : "Content-Length"}: same SHA-256 back`, async () => {
        const [sent, received] = await echoThroughNodeHttp(size, chunked);
        assert.equal(received, sent);
      });
    }
  }

  const body = "The quick brown fox jumps over the lazy dog; 0123456789.".repeat(3);
  const requests = {
    "Content-Length": post("/echo", `Content-Length: ${body.length}\r\n`) + body,
    chunked:
      post("/echo", "Transfer-Encoding: chunked\r\n") +
      `10;a="b;c"\r\n${body.slice(0, 16)}\r\n${(body.length - 16).toString(16)}\r\n` +
      `${body.slice(16)}\r\n0\r\nX-Trailer: 1\r\n\r\n`,
  };
  for (const [framing, request] of Object.entries(requests)) {
    it(`${framing}: head and body split at every offset, on one connection`, async () => {
      const c = await RawConnection.open(t.port);
      try {
        for (let cut = 1; cut < request.length; cut++) {
          await c.send(request.slice(0, cut));
          await new Promise((r) => setImmediate(r));
          await c.send(request.slice(cut));
          const r = await c.readResponse("POST");
          assert.equal(r.status, 200, `cut at ${cut}`);
          assert.equal(r.body.toString("latin1"), body, `cut at ${cut}`);
        }
      } finally {
        c.close();
      }
    });
  }
});

describe("a slow reader", () => {
  it("stops the socket being read: 256 MiB sent, server memory grows < 32 MiB", async () => {
    const script = fileURLToPath(new URL("../support/body-server.js", import.meta.url));
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.setEncoding("utf8").once("data", (line: string) => resolve(Number(line)));
        child.once("exit", () => reject(new Error("the body server exited")));
      });
      const pid = child.pid as number;
      const before = await processMemory(pid);
      let peak = before;
      const sampler = setInterval(() => {
        processMemory(pid).then(
          (rss) => (peak = Math.max(peak, rss)),
          () => {},
        );
      }, 20);
      const size = 256 * MiB;
      const block = randomBytes(MiB);
      const sent = createHash("sha256");
      const answer = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port,
            method: "POST",
            path: "/slow",
            headers: { "content-length": String(size) },
            agent: false,
          },
          (res) => {
            let out = "";
            res.setEncoding("latin1").on("data", (c: string) => (out += c));
            res.on("end", () => resolve(out));
          },
        );
        req.on("error", reject);
        let left = size;
        const write = (): void => {
          while (left > 0) {
            left -= block.length;
            sent.update(block);
            if (!req.write(block)) return void req.once("drain", write);
          }
          req.end();
        };
        write();
      });
      clearInterval(sampler);
      assert.equal(answer, `${size} ${sent.digest("hex")}\n`);
      const growth = (peak - before) / MiB;
      assert.ok(growth < 32, `server RSS grew ${growth.toFixed(1)} MiB`);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("a body the handler ignores", () => {
  it("is discarded: the pipelined request after it is answered, never read from the body", async () => {
    const evil = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";
    const chunkedEvil = `${evil.length.toString(16)}\r\n${evil}\r\n0\r\n\r\n`;
    const c = await RawConnection.open(t.port);
    try {
      await c.send(
        post("/ignore", `Content-Length: ${evil.length}\r\n`) +
          evil +
          post("/ignore", "Transfer-Encoding: chunked\r\n") +
          chunkedEvil +
          "GET /after HTTP/1.1\r\nHost: t\r\n\r\n",
      );
      assert.equal((await c.readResponse("POST")).body.toString(), "POST /ignore\n");
      assert.equal((await c.readResponse("POST")).body.toString(), "POST /ignore\n");
      assert.equal((await c.readResponse("GET")).body.toString(), "GET /after\n");
      assert.equal(c.unread().length, 0, "no response made from the bodies");
    } finally {
      c.close();
    }
  });

  it("past the server's limit gets 413 and the connection closes", async () => {
    const small = await startTestServer({ limits: { maxBodyBytes: 100 } }, handler);
    try {
      const c = await RawConnection.open(small.port);
      await c.send(post("/ignore", "Content-Length: 101\r\n"));
      const r = await c.readResponse("POST");
      assert.equal(r.status, 413);
      assert.equal(r.header("connection"), "close");
      await c.waitClosed();
    } finally {
      await small.close();
    }
  });
});

describe("Expect: 100-continue", () => {
  it("is answered when the handler reads the body, then the body is read", async () => {
    const c = await RawConnection.open(t.port);
    try {
      await c.send(post("/sum", "Content-Length: 5\r\nExpect: 100-continue\r\n"));
      assert.equal((await c.readResponse("POST")).status, 100);
      await c.send("hello");
      assert.equal((await c.readResponse("POST")).body.toString(), "5:hello\n");
    } finally {
      c.close();
    }
  });

  it("is not answered when the handler refuses without reading: final answer, close", async () => {
    const c = await RawConnection.open(t.port);
    try {
      await c.send(post("/refuse", "Content-Length: 5000\r\nExpect: 100-continue\r\n"));
      const r = await c.readResponse("POST");
      assert.equal(r.status, 401);
      assert.equal(r.header("connection"), "close");
      await c.waitClosed();
    } finally {
      c.close();
    }
  });

  it("is not answered for a body over the handler's limit: 413 at once", async () => {
    const c = await RawConnection.open(t.port);
    try {
      await c.send(post("/small", "Content-Length: 11\r\nExpect: 100-continue\r\n"));
      const r = await c.readResponse("POST");
      assert.equal(r.status, 413);
      assert.equal(r.header("connection"), "close");
      await c.waitClosed();
    } finally {
      c.close();
    }
  });
});

describe("a body over the handler's limit", () => {
  it("Content-Length: 413, then close, and the handler's read fails", async () => {
    const c = await RawConnection.open(t.port);
    await c.send(post("/small", "Content-Length: 11\r\n") + "01234567890");
    const r = await c.readResponse("POST");
    assert.equal(r.status, 413);
    assert.equal(r.header("connection"), "close");
    await c.waitClosed();
  });

  it("chunked: 413 once the chunks pass it, then close", async () => {
    const c = await RawConnection.open(t.port);
    await c.send(post("/small", "Transfer-Encoding: chunked\r\n") + "6\r\n012345\r\n");
    await new Promise((r) => setTimeout(r, 20));
    await c.send("6\r\n678901\r\n0\r\n\r\n");
    const r = await c.readResponse("POST");
    assert.equal(r.status, 413);
    assert.equal(r.header("connection"), "close");
    await c.waitClosed();
  });

  it("a body within it is read whole", async () => {
    const c = await RawConnection.open(t.port);
    await c.send(post("/small", "Content-Length: 10\r\n") + "0123456789");
    assert.equal((await c.readResponse("POST")).body.toString(), "10\n");
    c.close();
  });
});

describe("a client that stops sending mid-body", () => {
  it("gets 408 after the head timeout, then the connection closes", async () => {
    const c = await RawConnection.open(t.port);
    await c.send(post("/sum", "Content-Length: 10\r\n") + "abc");
    const r = await c.readResponse("POST", 10_000);
    assert.equal(r.status, 408);
    await c.waitClosed();
  });

  it("that half-closes gets 400, then the connection closes", async () => {
    const c = await RawConnection.open(t.port);
    await c.send(post("/sum", "Transfer-Encoding: chunked\r\n") + "a\r\nabc");
    c.socket.end();
    const r = await c.readResponse("POST", 10_000);
    assert.equal(r.status, 400);
    await c.waitClosed();
  });

  it("in a malformed chunk gets 400 and a close", async () => {
    const c = await RawConnection.open(t.port);
    await c.send(post("/sum", "Transfer-Encoding: chunked\r\n") + '3;a="x\r\nabc\r\n0\r\n\r\n');
    const r = await c.readResponse("POST");
    assert.equal(r.status, 400);
    await c.waitClosed();
  });
});
