/**
 * Black-box tests of `tcpkit serve` file serving with raw bytes (no client normalises `..`):
 * the traversal corpus, dotfiles, symlinks, redirects, conditional requests, ranges (416,
 * multipart, If-Range), precompressed siblings, SPA, 404.html, CORS — each script run in the
 * four connection modes.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, statSync, utimesSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeEtag } from "../../src/static/file-table.js";
import { type RunningServer, startServe } from "../support/cli.js";
import { openSocket } from "../support/raw-socket.js";
import { CONNECTION_MODES, runSteps, type Step } from "../support/connection-modes.js";
import type { HttpResponse } from "../support/http-response.js";
import { makeStaticFixture, type StaticFixture } from "../support/static-fixture.js";

let fx: StaticFixture;
let plain: RunningServer;
let modes: RunningServer;
let www2: string;

before(async () => {
  fx = makeStaticFixture();
  www2 = join(fx.base, "www2");
  mkdirSync(join(www2, "assets"), { recursive: true });
  writeFileSync(join(www2, "index.html"), "<!doctype html><title>spa</title><p>app shell</p>\n");
  writeFileSync(join(www2, "404.html"), "<!doctype html><p>custom not found</p>\n");
  writeFileSync(join(www2, "assets", "app.js"), "console.log(1);\n");
  [plain, modes] = await Promise.all([
    startServe(fx.root),
    startServe(
      www2,
      "--spa",
      "--cors",
      "--header",
      "X-Frame-Options: DENY",
      "--cache-control",
      "max-age=60",
    ),
  ]);
});

after(async () => {
  await Promise.all([plain?.stop(), modes?.stop()]);
  fx?.remove();
});

/** Responses of a script, as a tuple long enough for every script here. */
type R = HttpResponse;
type Fixed = [R, R, R, R, R, R, R, R, R, R, R, R, R, R, R, R];

const get = (target: string, extra = "", method = "GET"): string =>
  `${method} ${target} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`;

/** Runs `steps` in every mode and checks each response with `check`. */
function inEveryMode(
  name: string,
  server: () => RunningServer,
  steps: () => Step[],
  check: (responses: HttpResponse[]) => void,
): void {
  for (const mode of CONNECTION_MODES) {
    it(`${name} [${mode}]`, async () => {
      const responses = await runSteps(server().port, mode, steps());
      check(responses);
    });
  }
}

describe("serve: traversal corpus (raw bytes)", () => {
  const corpus: [string, number][] = [
    ["/../outside.txt", 400],
    ["/../../../../etc/passwd", 400],
    ["/%2e%2e/outside.txt", 400],
    ["/%2E%2E/%2e%2e/etc/passwd", 400],
    ["/..%2foutside.txt", 400],
    ["/..%2f..%2fetc%2fpasswd", 400],
    ["/%2e%2e%5coutside.txt", 400],
    ["/..%5coutside.txt", 400],
    ["/../www-secret/secret.txt", 400],
    ["/docs/../../outside.txt", 400],
    ["/hello.txt%00.html", 400],
    ["/%00", 400],
    ["/%zz", 400],
    ["/%252e%252e/outside.txt", 404],
    ["/%252e%252e%252foutside.txt", 404],
    ["//etc/passwd", 404],
    ["///etc/passwd", 404],
    ["/link-out.txt", 404],
    ["/link-dir-out/outside.txt", 404],
    ["/link-dir-out/www-secret/secret.txt", 404],
    ["/.env", 404],
    ["/.git/config", 404],
    ["/%2egit/config", 404],
    ["/docs/.hidden", 404],
    ["/link-to-dotfile", 404],
    ["http://t/../outside.txt", 400],
    ["http://t/%2e%2e/outside.txt", 400],
    ["http://evil.example//etc/passwd", 404],
  ];
  inEveryMode(
    "never reaches a file outside the root or a dotfile",
    () => plain,
    () => corpus.map(([target]) => ({ request: get(target) })),
    (responses) => {
      responses.forEach((r, i) => {
        const [target, status] = corpus[i] as [string, number];
        assert.equal(r.status, status, target);
        assert.ok(!r.body.toString().includes("SECRET"), target);
        assert.ok(!r.body.toString().includes(fx.base), `no server path for ${target}`);
      });
    },
  );

  it("a backslash in the raw target never reaches a file", async () => {
    const [r] = await runSteps(plain.port, "fresh", [{ request: get("/..\\outside.txt") }]);
    assert.equal(r?.status, 400);
    assert.ok(!r.body.toString().includes("SECRET"));
  });
});

