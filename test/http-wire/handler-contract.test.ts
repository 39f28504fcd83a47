/**
 * The handler contract beyond bodies (http/types.ts), black-box over raw sockets: declared
 * methods and chains, interim responses, taking over the connection after a 101, long-lived
 * streams (no send timeout while idle; the abort signal when the client goes), the draining
 * signal, the peer's address, and one exchange record per response, cut short or not.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, it } from "node:test";
import { chain, withMethods } from "../../src/http/handler-chain.js";
import type { ExchangeRecord } from "../../src/http/server/exchange-record.js";
import type { Handler, ResponsePlan } from "../../src/http/types.js";
import { RawConnection } from "../support/connection-modes.js";
import { FIXTURE_FILE, startTestServer } from "../support/test-server.js";

const TEXT = "Content-Type: text/plain\r\n";
const text = (s: string, status = 200): ResponsePlan => ({
  status,
  headers: TEXT,
  body: { kind: "bytes", bytes: Buffer.from(s, "latin1") },
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function request(port: number, raw: string, method = "GET") {
  const c = await RawConnection.open(port);
  try {
    await c.send(raw);
    return await c.readResponse(method);
  } finally {
    c.close();
  }
}

describe("methods", () => {
  it("a handler that declares none answers GET, HEAD, OPTIONS; POST gets 405, unknown 501", async () => {
    const t = await startTestServer({}, () => text("ok\n"));
    try {
      const post = await request(t.port, "POST / HTTP/1.1\r\nHost: t\r\n\r\n", "POST");
      assert.equal(post.status, 405);
      assert.equal(post.header("allow"), "GET, HEAD, OPTIONS");
      assert.equal((await request(t.port, "BREW / HTTP/1.1\r\nHost: t\r\n\r\n")).status, 501);
    } finally {
      await t.close();
    }
  });

  it("a handler that declares POST gets it; the rest get 405 with its Allow", async () => {
    const t = await startTestServer(
      {},
      withMethods(["POST"], () => text("posted\n")),
    );
    try {
      const post = await request(t.port, "POST / HTTP/1.1\r\nHost: t\r\n\r\n", "POST");
      assert.equal(post.body.toString(), "posted\n");
      const get = await request(t.port, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
      assert.equal(get.status, 405);
      assert.equal(get.header("allow"), "POST");
      const star = await request(t.port, "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", "OPTIONS");
      assert.equal(star.header("allow"), "POST");
    } finally {
      await t.close();
    }
  });

  it("a chain serves the union of its methods; each link answers or passes on; 404 at the end", async () => {
    const seen: string[] = [];
    const auth: Handler = (head, _context, next) => {
      seen.push(`auth ${head.method}`);
      return head.path === "/secret" ? text("who are you?\n", 401) : next();
    };
    const upload = withMethods(["PUT"], (head, _context, next) =>
      head.method === "PUT" ? text("stored\n", 201) : next(),
    );
    const files = withMethods(["GET", "HEAD"], (head, _context, next) =>
      head.path === "/file" ? text("file\n") : next(),
    );
    const t = await startTestServer({}, chain(auth, upload, files));
    try {
      const put = await request(t.port, "PUT /x HTTP/1.1\r\nHost: t\r\n\r\n", "PUT");
      assert.equal(put.status, 201);
      assert.equal((await request(t.port, "GET /file HTTP/1.1\r\nHost: t\r\n\r\n")).status, 200);
      assert.equal((await request(t.port, "GET /secret HTTP/1.1\r\nHost: t\r\n\r\n")).status, 401);
      assert.equal((await request(t.port, "GET /none HTTP/1.1\r\nHost: t\r\n\r\n")).status, 404);
      const post = await request(t.port, "POST /x HTTP/1.1\r\nHost: t\r\n\r\n", "POST");
      assert.equal(post.status, 405);
      assert.equal(post.header("allow"), "PUT, GET, HEAD");
      assert.deepEqual(seen, ["auth PUT", "auth GET", "auth GET", "auth GET"]);
    } finally {
      await t.close();
    }
  });
});

describe("interim responses", () => {
  const handler: Handler = async (_head, context) => {
    const hints = context.sendInterim(103, "Link: </style.css>; rel=preload\r\n");
    await sleep(10);
    context.sendInterim(104, "Upload-Draft-Interop-Version: 6\r\n");
    return text(`hints sent: ${hints}\n`);
  };

  it("go out before the final response, in order", async () => {
    const t = await startTestServer({}, handler);
    try {
      const c = await RawConnection.open(t.port);
      await c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
      const early = await c.readResponse("GET");
      assert.equal(early.status, 103);
      assert.equal(early.header("link"), "</style.css>; rel=preload");
      assert.equal((await c.readResponse("GET")).status, 104);
      const final = await c.readResponse("GET");
      assert.equal(final.body.toString(), "hints sent: true\n");
      c.close();
    } finally {
      await t.close();
    }
  });

  it("are never sent to an HTTP/1.0 client", async () => {
    const t = await startTestServer({}, handler);
    try {
      const r = await request(t.port, "GET / HTTP/1.0\r\n\r\n");
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), "hints sent: false\n");
    } finally {
      await t.close();
    }
  });
});

describe("taking over the connection after 101", () => {
  it("hands over the socket and the bytes already sent; the socket counts for a graceful stop", async () => {
    let drained = false;
    const handler: Handler = (_head, context) => ({
      status: 101,
      headers: "Upgrade: echo\r\nConnection: Upgrade\r\n",
      body: {
        kind: "upgrade",
        onUpgrade: (socket, buffered) => {
          socket.write(`early:${buffered.toString()}|`);
          socket.on("data", (c: Buffer) => socket.write(c));
          socket.resume();
          context.draining.addEventListener("abort", () => {
            drained = true;
            socket.end("bye");
          });
        },
      },
    });
    const t = await startTestServer({}, handler);
    const c = await RawConnection.open(t.port);
    await c.send(
      "GET /tunnel HTTP/1.1\r\nHost: t\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nEARLY",
    );
    const switched = await c.readResponse("GET");
    assert.equal(switched.status, 101);
    assert.equal(switched.header("upgrade"), "echo");
    assert.equal(switched.header("content-length"), undefined);
    await c.send("ping");
    while (!c.unread().toString().endsWith("ping")) await sleep(5);
    assert.equal(c.unread().toString(), "early:EARLY|ping");
    assert.equal(t.server.connectionCount, 1);
    await t.close();
    assert.ok(drained, "the tunnel heard about the graceful stop");
    await c.waitClosed();
    assert.ok(c.unread().toString().endsWith("bye"));
  });

  it("refuses a 101 to an HTTP/1.0 request as a handler error (500)", async () => {
    const t = await startTestServer({}, () => ({
      status: 101,
      headers: "",
      body: { kind: "upgrade", onUpgrade: () => {} },
    }));
    try {
      assert.equal((await request(t.port, "GET / HTTP/1.0\r\n\r\n")).status, 500);
      assert.equal(t.handlerErrors.length, 1);
    } finally {
      await t.close();
    }
  });
});

describe("long-lived streams", () => {
  it("an idle event stream outlives the send timeout; the signal fires when the client goes", async () => {
    let aborted: () => void = () => {};
    const gone = new Promise<void>((resolve) => (aborted = resolve));
    const events = new PassThrough();
    const t = await startTestServer({ limits: { sendTimeoutMs: 200 } }, (_head, context) => {
      events.write("data: hello\n\n");
      // Quiet for 700 ms, longer than the send timeout; then a heartbeat every 50 ms, which is
      // how a stream notices a client that went away (its FIN alone is a half-close).
      let beat: NodeJS.Timeout | undefined;
      const first = setTimeout(() => {
        events.write("data: later\n\n");
        beat = setInterval(() => events.write(": beat\n\n"), 50);
      }, 700);
      context.signal.addEventListener("abort", () => {
        clearTimeout(first);
        clearInterval(beat);
        aborted();
      });
      return {
        status: 200,
        headers: "Content-Type: text/event-stream\r\n",
        body: { kind: "stream", stream: events },
      };
    });
    try {
      const c = await RawConnection.open(t.port);
      await c.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n");
      while (!c.unread().toString().includes("later")) {
        assert.equal(c.closed, false, "the stream was cut");
        await sleep(20);
      }
      c.close();
      await gone;
      assert.equal(events.destroyed, true, "the stream was disposed of");
    } finally {
      await t.close();
    }
  });

  it("a stream marked untilClientEnds stops at the client's FIN; an unmarked one is sent whole", async () => {
    for (const untilClientEnds of [true, false]) {
      const events = new PassThrough();
      const t = await startTestServer({}, () => {
        events.write("data: one\n\n");
        return {
          status: 200,
          headers: "Content-Type: text/event-stream\r\n",
          body: { kind: "stream", stream: events, untilClientEnds },
        };
      });
      try {
        const c = await RawConnection.open(t.port);
        await c.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n");
        while (!c.unread().toString().includes("data: one")) await sleep(10);
        c.socket.end(); // a half-close: this client still reads
        if (untilClientEnds) {
          await c.waitClosed();
          assert.equal(events.destroyed, true, "the stream was disposed of");
          assert.doesNotMatch(c.unread().toString(), /\r\n0\r\n\r\n$/, "no last chunk");
        } else {
          await sleep(100);
          events.end("data: two\n\n");
          await c.waitClosed();
          assert.match(c.unread().toString(), /data: two\n\n\r\n0\r\n\r\n$/);
        }
      } finally {
        await t.close();
      }
    }
  });

  it("the draining signal lets a stream end itself: close() does not wait for the deadline", async () => {
    const t = await startTestServer({ limits: { drainTimeoutMs: 10_000 } }, (_head, context) => {
      if (context.draining.aborted) return text("stopping\n", 503);
      const events = new PassThrough();
      events.write("data: hello\n\n");
      context.draining.addEventListener("abort", () => events.end("data: bye\n\n"));
      return {
        status: 200,
        headers: "Content-Type: text/event-stream\r\n",
        body: { kind: "stream", stream: events },
      };
    });
    const c = await RawConnection.open(t.port);
    await c.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n");
    while (!c.unread().toString().includes("hello")) await sleep(10);
    const started = Date.now();
    await t.close();
    assert.ok(Date.now() - started < 2000, "closed without waiting for the drain deadline");
    const r = await c.readResponse("GET");
    assert.match(r.body.toString(), /data: bye/);
  });
});

describe("what a handler sees and what the server reports", () => {
  it("the peer's address and TLS flag", async () => {
    const t = await startTestServer({}, (_head, context) =>
      text(`${context.remoteAddress} ${context.remotePort > 0} ${context.secure}\n`),
    );
    try {
      const r = await request(t.port, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
      assert.equal(r.body.toString(), "127.0.0.1 true false\n");
    } finally {
      await t.close();
    }
  });

  it("one record per response with bytes received and sent, also when cut short", async () => {
    const records: ExchangeRecord[] = [];
    const handler = withMethods(["GET", "POST"], async (head, context) => {
      if (head.path === "/echo") return text((await context.body.bytes()).toString());
      if (head.path === "/never") return new Promise<ResponsePlan>(() => {});
      return {
        status: 200,
        headers: "",
        body: { kind: "file", path: FIXTURE_FILE, start: 0, end: 3700 },
      };
    });
    const t = await startTestServer({ onExchange: (r) => records.push(r) }, handler);
    try {
      const head = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n";
      const r = await request(t.port, head + "hello", "POST");
      const record = records[0];
      assert.ok(record !== undefined);
      assert.equal(record.status, 200);
      assert.equal(record.bytesReceived, head.length + 5);
      assert.equal(record.bytesSent, r.raw.length);
      assert.equal(record.bodyBytes, 5);
      assert.equal(record.complete, true);

      // A client that goes away (a reset; a FIN alone is a half-close, still answered) before
      // any answer: one record, status 499, not complete.
      const c = await RawConnection.open(t.port);
      await c.send("GET /never HTTP/1.1\r\nHost: t\r\n\r\n");
      await sleep(50);
      c.socket.resetAndDestroy();
      while (records.length < 2) await sleep(10);
      assert.equal(records[1]?.status, 499);
      assert.equal(records[1]?.complete, false);
      await sleep(50);
      assert.equal(records.length, 2, "exactly one record per exchange");
    } finally {
      await t.close();
    }
  });
});

describe("idle keep-alive connections", () => {
  it("hold neither the last request's head nor its scope once it is answered", async () => {
    // A full collection on demand, as src/util/runtime-tuning.ts obtains it.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const heads: WeakRef<object>[] = [];
    const t = await startTestServer({}, (head) => {
      heads.push(new WeakRef(head));
      return text("ok\n");
    });
    const c = await RawConnection.open(t.port);
    try {
      await c.send("GET /one HTTP/1.1\r\nHost: t\r\nX-Padding: " + "p".repeat(200) + "\r\n\r\n");
      assert.equal((await c.readResponse("GET")).status, 200);
      // Let the server finish with the exchange, then collect while the connection stays open.
      await sleep(20);
      // deref() keeps its target alive to the end of the job that called it: collect in a job
      // of its own, look in the next.
      gc();
      await sleep(10);
      assert.equal(heads[0]?.deref(), undefined, "the idle connection still holds the head");
      await c.send("GET /two HTTP/1.1\r\nHost: t\r\n\r\n");
      assert.equal((await c.readResponse("GET")).status, 200, "the connection still serves");
    } finally {
      c.close();
      await t.close();
    }
  });
});
