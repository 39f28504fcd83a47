// `tcpkit get` against hostile servers (issue 18): each case here was a fault found by attacking
// the client, and fails on the code before its fix. Truncated resumes saved as complete, bytes
// lost from a partial file, smuggling through chunk extensions and non-OWS whitespace, C0/C1
// controls reaching the terminal, a refused redirect blamed on the user, a dripped head.
import assert from "node:assert/strict";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { runCli } from "../support/cli.js";
import { startCannedServer, type CannedServer } from "../support/canned-server.js";

const LM = "Wed, 21 Oct 2015 07:28:00 GMT";
const WHOLE = Buffer.from("x".repeat(1000));

let root: string;
let cwd: string;
let server: CannedServer;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-hostile-"));
  server = await startCannedServer(async (request, socket) => {
    switch (request.target) {
      case "/truncated-range":
        // Asked for bytes=400-, answers only 400-499 of 1000 (item 7).
        return `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 400-499/1000\r\nContent-Length: 100\r\nLast-Modified: ${LM}\r\nConnection: close\r\n\r\n${"x".repeat(100)}`;
      case "/range-length-lies":
        // 400-999 is 600 bytes, Content-Length says 50 (item 7).
        return `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 400-999/1000\r\nContent-Length: 50\r\nLast-Modified: ${LM}\r\nConnection: close\r\n\r\n${"x".repeat(50)}`;
      case "/cut": {
        // 4 MiB promised, 2 MiB sent, then the connection closes (item 11).
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${4 << 20}\r\n\r\n`);
        socket.write(Buffer.alloc(2 << 20, 0x61));
        return Buffer.alloc(0);
      }
      case "/smuggle":
        // The extension's quoted-string hides a whole second response (item 12).
        return 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a="\r\nXX\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"\r\nab\r\n0\r\n\r\n';
      case "/nbsp-chunked":
        // Not chunked (0xA0 is not OWS), so a coding tcpkit does not know (item 10).
        return Buffer.from(
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\xa0\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
          "latin1",
        );
      case "/c1":
        // A C1 control (CSI) and ESC in the reason phrase and a field (item 15).
        // (C1 bytes are obs-text, which field values and reason phrases may hold; C0 are refused.)
        return Buffer.from(
          "HTTP/1.1 404 Not\x9b31m Found\r\nX-Evil: \x9b2J\x9d0;title\x9c\r\nContent-Length: 0\r\n\r\n",
          "latin1",
        );
      case "/to-file":
        return "HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n";
      case "/drip": {
        // One byte of head every 200 ms, forever as far as the client knows (item 17).
        const head = "HTTP/1.1 200 OK\r\nX-Slow: " + "y".repeat(200);
        for (let i = 0; i < head.length && !socket.destroyed; i++) {
          socket.write(head[i] as string);
          await new Promise((r) => setTimeout(r, 200));
        }
        return undefined;
      }
      default:
        return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    }
  });
});
after(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  cwd = mkdtempSync(join(root, "cwd-"));
});
const get = (args: string[], timeoutMs?: number) =>
  runCli(["get", ...args], { cwd, ...(timeoutMs ? { timeoutMs } : {}) });

/** A 400-byte partial file stamped with the server's Last-Modified, ready for -c. */
function partial(name: string): string {
  const path = join(cwd, `${name}.part`);
  writeFileSync(path, WHOLE.subarray(0, 400));
  const t = Date.parse(LM) / 1000;
  utimesSync(path, t, t);
  return path;
}

describe("tcpkit get against hostile servers", () => {
  it("-c never saves a truncated range as complete (issue 18 item 7)", async () => {
    const path = partial("truncated-range");
    const r = await get(["-c", server.url("/truncated-range")]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /the server sent bytes 400-499 of 1000, not the rest of the file/);
    assert.ok(!existsSync(join(cwd, "truncated-range")));
    // Still a valid prefix, holding what was received.
    assert.equal(statSync(path).size, 500);
  });

  it("-c refuses a 206 whose Content-Length disagrees with its Content-Range, file untouched", async () => {
    const path = partial("range-length-lies");
    const r = await get(["-c", server.url("/range-length-lies")]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /Content-Range 'bytes 400-999\/1000' is 600 bytes but Content-Length says 50/,
    );
    assert.ok(!existsSync(join(cwd, "range-length-lies")));
    assert.equal(statSync(path).size, 400);
  });

  it("a failed transfer keeps every body byte received, and says the same number (item 11)", async () => {
    const r = await get([server.url("/cut")]);
    assert.equal(r.code, 1);
    const size = statSync(join(cwd, "cut.part")).size;
    assert.equal(size, 2 << 20);
    assert.match(r.stderr, /got 2097152 of 4194304 bytes/);
    assert.match(r.stderr, /partial file kept as \S*cut\.part \(2097152 bytes\)/);
  });

  it("a chunk extension with an unterminated quoted-string is refused, nothing smuggled (item 12)", async () => {
    const r = await get([server.url("/smuggle")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /quoted-string in a chunk extension/);
    assert.ok(!existsSync(join(cwd, "smuggle")));
  });

  it("Transfer-Encoding 'chunked' followed by 0xA0 is not chunked (item 10)", async () => {
    // Never decoded as chunked (which would print "abc"): an unknown coding, refused.
    const r = await get(["-o", "-", server.url("/nbsp-chunked")]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /: unsupported Transfer-Encoding 'chunked\\xa0'\n$/);
  });

  it("no peer byte reaches the terminal as a C0 or C1 control (item 15)", async () => {
    const r = await get(["--trace", "-o", "-", server.url("/c1")]);
    assert.equal(r.code, 3);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(r.stderr, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    assert.match(r.stderr, /< X-Evil: \\x9b2J\\x9d0;title\\x9c$/m);
    assert.match(r.stderr, /< HTTP\/1\.1 404 Not\\x9b31m Found$/m);
    assert.match(r.stderr, /^tcpkit: HTTP 404 Not\\x9b31m Found from /m);
  });

  it("a redirect to another scheme is reported as the server's redirect, refused (item 17)", async () => {
    const r = await get([server.url("/to-file")]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^tcpkit: refused the redirect from http:\/\/127\.0\.0\.1:\d+\/to-file to 'file:\/\/\/etc\/passwd': unsupported scheme 'file' \(only http and https\)\n$/,
    );
  });

  it("a response head dripped one byte at a time ends at the head deadline (item 17)", async () => {
    const started = Date.now();
    const r = await get(["--timeout", "1", server.url("/drip")], 10_000);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no complete response head from 127\.0\.0\.1:\d+ within 1 s/);
    assert.ok(Date.now() - started < 5000);
  });

  it("a body written by a truncating server is never given the final name", async () => {
    const r = await get(["-o", "named.bin", server.url("/cut")]);
    assert.equal(r.code, 1);
    assert.ok(!existsSync(join(cwd, "named.bin")));
    assert.ok(readFileSync(join(cwd, "named.bin.part")).every((b) => b === 0x61));
  });
});