describe("serve: files, folders and redirects", () => {
  inEveryMode(
    "files, HEAD, folders, listings",
    () => plain,
    () => [
      { request: get("/hello.txt") },
      { request: get("/big.bin", "", "HEAD") },
      { request: get("/docs") },
      { request: get("/docs?sort=size&order=desc") },
      { request: get("//evil.example") },
      { request: get("/docs/") },
      { request: get("/docs/", "Accept: application/json\r\n") },
      { request: get("/%C3%A9vent%20space/%C3%A9t%C3%A9.txt") },
      { request: get("/link-in.txt") },
    ],
    (r) => {
      const [hello, headBig, redir, redirQ, evil, listing, json, utf8, linkIn] = r as Fixed;
      assert.equal(hello.status, 200);
      assert.equal(hello.body.toString(), "Hello, world!\n");
      assert.equal(hello.header("content-length"), "14");
      assert.equal(hello.header("content-type"), "text/plain; charset=utf-8");
      assert.equal(hello.header("accept-ranges"), "bytes");
      assert.equal(hello.header("cache-control"), "no-cache");
      assert.equal(headBig.status, 200);
      assert.equal(headBig.header("content-length"), String(fx.big.length));
      assert.equal(headBig.body.length, 0);
      assert.equal(redir.status, 301);
      assert.equal(redir.header("location"), "/docs/");
      assert.equal(redirQ.header("location"), "/docs/?sort=size&order=desc");
      assert.equal(evil.header("location"), "/evil.example/");
      assert.equal(listing.status, 200);
      assert.match(listing.body.toString(), /<a href="sub\/">sub\/<\/a>/);
      assert.ok(!listing.body.toString().includes(".hidden"));
      const names = (
        JSON.parse(json.body.toString()) as { entries: { name: string }[] }
      ).entries.map((e) => e.name);
      assert.deepEqual(names, ["sub", "<b>&.txt", "a.txt", "bigger.txt"]);
      assert.equal(utf8.body.toString(), "unicode\n");
      assert.equal(linkIn.body.toString(), "Hello, world!\n");
    },
  );
});

describe("serve: preconditions on a listing", () => {
  it("If-Match of a tag fails (412), If-None-Match: * holds (304), the rest give the listing", async () => {
    // RFC 9110 §13.2.1: a listing is a 200, so its preconditions are evaluated (nginx: the same).
    const r = await runSteps(plain.port, "keep-alive", [
      { request: get("/docs/", `If-Match: "x"\r\n`) },
      { request: get("/docs/", "If-None-Match: *\r\n") },
      { request: get("/docs/", "If-Match: *\r\n") },
      { request: get("/docs/", `If-None-Match: "x"\r\n`) },
      { request: get("/docs/", "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n") },
    ]);
    assert.deepEqual(
      r.map((x) => x.status),
      [412, 304, 200, 200, 200],
    );
    const notModified = r[1] as HttpResponse;
    assert.equal(notModified.header("vary"), "Accept");
    assert.equal(notModified.header("cache-control"), "no-cache");
    assert.equal(notModified.body.length, 0);
  });
});

