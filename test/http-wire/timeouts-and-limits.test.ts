/**
 * Time-based and connection-level behaviour over raw sockets: the head timeout (slowloris →
 * 408 while other clients are served), the keep-alive idle close, the connection limit (503),
 * a graceful stop, and bounded memory for a client that does not read.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { RawConnection } from "../support/connection-modes.js";
import { startTestServer, testHandler } from "../support/test-server.js";

const GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

describe("head timeout (slowloris)", () => {
  it("answers a head that never completes with 408 and closes, serving others meanwhile", async () => {
    const t = await startTestServer({ limits: { headTimeoutMs: 800 } });
    try {
      const slow = await RawConnection.open(t.port);
      await slow.send("GET / HTTP/1.1\r\nHost: t\r\n");
      // A byte now and then does not extend the deadline: it runs from the first byte.
      const trickle = setInterval(() => void slow.send("X"), 100);
      try {
        // Meanwhile another client is served at once, several times.
        const other = await RawConnection.open(t.port);
        for (let i = 0; i < 3; i++) {
          await other.send(GET);
          assert.equal((await other.readResponse("GET", 5000)).status, 200);
        }
        other.close();
        const r = await slow.readResponse("GET", 10_000);
        assert.equal(r.status, 408);
        assert.equal(r.header("connection"), "close");
        await slow.waitClosed();
      } finally {
        clearInterval(trickle);
        slow.close();
      }
    } finally {
      await t.close();
    }
  });

  it("is not restarted by empty lines before the request line", async () => {
    // RFC 9112 §2.2 lets a server skip empty lines before a request; each CRLF used to end the
    // deadline as if a new request began, so one every 100 ms held the connection forever.
    const t = await startTestServer({ limits: { headTimeoutMs: 500, keepAliveTimeoutMs: 500 } });
    const c = await RawConnection.open(t.port);
    const trickle = setInterval(() => void c.send("\r\n").catch(() => {}), 100);
    try {
      await c.waitClosed(5_000);
    } finally {
      clearInterval(trickle);
      c.close();
      await t.close();
    }
  });

  it("also bounds the time to send a declared body", async () => {
    const t = await startTestServer({ limits: { headTimeoutMs: 500 } });
    try {
      const c = await RawConnection.open(t.port);
      await c.send("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
      assert.equal((await c.readResponse("GET", 10_000)).status, 408);
      await c.waitClosed();
    } finally {
      await t.close();
    }
  });
});

describe("keep-alive idle timeout", () => {
  it("closes an idle connection silently", async () => {
    const t = await startTestServer({ limits: { keepAliveTimeoutMs: 400 } });
    try {
      const c = await RawConnection.open(t.port);
      await c.send(GET);
      assert.equal((await c.readResponse("GET")).status, 200);
      await c.waitClosed(10_000);
      assert.equal(c.unread().length, 0);
      // A connection that never sent a byte is idle too.
      const silent = await RawConnection.open(t.port);
      await silent.waitClosed(10_000);
      assert.equal(silent.unread().length, 0);
    } finally {
      await t.close();
    }
  });
});

describe("connection limit", () => {
  it("answers connections past the limit with 503 and closes them", async () => {
    const t = await startTestServer({ limits: { maxConnections: 2 } });
    const held: RawConnection[] = [];
    try {
      for (let i = 0; i < 2; i++) held.push(await RawConnection.open(t.port));
      // Let the server register both before the third arrives.
      for (const c of held) {
        await c.send(GET);
        assert.equal((await c.readResponse("GET")).status, 200);
      }
      const extra = await RawConnection.open(t.port);
      await extra.send(GET);
      const r = await extra.readResponse("GET");
      assert.equal(r.status, 503);
      assert.equal(r.header("connection"), "close");
      await extra.waitClosed();
      // Once one closes, a new connection is served again.
      held.pop()?.close();
      for (let attempt = 0; attempt < 50 && t.server.connectionCount > 1; attempt++) {
        await new Promise((res) => setTimeout(res, 20));
      }
      const again = await RawConnection.open(t.port);
      await again.send(GET);
      assert.equal((await again.readResponse("GET")).status, 200);
      again.close();
    } finally {
      for (const c of held) c.close();
      await t.close();
    }
  });
});

describe("closing after the client's last request", () => {
  for (const [name, request] of [
    ["HTTP/1.0 without keep-alive", "GET / HTTP/1.0\r\n\r\n"],
    ["HTTP/1.1 with Connection: close", "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"],
  ] as const) {
    it(`${name}: sends the whole response and frees the connection without waiting for the client`, async () => {
      const t = await startTestServer();
      // allowHalfOpen: this client never sends its FIN, so a server that lingered until the
      // peer closes (2 s) would still count the connection below.
      const socket = connect({ port: t.port, host: "127.0.0.1", allowHalfOpen: true });
      try {
        const chunks: Buffer[] = [];
        socket.on("data", (c: Buffer) => chunks.push(c));
        const ended = new Promise<void>((resolve, reject) => {
          socket.once("end", resolve);
          socket.once("error", reject);
        });
        socket.write(request);
        await ended;
        const text = Buffer.concat(chunks).toString("latin1");
        assert.match(text, /^HTTP\/1\.1 200 /);
        const length = Number(/\r\ncontent-length: (\d+)\r\n/i.exec(text)?.[1]);
        assert.equal(text.length - (text.indexOf("\r\n\r\n") + 4), length);
        for (let i = 0; i < 75 && t.server.connectionCount > 0; i++) {
          await new Promise((res) => setTimeout(res, 20));
        }
        assert.equal(t.server.connectionCount, 0);
      } finally {
        socket.destroy();
        await t.close();
      }
    });
  }
});

describe("graceful stop", () => {
  it("closes idle connections, finishes the response in flight, then resolves", async () => {
    // The stop begins once the server is inside the handler for /async (a fixed sleep
    // could begin it before the request arrived, on a loaded machine).
    let entered: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const t = await startTestServer({}, (head, context, next) => {
      if (head.path === "/async") entered();
      return testHandler(head, context, next);
    });
    const idle = await RawConnection.open(t.port);
    await idle.send(GET);
    assert.equal((await idle.readResponse("GET")).status, 200);
    const busy = await RawConnection.open(t.port);
    await busy.send("GET /async HTTP/1.1\r\nHost: t\r\n\r\n");
    await inHandler;
    const closing = t.close();
    const r = await busy.readResponse("GET");
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), "async\n");
    await closing;
    await idle.waitClosed();
    await busy.waitClosed();
  });
});

describe("pipelining at scale", () => {
  it("answers 300 pipelined requests in order, even when the client reads late", async () => {
    const t = await startTestServer();
    try {
      const c = await RawConnection.open(t.port);
      c.socket.pause();
      let all = "";
      for (let i = 0; i < 300; i++) all += `GET /n${i} HTTP/1.1\r\nHost: t\r\n\r\n`;
      await c.send(all + "GET /file HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
      await new Promise((res) => setTimeout(res, 300));
      c.socket.resume();
      for (let i = 0; i < 300; i++) {
        const r = await c.readResponse("GET");
        assert.equal(r.body.toString(), `GET /n${i} v11\n`);
      }
      assert.equal((await c.readResponse("GET")).header("connection"), "close");
      await c.waitClosed();
    } finally {
      await t.close();
    }
  });

  it("answers everything sent before the client half-closed, then closes", async () => {
    const t = await startTestServer();
    try {
      const c = await RawConnection.open(t.port);
      await c.send(GET + "GET /async HTTP/1.1\r\nHost: t\r\n\r\n" + GET);
      c.socket.end();
      assert.equal((await c.readResponse("GET")).status, 200);
      assert.equal((await c.readResponse("GET")).body.toString(), "async\n");
      assert.equal((await c.readResponse("GET")).status, 200);
      await c.waitClosed();
      assert.equal(c.unread().length, 0);
    } finally {
      await t.close();
    }
  });
});

describe("Expect: 100-continue", () => {
  it("sends 100 Continue before reading a body, and refuses a refused method at once", async () => {
    const t = await startTestServer();
    try {
      const c = await RawConnection.open(t.port);
      await c.send(
        "GET /e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
      );
      assert.equal((await c.readResponse("GET")).status, 100);
      await c.send("hello");
      assert.equal((await c.readResponse("GET")).body.toString(), "GET /e v11\n");
      await c.send(
        "POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n",
      );
      const refused = await c.readResponse("POST");
      assert.equal(refused.status, 405);
      assert.equal(refused.header("connection"), "close");
      await c.waitClosed();
    } finally {
      await t.close();
    }
  });
});

describe("bounded memory per connection", () => {
  it("stops reading a file while the client does not read, then gives up after the send timeout", async () => {
    const { mkdtempSync, openSync, ftruncateSync, closeSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "tcpkit-big-"));
    const path = join(dir, "big.bin");
    const fd = openSync(path, "w");
    ftruncateSync(fd, 256 * 1024 * 1024); // sparse: no disk used
    closeSync(fd);
    const t = await startTestServer({ limits: { sendTimeoutMs: 1000 } }, () => ({
      status: 200,
      headers: "",
      body: { kind: "file", path, start: 0, end: 256 * 1024 * 1024 },
    }));
    try {
      const c = await RawConnection.open(t.port);
      c.socket.pause();
      const before = process.memoryUsage().rss;
      await c.send(GET);
      await new Promise((res) => setTimeout(res, 1500));
      const grown = process.memoryUsage().rss - before;
      // The client reads nothing: the server's writes stop at the socket buffers.
      assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown} bytes`);
      // No progress for the send timeout: the server abandons the response (seen server-side:
      // a paused client does not read the close).
      for (let i = 0; i < 150 && t.server.connectionCount > 0; i++) {
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(t.server.connectionCount, 0);
      c.close();
    } finally {
      await t.close();
    }
  });
});
