/**
 * The canned site shared by the `tcpkit get` CLI tests: fixed response bytes per path (redirect
 * chains and loops, short bodies, bad chunks, a Range-aware and a Range-ignoring file, a stall),
 * plus a fresh working directory per test inside a temp root, so any escape would be seen.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, beforeEach } from "node:test";
import { runCli, type CliResult } from "./cli.js";
import { startCannedServer, type CannedRequest, type CannedServer } from "./canned-server.js";

export const BODY = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz\n".repeat(50));
export const LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT";
const GZIPPED_HELLO = gzipSync("hello\n");

export function ok(body: Buffer | string, extra = ""): string {
  const b = typeof body === "string" ? body : body.toString("latin1");
  return `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(b, "latin1")}\r\n${extra}\r\n${b}`;
}

/** The canned site: each path answers with fixed bytes or decides from the request. */
function route(request: CannedRequest): string {
  const path = request.target;
  switch (path) {
    case "/file.txt":
    case "/dir/file.txt":
    case "/":
      return ok("hello\n");
    case "/big.bin":
      return rangedBody(request, true);
    case "/no-range.bin":
      return rangedBody(request, false);
    case "/missing":
      return "HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n";
    case "/short":
      return "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly 17 bytes!!!\n";
    case "/bad-chunk":
      return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n";
    case "/gzip-te":
      // A transfer coding never asked for (no TE sent): the body is not the file's bytes.
      return `HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${GZIPPED_HELLO.length.toString(16)}\r\n${GZIPPED_HELLO.toString("latin1")}\r\n0\r\n\r\n`;
    case "/bad-status":
      return "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nhi";
    case "/chunked":
      return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n";
    case "/disposition":
      return ok("cd\n", 'Content-Disposition: attachment; filename="../../evil.txt"\r\n');
    case "/r1":
      return "HTTP/1.1 301 Moved\r\nLocation: /r2\r\nContent-Length: 0\r\n\r\n";
    case "/r2":
      return "HTTP/1.1 302 Found\r\nLocation: sub/r3\r\nContent-Length: 5\r\n\r\nmoved";
    case "/sub/r3":
      return "HTTP/1.1 303 See Other\r\nLocation: ../r4?q=1\r\n\r\n";
    case "/r4?q=1":
      return `HTTP/1.1 307 Temporary\r\nLocation: http://${request.field("host")}/r5\r\nContent-Length: 0\r\n\r\n`;
    case "/r5":
      return "HTTP/1.1 308 Permanent\r\nLocation: /final.txt\r\nContent-Length: 0\r\n\r\n";
    case "/final.txt":
      return ok("final\n");
    case "/loop-a":
      return "HTTP/1.1 302 Found\r\nLocation: /loop-b\r\nContent-Length: 0\r\n\r\n";
    case "/loop-b":
      return "HTTP/1.1 302 Found\r\nLocation: /loop-a\r\nContent-Length: 0\r\n\r\n";
    default:
      if (path.startsWith("/hop/")) {
        const n = Number(path.slice(5));
        return `HTTP/1.1 302 Found\r\nLocation: /hop/${n + 1}\r\nContent-Length: 0\r\n\r\n`;
      }
      return ok(`target=${path}\n`);
  }
}

/** BODY, honouring `Range: bytes=N-` (with If-Range on LAST_MODIFIED) only if `honour`. */
function rangedBody(request: CannedRequest, honour: boolean): string {
  const range = /^bytes=(\d+)-$/.exec(request.field("range") ?? "");
  const ifRange = request.field("if-range");
  const lm = `Last-Modified: ${LAST_MODIFIED}\r\n`;
  if (honour && range !== null && (ifRange === undefined || ifRange === LAST_MODIFIED)) {
    const start = Number(range[1]);
    if (start >= BODY.length) {
      return `HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */${BODY.length}\r\nContent-Length: 0\r\n\r\n`;
    }
    const part = BODY.subarray(start).toString("latin1");
    return (
      `HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ${start}-${BODY.length - 1}/${BODY.length}\r\n` +
      `Content-Length: ${part.length}\r\n${lm}\r\n${part}`
    );
  }
  return ok(BODY, lm);
}
/** What a test of the canned site works with; valid inside its `it` callbacks. */
export interface CannedSite {
  readonly server: CannedServer;
  /** The temp root holding every test's working directory. */
  readonly root: string;
  /** This test's working directory (inside root). */
  readonly cwd: string;
  /** Runs `tcpkit get ...args` in cwd. */
  get(args: string[]): Promise<CliResult>;
  /** The names in cwd, sorted. */
  files(): string[];
}

/** Registers before/after hooks that start the canned site and give each test a fresh cwd. */
export function useCannedSite(): CannedSite {
  let server: CannedServer | undefined;
  let root = "";
  let cwd = "";
  before(async () => {
    server = await startCannedServer((request, socket) => {
      if (request.target !== "/stall") return route(request);
      // Half the promised body, then silence with the connection open.
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\nLast-Modified: ${LAST_MODIFIED}\r\n\r\n`,
      );
      socket.write(BODY.subarray(0, 1000));
      return undefined;
    });
    root = mkdtempSync(join(tmpdir(), "tcpkit-get-"));
  });
  after(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    cwd = mkdtempSync(join(root, "cwd-"));
  });
  return {
    get server() {
      return server as CannedServer;
    },
    get root() {
      return root;
    },
    get cwd() {
      return cwd;
    },
    get: (args) => runCli(["get", ...args], { cwd }),
    files: () => readdirSync(cwd).sort(),
  };
}