describe("serve: conditional requests and ranges", () => {
  const etagOf = (rel: string): string => makeEtag(statSync(join(fx.root, rel)));
  inEveryMode(
    "304, 412, 206, 416, multipart, If-Range",
    () => plain,
    () => {
      const etag = etagOf("hello.txt");
      const lm = new Date(statSync(join(fx.root, "hello.txt")).mtimeMs).toUTCString();
      return [
        { request: get("/hello.txt", `If-None-Match: ${etag}\r\n`) },
        { request: get("/hello.txt", `If-Modified-Since: ${lm}\r\n`) },
        { request: get("/hello.txt", `If-None-Match: "other"\r\n`) },
        { request: get("/hello.txt", `If-Match: "other"\r\n`) },
        { request: get("/hello.txt", "Range: bytes=0-4\r\n") },
        { request: get("/big.bin", "Range: bytes=-10\r\n") },
        { request: get("/hello.txt", "Range: bytes=100-\r\n") },
        { request: get("/hello.txt", "Range: bytes=0-1,7-11\r\n") },
        { request: get("/hello.txt", "Range: bytes=0-1,7-11\r\n") },
        { request: get("/hello.txt", `Range: bytes=0-1\r\nIf-Range: "stale"\r\n`) },
        { request: get("/hello.txt", `Range: bytes=0-1\r\nIf-Range: ${etag}\r\n`) },
        { request: get("/hello.txt", "Range: bytes=Ran-dom, garbage\r\n") },
        { request: get("/empty.txt", "Range: bytes=0-\r\n") },
        { request: get("/hello.txt", "Range: bytes=100-\r\n", "HEAD") },
        { request: get("/hello.txt") },
      ];
    },
    (r) => {
      const [
        inm,
        ims,
        inmOther,
        ifMatch,
        one,
        suffix,
        unsat,
        multi,
        multiAgain,
        irStale,
        irOk,
        garbage,
        empty,
        headUnsat,
        last,
      ] = r as Fixed;
      assert.equal(inm.status, 304);
      assert.equal(inm.body.length, 0);
      assert.equal(inm.header("etag"), etagOf("hello.txt"));
      assert.equal(inm.header("content-type"), undefined);
      assert.equal(inm.header("content-length"), undefined);
      assert.equal(ims.status, 304);
      assert.equal(inmOther.status, 200);
      assert.equal(ifMatch.status, 412);
      assert.equal(one.status, 206);
      assert.equal(one.header("content-range"), "bytes 0-4/14");
      assert.equal(one.body.toString(), "Hello");
      assert.equal(suffix.status, 206);
      assert.deepEqual(suffix.body, fx.big.subarray(fx.big.length - 10));
      assert.equal(unsat.status, 416);
      assert.equal(unsat.header("content-range"), "bytes */14");
      assert.ok(!unsat.body.toString().includes("Hello"));
      assert.equal(multi.status, 206);
      const boundary = /boundary=(\w+)/.exec(multi.header("content-type") ?? "")?.[1] ?? "";
      assert.equal(
        multi.body.toString(),
        `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-1/14\r\n\r\nHe` +
          `\r\n--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 7-11/14\r\n\r\nworld` +
          `\r\n--${boundary}--\r\n`,
      );
      // A boundary of its own per answer: one seen once could be put inside an uploaded file.
      const again = /boundary=(\w+)/.exec(multiAgain.header("content-type") ?? "")?.[1];
      assert.match(again ?? "", /^[0-9a-f]{24}$/);
      assert.notEqual(again, boundary);
      assert.equal(irStale.status, 200);
      assert.equal(irStale.body.toString(), "Hello, world!\n");
      assert.equal(irOk.status, 206);
      assert.equal(irOk.body.toString(), "He");
      assert.equal(garbage.status, 200);
      assert.equal(empty.status, 200);
      assert.equal(empty.header("content-length"), "0");
      assert.equal(headUnsat.status, 416);
      assert.equal(headUnsat.body.length, 0);
      assert.equal(last.body.toString(), "Hello, world!\n", "stream still in sync");
    },
  );
});

