// `tcpkit get` when the network or the server is unreliable, and when nothing needs fetching:
// retries (back-off, Retry-After, resuming a body cut short), -N and ETag round trips, RFC 9530
// digests and --checksum on single downloads, and many URLs over one kept-alive connection.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { runCli } from "../support/cli.js";
import {
  FIXED_LAST_MODIFIED,
  reprDigestOf,
  sha256Etag,
  startRangeServer,
} from "../support/range-server.js";

const BODY = randomBytes(300_000);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

let root: string;
let cwd: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-resilience-"));
});
after(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  cwd = mkdtempSync(join(root, "cwd-"));
});
const get = (args: string[]) => runCli(["get", ...args], { cwd });

describe("tcpkit get --retry", () => {
  it("retries transient failures with back-off until the server answers", async () => {
    const server = await startRangeServer({
      body: () => BODY,
      intercept: (request, res, socket) => {
        if (request.n === 1)
          socket.destroy(); // reset
        else if (request.n === 2) res.writeHead(503).end("busy");
        else if (request.n === 3) res.writeHead(502).end("bad gateway");
        else return false;
        return true;
      },
    });
    try {
      const r = await get(["--retry", "3", "--retry-delay", "0.01", server.url()]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(server.requests.length, 4);
      assert.match(r.stderr, /retry 1 of 3 in [\d.]+ s/);
      assert.match(r.stderr, /HTTP 503 .*; retry 2 of 3/);
      assert.equal(sha256(readFileSync(join(cwd, "file.bin"))), sha256(BODY));
      // Too few retries: the last failure is the answer (HTTP 502: exit 3), nothing saved.
      const dir = mkdtempSync(join(root, "few-"));
      const before = server.requests.length;
      const again = await startRangeServer({
        body: () => BODY,
        intercept: (_request, res) => {
          res.writeHead(503).end();
          return true;
        },
      });
      const few = await runCli(["get", "--retry", "2", "--retry-delay", "0.01", again.url()], {
        cwd: dir,
      });
      assert.equal(few.code, 3, few.stderr);
      assert.equal(again.requests.length, 3);
      assert.equal(server.requests.length, before);
      await again.close();
    } finally {
      await server.close();
    }
  });

  it("waits as long as Retry-After says", async () => {
    const server = await startRangeServer({
      body: () => BODY,
      intercept: (request, res) => {
        if (request.n > 1) return false;
        res.writeHead(429, { "Retry-After": "1" }).end();
        return true;
      },
    });
    try {
      const r = await get(["--retry", "1", "--retry-delay", "0.01", server.url()]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /retry 1 of 1 in 1\.0 s \(Retry-After\)/);
      const [first, second] = server.requests;
      assert.ok((second?.at ?? 0) - (first?.at ?? 0) >= 950);
    } finally {
      await server.close();
    }
  });

  it("continues a body cut short with Range + If-Range instead of starting over", async () => {
    const server = await startRangeServer({
      body: () => BODY,
      intercept: (request, res, socket) => {
        if (request.n > 1) return false;
        res.writeHead(200, {
          "Content-Length": BODY.length,
          ETag: sha256Etag(BODY),
          "Last-Modified": FIXED_LAST_MODIFIED,
        });
        res.write(BODY.subarray(0, 100_000), () => setTimeout(() => socket.destroy(), 50));
        return true;
      },
    });
    try {
      const r = await get(["--retry", "1", "--retry-delay", "0.01", server.url()]);
      assert.equal(r.code, 0, r.stderr);
      const second = server.requests[1];
      assert.equal(second?.range, "bytes=100000-");
      assert.equal(second?.ifRange, sha256Etag(BODY));
      assert.equal(server.bytesSent(), BODY.length - 100_000);
      assert.equal(sha256(readFileSync(join(cwd, "file.bin"))), sha256(BODY));
    } finally {
      await server.close();
    }
  });

  it("sends an ETag back in If-Range with the bytes the server sent (obs-text), and resumes", async () => {
    // RFC 9110 §8.8.3: etagc includes obs-text. Sent back as UTF-8 it did not match: restart.
    const server = await startRangeServer({
      body: () => BODY,
      etag: () => '"caf\u00e9"',
      intercept: (request, res, socket) => {
        if (request.n > 1) return false;
        res.writeHead(200, { "Content-Length": BODY.length, ETag: '"caf\u00e9"' });
        res.write(BODY.subarray(0, 100_000), () => setTimeout(() => socket.destroy(), 50));
        return true;
      },
    });
    try {
      const r = await get(["--retry", "1", "--retry-delay", "0.01", server.url()]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(server.requests[1]?.ifRange, '"caf\u00e9"');
      assert.equal(server.bytesSent(), BODY.length - 100_000);
      assert.equal(sha256(readFileSync(join(cwd, "file.bin"))), sha256(BODY));
    } finally {
      await server.close();
    }
  });

  it("-o - never splices two versions: a retry's 206 with another ETag fails, exit 1", async () => {
    // The server ignores If-Range: the retry's range comes from a new version of the file.
    const v2 = Buffer.from(BODY).reverse();
    const server = await startRangeServer({
      body: () => BODY,
      intercept: (request, res, socket) => {
        if (request.n === 1) {
          res.writeHead(200, { "Content-Length": BODY.length, ETag: sha256Etag(BODY) });
          res.write(BODY.subarray(0, 100_000), () => setTimeout(() => socket.destroy(), 50));
        } else {
          res.writeHead(206, {
            "Content-Range": `bytes 100000-${v2.length - 1}/${v2.length}`,
            "Content-Length": v2.length - 100_000,
            ETag: sha256Etag(v2),
          });
          res.end(v2.subarray(100_000));
        }
        return true;
      },
    });
    try {
      const r = await get(["--retry", "1", "--retry-delay", "0.01", "-o", "-", server.url()]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(server.requests[1]?.ifRange, sha256Etag(BODY));
      assert.match(
        r.stderr,
        /\ntcpkit: the server sent part of another version \(its ETag changed\); cannot continue after the 100000 bytes already written to the output\n$/,
      );
      assert.ok(r.stdoutBytes.equals(BODY.subarray(0, 100_000)));
    } finally {
      await server.close();
    }
  });
});

describe("tcpkit get -N and ETags", () => {
  it("-N skips an up-to-date file (304), and replaces an older one", async () => {
    const server = await startRangeServer({ body: () => BODY });
    try {
      const file = join(cwd, "file.bin");
      writeFileSync(file, "local copy");
      const lm = Date.parse(FIXED_LAST_MODIFIED) / 1000;
      utimesSync(file, lm, lm);
      const same = await get(["-N", server.url()]);
      assert.equal(same.code, 0, same.stderr);
      assert.match(same.stderr, /file\.bin is up to date/);
      assert.equal(server.requests[0]?.ifModifiedSince, FIXED_LAST_MODIFIED);
      assert.equal(readFileSync(file, "utf8"), "local copy");
      utimesSync(file, lm - 86400, lm - 86400);
      const older = await get(["-N", server.url()]);
      assert.equal(older.code, 0, older.stderr);
      assert.ok(readFileSync(file).equals(BODY));
      assert.ok(!existsSync(join(cwd, "file.bin.1")));
    } finally {
      await server.close();
    }
  });

  it("--etag-save then --etag-compare: a 304 leaves the file untouched, exit 0", async () => {
    const server = await startRangeServer({ body: () => BODY });
    try {
      const first = await get(["--etag-save", "etag.txt", "-o", "out.bin", server.url()]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(readFileSync(join(cwd, "etag.txt"), "utf8"), `${sha256Etag(BODY)}\n`);
      writeFileSync(join(cwd, "out.bin"), "kept");
      const second = await get(["--etag-compare", "etag.txt", "-o", "out.bin", server.url()]);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(server.requests[1]?.ifNoneMatch, sha256Etag(BODY));
      assert.match(second.stderr, /up to date: .*304/);
      assert.equal(readFileSync(join(cwd, "out.bin"), "utf8"), "kept");
    } finally {
      await server.close();
    }
  });
});

describe("tcpkit get: digests", () => {
  it("checks Repr-Digest on a whole and on a resumed download", async () => {
    const server = await startRangeServer({ body: () => BODY, reprDigest: reprDigestOf });
    try {
      const whole = await get([server.url()]);
      assert.equal(whole.code, 0, whole.stderr);
      assert.match(whole.stderr, /Repr-Digest sha256 verified/);
      const part = join(cwd, "resumed.bin.part");
      writeFileSync(part, BODY.subarray(0, 1000));
      const lm = Date.parse(FIXED_LAST_MODIFIED) / 1000;
      utimesSync(part, lm, lm);
      const resumed = await get(["-c", "-o", "resumed.bin", server.url()]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(server.requests.at(-1)?.range, "bytes=1000-");
      assert.match(resumed.stderr, /299000 new\).*Repr-Digest sha256 verified/);
    } finally {
      await server.close();
    }
  });

  it("a Repr-Digest mismatch is one line, exit 1, NAME.part kept", async () => {
    const server = await startRangeServer({
      body: () => BODY,
      reprDigest: () => reprDigestOf(Buffer.from("something else")),
    });
    try {
      const r = await get([server.url()]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^tcpkit: \S*file\.bin\.part: sha256 does not match the server's Repr-Digest \(expected :\S+:, got :\S+:\); kept as \S*file\.bin\.part for inspection\n$/,
      );
      assert.ok(!existsSync(join(cwd, "file.bin")));
      assert.equal(statSync(join(cwd, "file.bin.part")).size, BODY.length);
    } finally {
      await server.close();
    }
  });

  it("-c after a mismatch never names the rejected file, whatever a 416 that ignores If-Range says", async () => {
    // The server's digest is wrong, and it answers a range past the end with 416 without
    // evaluating If-Range: with its Last-Modified (another version than the If-Range sent), or
    // with its Repr-Digest only. Either way file.bin.part is not "already complete".
    const wrong = reprDigestOf(Buffer.from("something else"));
    for (const fields of [{ "Last-Modified": FIXED_LAST_MODIFIED }, { "Repr-Digest": wrong }]) {
      const server = await startRangeServer({
        body: () => BODY,
        reprDigest: () => wrong,
        intercept: (request, res) => {
          if (request.range !== `bytes=${BODY.length}-`) return false;
          res.writeHead(416, { ...fields, "Content-Range": `bytes */${BODY.length}` }).end();
          return true;
        },
      });
      const dir = mkdtempSync(join(root, "rejected-"));
      try {
        const first = await runCli(["get", server.url()], { cwd: dir });
        assert.equal(first.code, 1, first.stderr);
        const again = await runCli(["get", "-c", server.url()], { cwd: dir });
        assert.equal(again.code, 1, again.stderr);
        assert.match(again.stderr, /does not match the server's Repr-Digest.*file\.bin\.part/);
        assert.doesNotMatch(again.stderr, /already complete/);
        assert.ok(!existsSync(join(dir, "file.bin")));
        assert.equal(statSync(join(dir, "file.bin.part")).size, BODY.length);
      } finally {
        await server.close();
      }
    }
  });

  it("-c of NAME itself (no NAME.part) that fails its digest leaves NAME.part, not NAME", async () => {
    const server = await startRangeServer({
      body: () => BODY,
      reprDigest: () => reprDigestOf(Buffer.from("something else")),
    });
    try {
      // A partial NAME from another tool, stamped as tcpkit and wget stamp: If-Range matches.
      const name = join(cwd, "file.bin");
      writeFileSync(name, BODY.subarray(0, 1000));
      const lm = Date.parse(FIXED_LAST_MODIFIED) / 1000;
      utimesSync(name, lm, lm);
      const r = await get(["-c", server.url()]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(server.requests.at(-1)?.range, "bytes=1000-");
      assert.match(r.stderr, /does not match .*; kept as \S*file\.bin\.part for inspection\n$/);
      assert.ok(!existsSync(name));
      assert.equal(statSync(`${name}.part`).size, BODY.length);
    } finally {
      await server.close();
    }
  });

  it("--checksum ALG=HEX checks the file; a bad value is a usage error", async () => {
    const server = await startRangeServer({ body: () => BODY });
    try {
      const good = await get(["--checksum", `sha256=${sha256(BODY)}`, server.url()]);
      assert.equal(good.code, 0, good.stderr);
      assert.match(good.stderr, /--checksum sha256 verified/);
      const bad = await get(["--checksum", `sha256=${"0".repeat(64)}`, "-o", "x", server.url()]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /x\.part: sha256 does not match --checksum \(expected 0{64}, got/);
      const usage = await get(["--checksum", "sha256=abc", server.url()]);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /--checksum: a sha256 checksum is 64 hexadecimal digits/);
    } finally {
      await server.close();
    }
  });
});

describe("tcpkit get with several URLs", () => {
  const small = Array.from({ length: 100 }, (_, i) => Buffer.from(`file ${i}\n`));

  it("downloads 100 URLs over one kept-alive connection (and pipelined), -i FILE too", async () => {
    const server = await startRangeServer({
      body: () => Buffer.alloc(0),
      intercept: (request, res) => {
        const i = Number(/\/f(\d+)$/.exec(request.path)?.[1]);
        res.writeHead(200, { "Content-Length": small[i]?.length ?? 0 }).end(small[i]);
        return true;
      },
    });
    try {
      const urls = small.map((_, i) => server.url(`/f${i}`));
      const r = await get(["-q", ...urls]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(server.connections(), 1);
      for (let i = 0; i < 100; i++)
        assert.ok(readFileSync(join(cwd, `f${i}`)).equals(small[i] as Buffer));
      writeFileSync(join(root, "urls.txt"), `# a list\n\n${urls.join("\n")}\n`);
      const dir = mkdtempSync(join(root, "piped-"));
      const piped = await runCli(["get", "--pipeline", "-i", join(root, "urls.txt")], { cwd: dir });
      assert.equal(piped.code, 0, piped.stderr);
      assert.equal(server.connections(), 2);
      assert.match(piped.stderr, /100 URLs: 100 done; .* over 1 connection\n$/);
    } finally {
      await server.close();
    }
  });

  it("--pipeline to a server that resets pipelined connections sends each request again", async () => {
    // One request per connection, like an HTTP/1.0 server: a connection that brings more is
    // reset unanswered (the reset that discards a first response sent before it).
    let resets = 0;
    const server = createServer((socket) => {
      let text = "";
      socket.on("error", () => {});
      // What arrives within 100 ms of the first byte decides: pipelined requests come together.
      socket.once("data", () => setTimeout(answer, 100));
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      const answer = (): void => {
        if (text.split("\r\n\r\n").length > 2) {
          resets++;
          socket.resetAndDestroy();
          return;
        }
        const target = /^GET (\S+)/.exec(text)?.[1] ?? "";
        socket.end(`HTTP/1.0 200 OK\r\nContent-Length: ${target.length}\r\n\r\n${target}`);
      };
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      const names = ["a", "b", "c", "d"];
      const urls = names.map((n) => `http://127.0.0.1:${port}/${n}`);
      const r = await get(["-q", "--pipeline", ...urls]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(resets > 0);
      for (const n of names) assert.equal(readFileSync(join(cwd, n), "latin1"), `/${n}`);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("exits with the worst code of all and says so in a summary", async () => {
    const server = await startRangeServer({
      body: () => BODY,
      intercept: (request, res) => {
        if (request.path !== "/missing") return false;
        res.writeHead(404).end();
        return true;
      },
    });
    try {
      const some = await get([server.url("/a"), server.url("/missing")]);
      assert.equal(some.code, 3);
      assert.match(some.stderr, /2 URLs: 1 done, 1 failed/);
      const worse = await get([
        server.url("/missing"),
        "http://127.0.0.1:1/refused",
        server.url("/b"),
      ]);
      assert.equal(worse.code, 1);
      assert.ok(existsSync(join(cwd, "b")));
    } finally {
      await server.close();
    }
  });

  it("-w prints curl's variables per transfer; --write-out json one object per line", async () => {
    const server = await startRangeServer({ body: () => BODY });
    try {
      const r = await get([
        "-q",
        "-w",
        "%{http_code} %{size_download} %{num_connects} %{url_effective}\\n",
        server.url("/a"),
        server.url("/b"),
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        `200 300000 1 ${server.url("/a")}\n200 300000 0 ${server.url("/b")}\n`,
      );
      const j = await get(["-q", "--write-out", "json", "-o", "x", server.url("/c")]);
      const report = JSON.parse(j.stdout) as Record<string, number | string>;
      assert.equal(report.http_code, 200);
      assert.equal(report.remote_ip, "127.0.0.1");
      assert.equal(report.remote_port, server.port);
      for (const t of ["time_connect", "time_pretransfer", "time_starttransfer", "time_total"]) {
        assert.equal(typeof report[t], "number", t);
      }
      const phases = ["time_connect", "time_pretransfer", "time_starttransfer", "time_total"].map(
        (t) => report[t] as number,
      );
      assert.deepEqual(
        [...phases].sort((a, b) => a - b),
        phases,
      );
      const unknown = await get(["-w", "%{nope}", server.url()]);
      assert.equal(unknown.code, 2);
    } finally {
      await server.close();
    }
  });

  it("-w gives the status of a transfer that saved nothing: a 404, a 503, -I (as curl)", async () => {
    const server = await startRangeServer({
      body: () => BODY,
      intercept: (request, res) => {
        if (request.path === "/file.bin") return false;
        res.writeHead(request.path === "/missing" ? 404 : 503).end("no");
        return true;
      },
    });
    try {
      const format = "%{http_code} %{http_version} %{remote_ip} %{exitcode}\\n";
      const r = await get(["-q", "-w", format, server.url("/missing"), server.url("/busy")]);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, "404 1.1 127.0.0.1 3\n503 1.1 127.0.0.1 3\n");
      const head = await get(["-q", "-I", "-w", "%{http_code}\\n", server.url()]);
      assert.equal(head.code, 0, head.stderr);
      assert.match(head.stdout, /\r\n\r\n200\n$/);
    } finally {
      await server.close();
    }
  });
});
