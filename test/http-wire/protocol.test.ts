/**
 * Every protocol rule of issue 3 / DESIGN §3 over raw sockets, each scenario run in the four
 * connection modes (fresh, keep-alive, pipelined, dribbled) against an in-process server.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CONNECTION_MODES, runSteps, type Step } from "../support/connection-modes.js";
import type { HttpResponse } from "../support/http-response.js";
import { openSocket } from "../support/raw-socket.js";
import { FILE_BYTES, startTestServer, type TestServer } from "../support/test-server.js";

const get = (path: string, extra = ""): string => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;
const ok: Step = { request: get("/after") };
const bad = (request: string): Step => ({ request, closes: true });

function expectStatus(r: HttpResponse | undefined, status: number): HttpResponse {
  assert.ok(r !== undefined, "missing response");
  assert.equal(r.status, status, `status ${r.status}, want ${status}:\n${r.headText}`);
  assert.equal(r.version, "HTTP/1.1");
  assert.ok(r.header("date") !== undefined, "Date header");
  return r;
}

function expectClosed(r: HttpResponse | undefined, status: number): void {
  assert.equal(expectStatus(r, status).header("connection"), "close");
}

function expectAfterOk(r: HttpResponse | undefined): void {
  assert.equal(expectStatus(r, 200).body.toString(), "GET /after v11\n");
}

interface Scenario {
  readonly name: string;
  readonly steps: readonly Step[];
  readonly check: (responses: HttpResponse[]) => void;
}

const SCENARIOS: Scenario[] = [
  {
    name: "answers GET requests in order, keeping the connection",
    steps: [{ request: get("/a?x=1") }, { request: get("/b") }, { request: get("/c") }],
    check: ([a, b, c]) => {
      assert.equal(expectStatus(a, 200).body.toString(), "GET /a?x=1 v11\n");
      assert.equal(a?.header("content-length"), "15");
      assert.equal(a?.header("connection"), undefined);
      assert.equal(expectStatus(b, 200).body.toString(), "GET /b v11\n");
      assert.equal(expectStatus(c, 200).body.toString(), "GET /c v11\n");
    },
  },
  {
    name: "answers HEAD with GET's headers and no body",
    steps: [
      { request: "HEAD /file HTTP/1.1\r\nHost: t\r\n\r\n" },
      { request: "HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n" },
      ok,
    ],
    check: ([file, x, last]) => {
      assert.equal(expectStatus(file, 200).header("content-length"), String(FILE_BYTES.length));
      assert.equal(file?.body.length, 0);
      assert.equal(expectStatus(x, 200).header("content-length"), "12");
      expectAfterOk(last);
    },
  },
  {
    name: "closes an HTTP/1.0 connection unless it asks for keep-alive, which is echoed",
    steps: [
      { request: "GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" },
      { request: "GET /c HTTP/1.0\r\n\r\n", closes: true },
    ],
    check: ([k, c]) => {
      assert.equal(expectStatus(k, 200).header("connection"), "keep-alive");
      assert.equal(k?.body.toString(), "GET /k v10\n");
      expectClosed(c, 200);
    },
  },
  {
    name: "honours Connection: close on HTTP/1.1",
    steps: [{ request: get("/c", "Connection: close\r\n"), closes: true }],
    check: ([c]) => expectClosed(c, 200),
  },
  {
    name: "treats HTTP/1.2 as HTTP/1.1",
    steps: [{ request: "GET /v HTTP/1.2\r\nHost: t\r\n\r\n" }, ok],
    check: ([v, last]) => {
      assert.equal(expectStatus(v, 200).body.toString(), "GET /v v11\n");
      expectAfterOk(last);
    },
  },
  {
    name: "answers other major versions with 505",
    steps: [ok, bad("GET / HTTP/2.0\r\nHost: t\r\n\r\n"), bad("GET / HTTP/0.9\r\n\r\n")],
    check: ([first, v2, v09]) => {
      expectAfterOk(first);
      expectClosed(v2, 505);
      expectClosed(v09, 505);
    },
  },
  {
    name: "answers an HTTP/0.9 simple request with 400",
    steps: [bad("GET /\r\n")],
    check: ([r]) => expectClosed(r, 400),
  },
  {
    name: "rejects malformed versions with 400",
    steps: [
      bad("GET / http/1.1\r\nHost: t\r\n\r\n"),
      bad("GET / HTTP/1.10\r\nHost: t\r\n\r\n"),
      bad("GET / HTTP/1\r\nHost: t\r\n\r\n"),
      bad("GET /  HTTP/1.1\r\nHost: t\r\n\r\n"),
    ],
    check: (rs) => rs.forEach((r) => expectClosed(r, 400)),
  },
  {
    name: "ignores empty lines before a request-line",
    steps: [{ request: "\r\n\r\n" + get("/lead") }],
    check: ([r]) => assert.equal(expectStatus(r, 200).body.toString(), "GET /lead v11\n"),
  },
  {
    name: "answers OPTIONS with Allow, for a path and for *",
    steps: [
      { request: "OPTIONS /x HTTP/1.1\r\nHost: t\r\n\r\n" },
      { request: "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n" },
      ok,
    ],
    check: ([x, star, last]) => {
      assert.equal(expectStatus(x, 200).header("allow"), "GET, HEAD, OPTIONS");
      assert.equal(x?.header("content-length"), "0");
      assert.equal(expectStatus(star, 200).header("allow"), "GET, HEAD, OPTIONS");
      expectAfterOk(last);
    },
  },
  {
    name: "answers other registered methods with 405 and Allow, keeping the connection",
    steps: [
      { request: "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" },
      { request: "PUT /p HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n" },
      { request: "DELETE /p HTTP/1.1\r\nHost: t\r\n\r\n" },
      {
        request:
          "PATCH /p HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      },
      { request: "TRACE / HTTP/1.1\r\nHost: t\r\n\r\n" },
      { request: "CONNECT t:443 HTTP/1.1\r\nHost: t:443\r\n\r\n" },
      ok,
    ],
    check: (rs) => {
      for (const r of rs.slice(0, 6)) {
        assert.equal(expectStatus(r, 405).header("allow"), "GET, HEAD, OPTIONS");
      }
      expectAfterOk(rs[6]);
    },
  },
  {
    name: "answers unknown methods with 501 (methods are case-sensitive)",
    steps: [
      { request: "BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n" },
      { request: "get / HTTP/1.1\r\nHost: t\r\n\r\n" },
      ok,
    ],
    check: ([brew, lower, last]) => {
      expectStatus(brew, 501);
      expectStatus(lower, 501);
      expectAfterOk(last);
    },
  },
  {
    name: "requires exactly one valid Host on HTTP/1.1, not on 1.0",
    steps: [
      { request: "GET /h HTTP/1.0\r\n\r\n", closes: true },
      bad("GET / HTTP/1.1\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n"),
    ],
    check: ([v10, missing, twice, slash, at]) => {
      expectClosed(v10, 200);
      for (const r of [missing, twice, slash, at]) expectClosed(r, 400);
    },
  },
  {
    name: "accepts absolute-form targets and hands the handler their path and query",
    steps: [
      { request: "GET http://example.com/abs?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n" },
      { request: "GET HTTP://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n" },
      bad("GET ftp://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    ],
    check: ([abs, root, ftp]) => {
      assert.equal(expectStatus(abs, 200).body.toString(), "GET /abs?q=1 v11\n");
      assert.equal(expectStatus(root, 200).body.toString(), "GET / v11\n");
      expectClosed(ftp, 400);
    },
  },
  {
    name: "rejects bad request-targets with 400",
    steps: [
      bad("GET * HTTP/1.1\r\nHost: t\r\n\r\n"),
      bad("GET a/b HTTP/1.1\r\nHost: t\r\n\r\n"),
      bad("GET /a#frag HTTP/1.1\r\nHost: t\r\n\r\n"),
      bad("GET /\x7f HTTP/1.1\r\nHost: t\r\n\r\n"),
      bad("GET /\xe9 HTTP/1.1\r\nHost: t\r\n\r\n"),
    ],
    check: (rs) => rs.forEach((r) => expectClosed(r, 400)),
  },
  {
    name: "rejects Content-Length with Transfer-Encoding, and never answers the smuggled request",
    steps: [
      ok,
      bad(
        "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" +
          "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n",
      ),
      bad(
        "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n" +
          "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n",
      ),
    ],
    check: ([first, a, b]) => {
      expectAfterOk(first);
      expectClosed(a, 400);
      expectClosed(b, 400);
    },
  },
  {
    name: "rejects invalid and differing Content-Length with 400",
    steps: [
      bad("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 0x3\r\n\r\nabc"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 4\r\n\r\nabcd"),
    ],
    check: (rs) => rs.forEach((r) => expectClosed(r, 400)),
  },
  {
    name: "rejects a repeated Content-Length, even an identical one",
    steps: [ok, bad(get("/same", "Content-Length: 3\r\nContent-Length: 3\r\n") + "abc")],
    check: ([first, same]) => {
      expectAfterOk(first);
      expectClosed(same, 400);
    },
  },
  {
    name: "rejects obs-fold, whitespace before a colon and bad field names with 400",
    steps: [
      bad("GET / HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n  folded\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nX-A : 1\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nX-A\t: 1\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nX(A): 1\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: t\r\n: empty\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nno colon\r\n\r\n"),
    ],
    check: (rs) => rs.forEach((r) => expectClosed(r, 400)),
  },
  {
    name: "rejects bare CR, bare LF, NUL and other control bytes with 400",
    steps: [
      bad("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\nX-B: b\r\n\r\n"),
      bad("GET / HTTP/1.1\nHost: t\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\x01b\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\x7fb\r\n\r\n"),
      bad("GET /\x00 HTTP/1.1\r\nHost: t\r\n\r\n"),
    ],
    check: (rs) => rs.forEach((r) => expectClosed(r, 400)),
  },
  {
    name: "rejects invalid method characters with 400",
    steps: [
      bad("G@T / HTTP/1.1\r\nHost: t\r\n\r\n"),
      bad("GET\t/ HTTP/1.1\r\nHost: t\r\n\r\n"),
      bad(" GET / HTTP/1.1\r\nHost: t\r\n\r\n"),
    ],
    check: (rs) => rs.forEach((r) => expectClosed(r, 400)),
  },
  {
    name: "reads and discards a GET body, then answers the next request",
    steps: [
      { request: get("/cl", "Content-Length: 5\r\n") + "hello" },
      {
        request:
          get("/ch", "Transfer-Encoding: chunked\r\n") + "5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
      },
      { request: "HEAD /hb HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nGET" },
      ok,
    ],
    check: ([cl, ch, hb, last]) => {
      assert.equal(expectStatus(cl, 200).body.toString(), "GET /cl v11\n");
      assert.equal(expectStatus(ch, 200).body.toString(), "GET /ch v11\n");
      assert.equal(expectStatus(hb, 200).body.length, 0);
      expectAfterOk(last);
    },
  },
  {
    name: "answers a body past the limit with 413 and closes",
    steps: [
      bad(get("/big", "Content-Length: 2000\r\n")),
      bad(
        get("/big", "Transfer-Encoding: chunked\r\n") +
          "800\r\n" +
          "x".repeat(2048) +
          "\r\n0\r\n\r\n",
      ),
    ],
    check: (rs) => rs.forEach((r) => expectClosed(r, 413)),
  },
  {
    name: "answers unknown transfer codings with 501 and non-final chunked with 400",
    steps: [
      bad(get("/", "Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n"),
      bad(get("/", "Transfer-Encoding: chunked, gzip\r\n") + "0\r\n\r\n"),
      bad("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
      bad(get("/", "Transfer-Encoding: chunked\r\n") + "zz\r\n"),
    ],
    check: ([gzip, notLast, v10, badSize]) => {
      expectClosed(gzip, 501);
      expectClosed(notLast, 400);
      expectClosed(v10, 400);
      expectClosed(badSize, 400);
    },
  },
  {
    name: "enforces the target, head and header-count limits",
    steps: [
      bad(get("/" + "t".repeat(600))),
      bad(get("/", `X-Big: ${"h".repeat(2100)}\r\n`)),
      bad(get("/", "X-A: 1\r\n".repeat(25))),
      { request: get("/" + "t".repeat(400), "X-A: 1\r\n".repeat(15)) },
    ],
    check: ([target, head, count, fits]) => {
      expectClosed(target, 414);
      expectClosed(head, 431);
      expectClosed(count, 431);
      expectStatus(fits, 200);
    },
  },
  {
    name: "transmits file, segment and stream bodies",
    steps: [
      { request: get("/file") },
      { request: get("/segments") },
      { request: get("/stream") },
      { request: get("/stream-len") },
      { request: get("/async") },
      { request: "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", closes: true },
    ],
    check: ([file, segments, stream, streamLen, asyncPlan, stream10]) => {
      assert.deepEqual(expectStatus(file, 200).body, FILE_BYTES);
      assert.equal(expectStatus(segments, 206).body.toString(), "<0123456789|0123>");
      assert.equal(segments?.header("content-length"), "17");
      assert.equal(expectStatus(stream, 200).header("transfer-encoding"), "chunked");
      assert.equal(stream?.body.toString(), "abcde");
      assert.equal(expectStatus(streamLen, 200).header("content-length"), "5");
      assert.equal(streamLen?.body.toString(), "abcde");
      assert.equal(expectStatus(asyncPlan, 200).body.toString(), "async\n");
      // No chunked coding to 1.0: the body ends with the connection.
      expectClosed(stream10, 200);
      assert.equal(stream10?.header("transfer-encoding"), undefined);
      assert.equal(stream10?.body.toString(), "abcde");
    },
  },
  {
    name: "sends no body and no Content-Length with 204 and 304",
    steps: [{ request: get("/204") }, { request: get("/304") }, ok],
    check: ([n204, n304, last]) => {
      assert.equal(expectStatus(n204, 204).header("content-length"), undefined);
      assert.equal(expectStatus(n304, 304).header("content-length"), undefined);
      assert.equal(n304?.header("etag"), '"x"');
      expectAfterOk(last);
    },
  },
  {
    name: "answers a throwing or rejecting handler with 500 and closes",
    steps: [
      ok,
      bad(get("/throw")),
      bad(get("/reject")),
      bad(get("/missing-file")),
      bad(get("/bad-plan")),
      bad(get("/bad-async-plan")),
    ],
    check: ([first, thrown, rejected, missing, badPlan, badAsyncPlan]) => {
      expectClosed(badPlan, 500);
      expectClosed(badAsyncPlan, 500);
      expectAfterOk(first);
      expectClosed(thrown, 500);
      assert.equal(thrown?.body.toString(), "500 Internal Server Error\n");
      expectClosed(rejected, 500);
      expectClosed(missing, 404);
    },
  },
];

describe("HTTP protocol rules over raw sockets", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      limits: { maxHeadBytes: 2048, maxTargetBytes: 512, maxHeaderCount: 20, maxBodyBytes: 1024 },
    });
  });
  after(() => t.close());

  for (const mode of CONNECTION_MODES) {
    describe(`${mode} connections`, () => {
      for (const scenario of SCENARIOS) {
        it(scenario.name, async () => {
          const responses = await runSteps(t.port, mode, scenario.steps);
          assert.equal(responses.length, scenario.steps.length);
          scenario.check(responses);
        });
      }
    });
  }

  it("logs each handler failure once", () => {
    // Four modes, each with a throwing, a rejecting and two malformed plans.
    assert.equal(t.handlerErrors.length, 16);
  });
});

describe("response bodies a handler reuses", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  for (const mode of ["keep-alive", "pipelined"] as const) {
    it(`a rewritten buffer is sent as it is at each response (${mode})`, async () => {
      const rs = await runSteps(
        t.port,
        mode,
        [1, 2, 3, 4].map(() => ({ request: get("/scratch") })),
      );
      const counts = rs.map((r) => Number(r.body.toString("latin1")));
      assert.deepEqual(
        counts.map((n) => n - (counts[0] ?? 0)),
        [0, 1, 2, 3],
      );
    });

    it(`an unchanging body gives the same bytes every time (${mode})`, async () => {
      const rs = await runSteps(
        t.port,
        mode,
        [1, 2, 3].map(() => ({ request: get("/fixed") })),
      );
      for (const r of rs) {
        assert.equal(r.status, 200);
        assert.equal(r.body.toString("latin1"), "fixed body\n");
        assert.equal(r.header("content-length"), "11");
      }
    });
  }
});

describe("hooks and failures around queued requests", () => {
  it("a throwing access-log hook gives one answer, reports the error, and spares other requests", async () => {
    let calls = 0;
    const t = await startTestServer({
      onExchange: () => {
        calls++;
        throw new Error("log hook fails");
      },
    });
    try {
      const rs = await runSteps(t.port, "pipelined", [
        { request: get("/a") },
        { request: get("/b") },
        { request: get("/c") },
      ]);
      assert.deepEqual(
        rs.map((r) => [r.status, r.body.toString("latin1")]),
        [
          [200, "GET /a v11\n"],
          [200, "GET /b v11\n"],
          [200, "GET /c v11\n"],
        ],
      );
      assert.equal(calls, 3);
      assert.equal(t.handlerErrors.length, 3);
    } finally {
      await t.close();
    }
  });

  it("requests read together with a reset are not handled on the dead socket", async () => {
    let handled = 0;
    const t = await startTestServer({}, () => {
      handled++;
      return { status: 200, headers: "", body: { kind: "bytes", bytes: Buffer.from("hi") } };
    });
    try {
      const socket = await openSocket(t.port);
      socket.on("error", () => {});
      // Exactly 64 KiB, Node's read size: the server's read loop then reads again and meets
      // the reset in the same poll phase.
      const one = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
      const last = (pad: number): string =>
        `GET / HTTP/1.1\r\nHost: t\r\nX: ${"p".repeat(pad)}\r\n\r\n`;
      const bulk = one.repeat(2000);
      socket.write(bulk + last(65536 - bulk.length - last(0).length));
      socket.resetAndDestroy();
      // Same process: hold the event loop so the server reads the requests and the reset in
      // one poll phase, before their dispatch turn.
      const until = Date.now() + 100;
      while (Date.now() < until);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(handled, 0, `${handled} of 2,001 requests handled after the reset`);
    } finally {
      await t.close();
    }
  });
});

describe("requests per connection", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ limits: { maxRequestsPerConnection: 3 } });
  });
  after(() => t.close());

  for (const mode of ["keep-alive", "pipelined"] as const) {
    it(`closes after the limit (${mode})`, async () => {
      const rs = await runSteps(t.port, mode, [ok, ok, { request: get("/after"), closes: true }]);
      assert.equal(rs[0]?.header("connection"), undefined);
      assert.equal(rs[1]?.header("connection"), undefined);
      expectClosed(rs[2], 200);
    });
  }
});