describe("serve: a file dated in the future", () => {
  it("has a Last-Modified no later than Date, and If-Modified-Since of it answers 304", async () => {
    // RFC 9110 §8.8.2.1: a future mtime MUST be replaced by the message's date; sent as it is,
    // an If-Modified-Since carrying it would answer 304 even after the file is rewritten.
    const path = join(fx.root, "future.txt");
    writeFileSync(path, "from the future\n");
    const future = new Date("2099-01-01T00:00:00Z");
    utimesSync(path, future, future);
    const [first] = await runSteps(plain.port, "keep-alive", [{ request: get("/future.txt") }]);
    assert.equal(first?.status, 200);
    const lastModified = Date.parse(first.header("last-modified") ?? "");
    assert.ok(lastModified <= Date.parse(first.header("date") ?? ""), "Last-Modified after Date");
    const [again] = await runSteps(plain.port, "keep-alive", [
      { request: get("/future.txt", `If-Modified-Since: ${first.header("last-modified")}\r\n`) },
    ]);
    assert.equal(again?.status, 304);
  });
});

describe("serve: negotiation, SPA, 404.html, CORS, custom headers", () => {
  inEveryMode(
    "precompressed siblings",
    () => plain,
    () => [
      { request: get("/app.js", "Accept-Encoding: gzip, deflate, br\r\n") },
      { request: get("/app.js", "Accept-Encoding: br;q=0, gzip\r\n") },
      { request: get("/app.js", "Accept-Encoding: gzip\r\nRange: bytes=0-1\r\n") },
      { request: get("/app.js") },
      { request: get("/app.js", "Accept-Encoding: gzip\r\nRange: bytes=0-1,4-5\r\n") },
    ],
    (r) => {
      const [br, gz, gzRange, identity, gzMulti] = r as Fixed;
      assert.equal(br.header("content-encoding"), "br");
      assert.equal(br.header("content-type"), "text/javascript; charset=utf-8");
      assert.equal(br.header("vary"), "Accept-Encoding");
      assert.deepEqual(br.body, readFileSync(join(fx.root, "app.js.br")));
      assert.equal(gz.header("content-encoding"), "gzip");
      assert.deepEqual(gz.body, readFileSync(join(fx.root, "app.js.gz")));
      assert.notEqual(gz.header("etag"), identity.header("etag"));
      assert.equal(gzRange.status, 206);
      assert.deepEqual([...gzRange.body], [0x1f, 0x8b]);
      assert.equal(identity.header("content-encoding"), undefined);
      assert.deepEqual(identity.body, fx.appJs);
      // No multipart body under a Content-Encoding that does not describe it: the whole .gz.
      assert.equal(gzMulti.status, 200);
      assert.equal(gzMulti.header("content-encoding"), "gzip");
      assert.deepEqual(gzMulti.body, readFileSync(join(fx.root, "app.js.gz")));
    },
  );

  inEveryMode(
    "SPA fallback, 404.html, CORS preflight, --header, --cache-control",
    () => modes,
    () => [
      { request: get("/users/42", "Accept: text/html,*/*;q=0.8\r\n") },
      { request: get("/assets/missing.js", "Accept: text/html\r\n") },
      { request: get("/assets/app.js", "Origin: http://a.example\r\n") },
      {
        request: get(
          "/assets/app.js",
          "Origin: http://a.example\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: range\r\n",
          "OPTIONS",
        ),
      },
      { request: get("/assets/app.js", "", "OPTIONS") },
      { request: get("/assets/app.js", "", "POST") },
      { request: get("/users/42", "Accept: application/json\r\n") },
    ],
    (r) => {
      const [spa, missing, cors, preflight, options, post, script] = r as Fixed;
      assert.equal(spa.status, 200);
      assert.match(spa.body.toString(), /app shell/);
      assert.equal(spa.header("cache-control"), "max-age=60");
      // The same route answers a script's fetch with 404: both say they vary by Accept, so no
      // cache hands one's answer to the other (RFC 9110 §12.5.5).
      assert.equal(script.status, 404);
      for (const answer of [spa, script]) {
        assert.ok(
          (answer.header("vary") ?? "").split(/\s*,\s*/).includes("Accept"),
          `Vary: ${answer.header("vary")}`,
        );
      }
      assert.equal(missing.status, 404);
      assert.match(missing.body.toString(), /custom not found/);
      assert.equal(missing.header("content-type"), "text/html; charset=utf-8");
      // Not the files' max-age: a missing file is not cached as missing (nginx: no header).
      assert.equal(missing.header("cache-control"), "no-cache");
      assert.equal(missing.header("x-frame-options"), "DENY");
      assert.equal(cors.header("access-control-allow-origin"), "*");
      assert.equal(cors.header("x-frame-options"), "DENY");
      assert.equal(preflight.status, 204);
      assert.equal(preflight.header("access-control-allow-origin"), "*");
      assert.equal(preflight.header("access-control-allow-methods"), "GET, HEAD, OPTIONS");
      assert.equal(preflight.header("access-control-allow-headers"), "range");
      assert.equal(preflight.header("content-length"), undefined);
      assert.equal(options.status, 200);
      assert.equal(options.header("allow"), "GET, HEAD, OPTIONS");
      assert.equal(post.status, 405);
      assert.equal(post.header("allow"), "GET, HEAD, OPTIONS");
    },
  );
});

