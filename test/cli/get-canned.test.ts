// `tcpkit get` (the built CLI) against canned net servers: exit codes, messages, output naming,
// no overwrite, no escape from the current directory, partial files, redirects, resume.
import assert from "node:assert/strict";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { spawn } from "node:child_process";
import { CLI_PATH, runCli } from "../support/cli.js";
import {
  startCannedServer,
  type CannedRequest,
  type CannedServer,
} from "../support/canned-server.js";

const BODY = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz\n".repeat(50));
const LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT";

function ok(body: Buffer | string, extra = ""): string {
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

describe("tcpkit get against canned servers", () => {
  let server: CannedServer;
  let root: string;
  let cwd: string;

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
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    // A fresh working directory inside `root`, so escapes would land in `root` and be seen.
    cwd = mkdtempSync(join(root, "cwd-"));
  });

  const get = (args: string[]) => runCli(["get", ...args], { cwd });
  const files = () => readdirSync(cwd).sort();

  it("saves to the last path segment and prints one saved line", async () => {
    const r = await get([server.url("/dir/file.txt")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(files(), ["file.txt"]);
    assert.equal(readFileSync(join(cwd, "file.txt"), "utf8"), "hello\n");
    assert.match(r.stderr, /^tcpkit get: saved file\.txt \(6 bytes\)\n$/);
  });

  it("saves / as index.html", async () => {
    const r = await get([server.url("/")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(files(), ["index.html"]);
  });

  it("never overwrites silently: NAME.1, NAME.2, reported; --force and -o overwrite", async () => {
    writeFileSync(join(cwd, "file.txt"), "mine");
    const r1 = await get([server.url("/file.txt")]);
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stderr, /file\.txt exists; saving to .*file\.txt\.1/);
    const r2 = await get([server.url("/file.txt")]);
    assert.equal(r2.code, 0);
    assert.deepEqual(files(), ["file.txt", "file.txt.1", "file.txt.2"]);
    assert.equal(readFileSync(join(cwd, "file.txt"), "utf8"), "mine");
    assert.equal((await get(["--force", server.url("/file.txt")])).code, 0);
    assert.equal(readFileSync(join(cwd, "file.txt"), "utf8"), "hello\n");
    writeFileSync(join(cwd, "named"), "mine");
    assert.equal((await get(["-o", "named", server.url("/file.txt")])).code, 0);
    assert.equal(readFileSync(join(cwd, "named"), "utf8"), "hello\n");
  });

  it("never writes outside the current directory, whatever the URL or Content-Disposition", async () => {
    const attempts = [
      "/..",
      "/%2e%2e",
      "/a/%2e%2e%2f%2e%2e%2fescape1",
      "/..%2fescape2",
      "/..%5cescape3",
      "/%2fetc%2fescape4",
      "/.hidden",
      "/nul%00byte",
      "/disposition",
    ];
    for (const path of attempts) {
      const r = await get(["-q", server.url(path)]);
      assert.equal(r.code, 0, `${path}: ${r.stderr}`);
    }
    assert.deepEqual(
      readdirSync(root).filter((n) => !n.startsWith("cwd-")),
      [],
    );
    for (const name of files()) {
      assert.ok(!name.startsWith("."), name);
      assert.ok(statSync(join(cwd, name)).isFile(), name);
    }
    assert.ok(!existsSync(join(root, "evil.txt")));
    assert.ok(files().includes("disposition"));
    assert.ok(files().includes("_hidden"));
  });

  it("sends the path with its percent-encoding as typed", async () => {
    const target = "/a%2Fb/%7e/%2e%2e/x%20y?q=%41&r=/..";
    const r = await get(["-o", "-", server.url(target)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `target=${target}\n`);
  });

  it("sends an HTTP/1.1 request head with Host, User-Agent, Accept and Connection: close", async () => {
    const before = server.requests.length;
    await get(["-q", "-o", "-", server.url("/file.txt")]);
    const req = server.requests[before] as CannedRequest;
    assert.equal(req.version, "HTTP/1.1");
    assert.equal(req.field("host"), `127.0.0.1:${server.port}`);
    assert.match(req.field("user-agent") ?? "", /^tcpkit\/\d+\.\d+\.\d+/);
    assert.equal(req.field("accept"), "*/*");
    assert.equal(req.field("connection"), "close");
  });

  it("-0 sends HTTP/1.0; -H adds a header", async () => {
    const before = server.requests.length;
    await get(["-q", "-0", "-H", "X-Test: yes", "-o", "-", server.url("/file.txt")]);
    const req = server.requests[before] as CannedRequest;
    assert.match(req.raw, /^GET \/file\.txt HTTP\/1\.0\r\n/);
    assert.equal(req.field("connection"), undefined);
    assert.equal(req.field("x-test"), "yes");
  });

  it("-o - writes the body to stdout, de-chunked", async () => {
    const r = await get(["-o", "-", server.url("/chunked")]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "abc");
    assert.deepEqual(files(), []);
  });

  it("-i prints the response head on stdout; --trace prints both heads on stderr", async () => {
    const r = await get(["-i", "--trace", "-o", "-", server.url("/file.txt")]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n");
    const peer = `\\[127\\.0\\.0\\.1:${server.port}\\]`;
    assert.match(r.stderr, new RegExp(`^${peer} > GET /file\\.txt HTTP/1\\.1$`, "m"));
    assert.match(r.stderr, new RegExp(`^${peer} > Host: 127\\.0\\.0\\.1:${server.port}$`, "m"));
    assert.match(r.stderr, new RegExp(`^${peer} < HTTP/1\\.1 200 OK$`, "m"));
    assert.match(r.stderr, new RegExp(`^${peer} < Content-Length: 6$`, "m"));
  });

  it("exits 3 on 404 without saving; --save-errors saves the body and still exits 3", async () => {
    const r = await get([server.url("/missing")]);
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      /^tcpkit: HTTP 404 Not Found from http:\/\/127\.0\.0\.1:\d+\/missing\n$/,
    );
    assert.deepEqual(files(), []);
    const s = await get(["--save-errors", server.url("/missing")]);
    assert.equal(s.code, 3);
    assert.equal(readFileSync(join(cwd, "missing"), "utf8"), "not found\n");
  });

  it("exits 1 on a short body, keeping NAME.part and saying so", async () => {
    const r = await get([server.url("/short")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /body shorter than Content-Length: got 17 of 100 bytes/);
    assert.match(r.stderr, /partial file kept as .*short\.part \(17 bytes\); resume with -c/);
    assert.deepEqual(files(), ["short.part"]);
  });

  it("exits 1 on a malformed chunk and on a malformed status line", async () => {
    const chunk = await get([server.url("/bad-chunk")]);
    assert.equal(chunk.code, 1);
    assert.match(chunk.stderr, /malformed chunk size/);
    assert.deepEqual(files(), ["bad-chunk.part"]);
    const status = await get([server.url("/bad-status")]);
    assert.equal(status.code, 1);
    assert.match(
      status.stderr,
      /^tcpkit: bad response from 127\.0\.0\.1:\d+: malformed status line 'HTTP\/1\.1 20 OK'\n$/,
    );
    assert.deepEqual(files(), ["bad-chunk.part"]);
  });

  it("follows 301, 302, 303, 307 and 308 with relative Locations, naming the file after the URL asked for", async () => {
    const r = await get(["--trace", server.url("/r1")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(files(), ["r1"]);
    assert.equal(readFileSync(join(cwd, "r1"), "utf8"), "final\n");
    for (const target of ["/r2", "/sub/r3", "/r4?q=1", "/r5", "/final.txt"]) {
      assert.ok(r.stderr.includes(`> GET ${target} HTTP/1.1`), target);
    }
  });

  it("reports a redirect loop and too many redirects, exit 1", async () => {
    const loop = await get([server.url("/loop-a")]);
    assert.equal(loop.code, 1);
    assert.match(loop.stderr, /^tcpkit: redirect loop: .*\/loop-a -> .*\/loop-b -> .*\/loop-a\n$/);
    const many = await get(["--max-redirects", "3", server.url("/hop/0")]);
    assert.equal(many.code, 1);
    assert.match(many.stderr, /too many redirects \(more than 3\)/);
    assert.equal((await get(["--max-redirects", "0", server.url("/r5")])).code, 1);
    assert.deepEqual(files(), []);
  });

  it("-c resumes NAME.part with Range and If-Range", async () => {
    const part = join(cwd, "big.bin.part");
    writeFileSync(part, BODY.subarray(0, 700));
    const lm = Date.parse(LAST_MODIFIED) / 1000;
    utimesSync(part, lm, lm);
    const before = server.requests.length;
    const r = await get(["-c", server.url("/big.bin")]);
    assert.equal(r.code, 0, r.stderr);
    const req = server.requests[before] as CannedRequest;
    assert.equal(req.field("range"), "bytes=700-");
    assert.equal(req.field("if-range"), LAST_MODIFIED);
    assert.deepEqual(files(), ["big.bin"]);
    assert.ok(readFileSync(join(cwd, "big.bin")).equals(BODY));
    assert.match(r.stderr, /saved big\.bin \(1850 bytes, 1150 new\)/);
    const again = await get(["-c", server.url("/big.bin")]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /already complete/);
    assert.ok(readFileSync(join(cwd, "big.bin")).equals(BODY));
  });

  it("-c restarts cleanly when the validator changed or the server ignores the range", async () => {
    for (const path of ["/big.bin", "/no-range.bin"]) {
      const name = path.slice(1);
      // Wrong bytes with a fresh mtime: If-Range will not match on /big.bin.
      writeFileSync(join(cwd, `${name}.part`), Buffer.alloc(500, 0x78));
      const r = await get(["-c", server.url(path)]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /restarting from the beginning/);
      assert.ok(readFileSync(join(cwd, name)).equals(BODY), name);
      assert.ok(!existsSync(join(cwd, `${name}.part`)));
    }
  });

  it("-c keeps the partial file untouched on an HTTP error", async () => {
    writeFileSync(join(cwd, "missing.part"), "keep me");
    const r = await get(["-c", "--save-errors", server.url("/missing")]);
    assert.equal(r.code, 3);
    assert.equal(readFileSync(join(cwd, "missing.part"), "utf8"), "keep me");
  });

  it("exits 2 on usage errors", async () => {
    for (const args of [
      [],
      ["ftp://x/"],
      ["http://"],
      ["--max-redirects", "x", "http://h/"],
      ["-c", "-o", "-", "http://h/"],
    ]) {
      const r = await get(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, /^tcpkit: .*\n$/);
    }
  });

  it("exits 1 when the connection is refused or the server never answers", async () => {
    const silent = await startCannedServer(() => undefined);
    const port = silent.port;
    const r = await get(["--timeout", "0.5", silent.url("/x")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no response from 127\.0\.0\.1:\d+ within 0\.5 s/);
    await silent.close();
    const refused = await get([`http://127.0.0.1:${port}/x`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /connection refused by 127\.0\.0\.1:\d+/);
    assert.deepEqual(files(), []);
  });

  it("fetches from an IPv6 literal", async () => {
    const v6 = await startCannedServer(() => ok("six\n"), "::1");
    try {
      const r = await get(["-o", "-", v6.url("/x")]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "six\n");
      assert.equal(v6.requests[0]?.field("host"), `[::1]:${v6.port}`);
    } finally {
      await v6.close();
    }
  });

  it("times out when the server goes quiet mid-body, keeping the partial file", async () => {
    const r = await get(["--timeout", "0.5", server.url("/stall")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /sent nothing for 0\.5 s \(after 1000 body bytes\)/);
    assert.match(r.stderr, /partial file kept as .*stall\.part \(1000 bytes\); resume with -c/);
    assert.equal(statSync(join(cwd, "stall.part")).size, 1000);
  });

  it("on Ctrl-C keeps the partial file stamped with Last-Modified, so -c can resume it", async () => {
    const child = spawn(process.execPath, [CLI_PATH, "get", server.url("/stall")], {
      cwd,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const part = join(cwd, "stall.part");
    for (let i = 0; i < 200 && !(existsSync(part) && statSync(part).size === 1000); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGINT");
    assert.equal(await exited, 1);
    assert.match(stderr, /interrupted.*partial file kept as .*stall\.part \(1000 bytes\)/);
    assert.equal(statSync(part).mtime.toUTCString(), LAST_MODIFIED);
    assert.ok(readFileSync(part).equals(BODY.subarray(0, 1000)));
  });

  it("draws one progress line on a terminal, and none with -q or without a terminal", async () => {
    const command = (flags: string) =>
      `${process.execPath} ${CLI_PATH} get ${flags} -o out ${server.url("/big.bin")}`;
    const tty = spawnScript(command(""), cwd);
    const quiet = spawnScript(command("-q"), cwd);
    const [withTty, withQuiet] = await Promise.all([tty, quiet]);
    const redraw = "\r\x1b[2K";
    assert.ok(withTty.includes(`${redraw}100%  1.8 KiB of 1.8 KiB`), JSON.stringify(withTty));
    assert.ok(!withQuiet.includes(redraw), JSON.stringify(withQuiet));
    const plain = await get(["-o", "out2", server.url("/big.bin")]);
    assert.ok(!plain.stderr.includes("\x1b") && !plain.stderr.includes("%"), plain.stderr);
  });

  it("--trace summarises the body", async () => {
    const r = await get(["--trace", "-o", "-", server.url("/file.txt")]);
    assert.match(r.stderr, /^\[127\.0\.0\.1:\d+\] < \[body 6 bytes\]$/m);
  });

  it("prints help with the exit codes", async () => {
    const r = await runCli(["get", "--help"]);
    assert.equal(r.code, 0);
    assert.ok(r.stdout.includes("Exit codes:\n  0  saved\n  1  network or protocol error"));
    assert.ok(r.stdout.includes("\n  3  HTTP status >= 400"));
  });
});

/** Runs a shell command under script(1), so that it has a terminal; resolves with what it printed. */
function spawnScript(command: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("latin1")));
    child.stderr.on("data", (c: Buffer) => (out += c.toString("latin1")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("error", reject);
    child.once("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