describe("serve: large files", () => {
  it("a file of many read chunks arrives intact, to a fast and to a slow reader, twice per connection", async () => {
    // The writer reuses its chunk buffer once the socket has written it: a slow reader (writes
    // pending) and a fast one must both get every byte. Two bodies are more than 8 MiB, so the
    // fast reader crosses from 32 KiB to 256 KiB chunks inside the second (READER_PROOF_BYTES).
    const big = randomBytes(5 * 1024 * 1024 + 12_345);
    writeFileSync(join(fx.root, "many-chunks.bin"), big);
    const request = "GET /many-chunks.bin HTTP/1.1\r\nHost: t\r\n\r\n";
    for (const slow of [false, true]) {
      const socket = await openSocket(plain.port);
      let all = Buffer.alloc(0);
      /** Where the two bodies start, once both have arrived whole. */
      const bodies = (): [number, number] | undefined => {
        const first = all.indexOf("\r\n\r\n") + 4;
        const second = first > 3 ? all.indexOf("\r\n\r\n", first + big.length) + 4 : 0;
        return second > 3 && all.length >= second + big.length ? [first, second] : undefined;
      };
      // Chunks are joined only once both bodies can be there: joined on every chunk (quadratic
      // copying of 10 MiB) a loaded machine took past the old 20 s deadline, and the partial
      // bytes then failed as a wrong SHA-256, as if the server had sent other bytes.
      let pending: Buffer[] = [];
      let received = 0;
      await new Promise<void>((resolve) => {
        const deadline = setTimeout(resolve, 120_000);
        socket.on("data", (chunk: Buffer) => {
          pending.push(chunk);
          received += chunk.length;
          if (received >= 2 * big.length) {
            all = Buffer.concat([all, ...pending]);
            pending = [];
          }
          if (bodies() !== undefined) {
            clearTimeout(deadline);
            resolve();
          } else if (slow) {
            socket.pause();
            setTimeout(() => socket.resume(), 1);
          }
        });
        socket.write(request + request);
      });
      socket.destroy();
      all = Buffer.concat([all, ...pending]);
      assert.ok(bodies() !== undefined, `slow=${slow}: ${all.length} bytes, not both bodies`);
      const [first, second] = bodies() ?? [0, 0];
      const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
      assert.equal(sha(all.subarray(first, first + big.length)), sha(big), `first, slow=${slow}`);
      assert.equal(
        sha(all.subarray(second, second + big.length)),
        sha(big),
        `second, slow=${slow}`,
      );
    }
  });
});

describe("serve: HEAD", () => {
  const targets: [string, string][] = [
    ["/hello.txt", ""],
    ["/big.bin", ""],
    ["/big.bin", "Range: bytes=10-19\r\n"],
    ["/big.bin", "Range: bytes=0-0,-1\r\n"],
    ["/hello.txt", "Range: bytes=99-\r\n"],
    ["/app.js", "Accept-Encoding: br\r\n"],
    ["/docs/", ""],
    ["/docs", ""],
    ["/nope", ""],
    ["/../x", ""],
  ];
  inEveryMode(
    "HEAD gets the head GET gets, without the body",
    () => plain,
    () =>
      targets.flatMap(([t, extra]) => [
        { request: get(t, extra) },
        { request: get(t, extra, "HEAD") },
      ]),
    (r) => {
      const strip = (x: HttpResponse): string =>
        x.fieldLines
          .filter(([n]) => n.toLowerCase() !== "date")
          .map(([n, v]) => `${n}: ${v.replace(/boundary=\w+/, "boundary=B")}`)
          .join("\n");
      for (let i = 0; i < targets.length; i++) {
        const g = r[2 * i] as HttpResponse;
        const h = r[2 * i + 1] as HttpResponse;
        const what = targets[i]?.join(" ");
        assert.equal(h.status, g.status, what);
        assert.equal(strip(h), strip(g), what);
        assert.equal(h.body.length, 0, what);
        assert.equal(g.body.length, Number(g.header("content-length")), what);
      }
    },
  );
});

describe("serve: a changed file is seen by the next request", () => {
  it("over one keep-alive connection", async () => {
    const path = join(fx.root, "docs", "sub", "c.txt");
    const first = await runSteps(plain.port, "keep-alive", [{ request: get("/docs/sub/c.txt") }]);
    writeFileSync(path, "changed, and longer\n");
    const second = await runSteps(plain.port, "keep-alive", [{ request: get("/docs/sub/c.txt") }]);
    assert.equal(first[0]?.body.toString(), "c\n");
    assert.equal(second[0]?.body.toString(), "changed, and longer\n");
  });

  it("by every request sent after the change, while 20 keep-alive clients load the file", async () => {
    // Under load the server shares one stat among the requests of an event-loop turn; a
    // request sent after the change must still never get the old bytes.
    const path = join(fx.root, "docs", "busy.txt");
    writeFileSync(path, "old\n");
    let changed = false;
    let stop = false;
    const seen: { afterChange: boolean; body: string }[] = [];
    const client = async (): Promise<void> => {
      const socket = await openSocket(plain.port);
      let pending = Buffer.alloc(0);
      let wake: (() => void) | undefined;
      socket.on("data", (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        wake?.();
      });
      try {
        while (!stop) {
          const afterChange = changed;
          socket.write("GET /docs/busy.txt HTTP/1.1\r\nHost: t\r\n\r\n");
          for (;;) {
            const end = pending.indexOf("\r\n\r\n");
            const length = /content-length: (\d+)/i.exec(pending.toString("latin1", 0, end));
            if (end >= 0 && length && pending.length >= end + 4 + Number(length[1])) {
              const total = end + 4 + Number(length[1]);
              seen.push({ afterChange, body: pending.toString("latin1", end + 4, total) });
              pending = pending.subarray(total);
              break;
            }
            await new Promise<void>((resolve) => (wake = resolve));
          }
        }
      } finally {
        socket.destroy();
      }
    };
    const clients = Array.from({ length: 20 }, client);
    // Each phase lasts until it has more than 40 answers (at least 150 ms, at most 10 s): on a
    // busy machine 150 ms may not hold 20 of them.
    const loaded = async (count: () => number): Promise<void> => {
      const started = Date.now();
      while (Date.now() - started < 10_000 && (Date.now() - started < 150 || count() <= 40)) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await loaded(() => seen.length);
    writeFileSync(path, "new, and longer\n");
    changed = true;
    await loaded(() => seen.filter((r) => r.afterChange).length);
    stop = true;
    await Promise.all(clients);
    const after = seen.filter((r) => r.afterChange);
    assert.ok(seen.length - after.length > 20 && after.length > 20, "both phases loaded");
    assert.deepEqual(
      after.filter((r) => r.body !== "new, and longer\n"),
      [],
      "a request sent after the change got the old file",
    );
  });
});
