// `tcpkit get` (the built CLI) against a canned site: where the body goes. Output naming, no
// overwrite, no escape from the current directory, stdout, partial files, resume, Ctrl-C,
// progress on a terminal.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CLI_PATH } from "../support/cli.js";
import { CLI_RUNTIME } from "../support/runtime.js";
import { BODY, LAST_MODIFIED, useCannedSite } from "../support/canned-site.js";
import type { Socket } from "node:net";
import { startCannedServer, type CannedRequest } from "../support/canned-server.js";

describe("tcpkit get: output files", () => {
  const site = useCannedSite();
  const get = (args: string[]) => site.get(args);
  const files = () => site.files();

  it("saves to the last path segment and prints one saved line", async () => {
    const r = await get([site.server.url("/dir/file.txt")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(files(), ["file.txt"]);
    assert.equal(readFileSync(join(site.cwd, "file.txt"), "utf8"), "hello\n");
    assert.match(
      r.stderr,
      /^tcpkit get: saved file\.txt \(6 bytes\) in \d+\.\d s, [\d.]+ [KMG]?i?B\/s\n$/,
    );
  });

  it("saves / as index.html", async () => {
    const r = await get([site.server.url("/")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(files(), ["index.html"]);
  });

  it("never overwrites silently: NAME.1, NAME.2, reported; --force and -o overwrite", async () => {
    writeFileSync(join(site.cwd, "file.txt"), "mine");
    const r1 = await get([site.server.url("/file.txt")]);
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stderr, /file\.txt exists; saving to .*file\.txt\.1/);
    const r2 = await get([site.server.url("/file.txt")]);
    assert.equal(r2.code, 0);
    assert.deepEqual(files(), ["file.txt", "file.txt.1", "file.txt.2"]);
    assert.equal(readFileSync(join(site.cwd, "file.txt"), "utf8"), "mine");
    assert.equal((await get(["--force", site.server.url("/file.txt")])).code, 0);
    assert.equal(readFileSync(join(site.cwd, "file.txt"), "utf8"), "hello\n");
    writeFileSync(join(site.cwd, "named"), "mine");
    assert.equal((await get(["-o", "named", site.server.url("/file.txt")])).code, 0);
    assert.equal(readFileSync(join(site.cwd, "named"), "utf8"), "hello\n");
  });

  it("--parallel with two URLs of the same name saves each whole, as NAME and NAME.1", async () => {
    // Both bodies are written in turns, piece by piece, once both requests are in: the two
    // transfers overlap. They used to share NAME.part: NAME was a mix, the other one lost.
    const size = 1 << 20;
    const bodies = { "/a/same.bin": "a", "/b/same.bin": "b" } as Record<string, string>;
    const waiting: Socket[] = [];
    const server = await startCannedServer((request, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      waiting.push(Object.assign(socket, { letter: bodies[request.target] ?? "?" }));
      if (waiting.length === 2) void interleave(waiting as (Socket & { letter: string })[]);
      return undefined;
    });
    const interleave = async (sockets: (Socket & { letter: string })[]) => {
      for (let sent = 0; sent < size; sent += 1 << 16) {
        for (const s of sockets) s.write(Buffer.alloc(1 << 16, s.letter));
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    try {
      const urls = [server.url("/a/same.bin"), server.url("/b/same.bin")];
      const r = await get(["--parallel", "2", ...urls]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(files(), ["same.bin", "same.bin.1"]);
      const saved = files().map((f) => readFileSync(join(site.cwd, f), "latin1"));
      assert.deepEqual(saved.sort(), ["a".repeat(size), "b".repeat(size)]);
    } finally {
      await server.close();
    }
  });

  it("--force and -c with --parallel never let two transfers write one NAME.part", async () => {
    const size = 1 << 20;
    const server = await startCannedServer((request, socket) => {
      const letter = request.target.startsWith("/a/") ? "a" : "b";
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
      void (async () => {
        for (let sent = 0; sent < size && !socket.destroyed; sent += 1 << 16) {
          socket.write(Buffer.alloc(1 << 16, letter));
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      return undefined;
    });
    try {
      const urls = [server.url("/a/same.bin"), server.url("/b/same.bin")];
      for (const flag of ["--force", "-c"]) {
        const r = await get([flag, "--parallel", "2", ...urls]);
        assert.equal(r.code, 1, flag);
        assert.match(r.stderr, /same\.bin is being downloaded by another transfer of this run\n/);
        assert.deepEqual(files(), ["same.bin"]);
        const saved = readFileSync(join(site.cwd, "same.bin"), "latin1");
        assert.ok(saved === "a".repeat(size) || saved === "b".repeat(size), flag);
        rmSync(join(site.cwd, "same.bin"));
      }
    } finally {
      await server.close();
    }
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
      const r = await get(["-q", site.server.url(path)]);
      assert.equal(r.code, 0, `${path}: ${r.stderr}`);
    }
    assert.deepEqual(
      readdirSync(site.root).filter((n) => !n.startsWith("cwd-")),
      [],
    );
    for (const name of files()) {
      assert.ok(!name.startsWith("."), name);
      assert.ok(statSync(join(site.cwd, name)).isFile(), name);
    }
    assert.ok(!existsSync(join(site.root, "evil.txt")));
    assert.ok(files().includes("disposition"));
    assert.ok(files().includes("_hidden"));
  });

  it("a file that cannot be made is one line naming it, exit 1: a missing folder, a folder", async () => {
    const missing = await get(["-o", "no/such/x", site.server.url("/file.txt")]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tcpkit: cannot write \S*no\/such\/x\.part: ENOENT: [^\n]*\n$/);
    const folder = await get(["-o", ".", site.server.url("/file.txt")]);
    assert.equal(folder.code, 1);
    // A folder's size is not bytes received: no "partial file kept" claim.
    assert.match(folder.stderr, /^tcpkit: cannot write the output: EISDIR: [^;\n]*\n$/);
    assert.deepEqual(files(), []);
  });

  it("-o - writes the body to stdout, de-chunked", async () => {
    const r = await get(["-o", "-", site.server.url("/chunked")]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "abc");
    assert.deepEqual(files(), []);
  });

  it("--include prints the response head on stdout; --trace prints both heads on stderr", async () => {
    const r = await get(["--include", "--trace", "-o", "-", site.server.url("/file.txt")]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n");
    const peer = `\\[127\\.0\\.0\\.1:${site.server.port}\\]`;
    assert.match(r.stderr, new RegExp(`^${peer} > GET /file\\.txt HTTP/1\\.1$`, "m"));
    assert.match(
      r.stderr,
      new RegExp(`^${peer} > Host: 127\\.0\\.0\\.1:${site.server.port}$`, "m"),
    );
    assert.match(r.stderr, new RegExp(`^${peer} < HTTP/1\\.1 200 OK$`, "m"));
    assert.match(r.stderr, new RegExp(`^${peer} < Content-Length: 6$`, "m"));
  });

  it("exits 3 on 404 without saving; --save-errors saves the body and still exits 3", async () => {
    const r = await get([site.server.url("/missing")]);
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      /^tcpkit: HTTP 404 Not Found from http:\/\/127\.0\.0\.1:\d+\/missing\n$/,
    );
    assert.deepEqual(files(), []);
    const s = await get(["--save-errors", site.server.url("/missing")]);
    assert.equal(s.code, 3);
    assert.equal(readFileSync(join(site.cwd, "missing"), "utf8"), "not found\n");
  });

  it("exits 1 on a short body, keeping NAME.part and saying so", async () => {
    const r = await get([site.server.url("/short")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /body shorter than Content-Length: got 17 of 100 bytes/);
    assert.match(r.stderr, /partial file kept as .*short\.part \(17 bytes\); resume with -c/);
    assert.deepEqual(files(), ["short.part"]);
  });

  it("a partial file under a numbered name says the command that resumes it, and it does", async () => {
    // Plain -c would continue (or restart over) the user's own `stall`, not stall.1.part.
    writeFileSync(join(site.cwd, "stall"), "mine");
    const r = await get(["--timeout", "1", site.server.url("/stall")]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /partial file kept as \S*stall\.1\.part \(1000 bytes\); resume with -c -o stall\.1\n$/,
    );
    const before = site.server.requests.length;
    const again = await get(["--timeout", "1", "-c", "-o", "stall.1", site.server.url("/stall")]);
    assert.equal(again.code, 1, again.stderr);
    assert.equal(site.server.requests[before]?.field("range"), "bytes=1000-");
    assert.equal(readFileSync(join(site.cwd, "stall"), "utf8"), "mine");
  });

  it("-c resumes NAME.part with Range and If-Range", async () => {
    const part = join(site.cwd, "big.bin.part");
    writeFileSync(part, BODY.subarray(0, 700));
    const lm = Date.parse(LAST_MODIFIED) / 1000;
    utimesSync(part, lm, lm);
    const before = site.server.requests.length;
    const r = await get(["-c", site.server.url("/big.bin")]);
    assert.equal(r.code, 0, r.stderr);
    const req = site.server.requests[before] as CannedRequest;
    assert.equal(req.field("range"), "bytes=700-");
    assert.equal(req.field("if-range"), LAST_MODIFIED);
    assert.deepEqual(files(), ["big.bin"]);
    assert.ok(readFileSync(join(site.cwd, "big.bin")).equals(BODY));
    assert.match(r.stderr, /saved big\.bin \(1850 bytes, 1150 new\)/);
    const again = await get(["-c", site.server.url("/big.bin")]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /already complete/);
    assert.ok(readFileSync(join(site.cwd, "big.bin")).equals(BODY));
  });

  it("-c restarts cleanly when the validator changed or the server ignores the range", async () => {
    for (const path of ["/big.bin", "/no-range.bin"]) {
      const name = path.slice(1);
      // Wrong bytes with a fresh mtime: If-Range will not match on /big.bin.
      writeFileSync(join(site.cwd, `${name}.part`), Buffer.alloc(500, 0x78));
      const r = await get(["-c", site.server.url(path)]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /restarting from the beginning/);
      assert.ok(readFileSync(join(site.cwd, name)).equals(BODY), name);
      assert.ok(!existsSync(join(site.cwd, `${name}.part`)));
    }
  });

  it("-c keeps the partial file untouched on an HTTP error", async () => {
    writeFileSync(join(site.cwd, "missing.part"), "keep me");
    const r = await get(["-c", "--save-errors", site.server.url("/missing")]);
    assert.equal(r.code, 3);
    assert.equal(readFileSync(join(site.cwd, "missing.part"), "utf8"), "keep me");
  });

  it("on Ctrl-C keeps the partial file stamped with Last-Modified, so -c can resume it", async () => {
    const child = spawn(CLI_RUNTIME, [CLI_PATH, "get", site.server.url("/stall")], {
      cwd: site.cwd,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const part = join(site.cwd, "stall.part");
    for (let i = 0; i < 200 && !(existsSync(part) && statSync(part).size === 1000); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGINT");
    assert.equal(await exited, 130);
    assert.match(stderr, /interrupted.*partial file kept as .*stall\.part \(1000 bytes\)/);
    assert.equal(statSync(part).mtime.toUTCString(), LAST_MODIFIED);
    assert.ok(readFileSync(part).equals(BODY.subarray(0, 1000)));
  });

  it("--include into a closed pipe fails with one line and exit 1, not a crash", async () => {
    const child = spawn(CLI_RUNTIME, [CLI_PATH, "get", "--include", site.server.url("/big.bin")], {
      cwd: site.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Our end of the pipe is closed before the child writes: every write to stdout is EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    assert.equal(code, 1, stderr);
    assert.match(stderr, /^tcpkit: cannot write to stdout: write EPIPE[^\n]*\n$/);
  });

  it("draws one progress line on a terminal, and none with -q or without a terminal", async () => {
    const command = (flags: string) =>
      `${CLI_RUNTIME} ${CLI_PATH} get ${flags} -o out ${site.server.url("/big.bin")}`;
    const tty = spawnScript(command(""), site.cwd);
    const quiet = spawnScript(command("-q"), site.cwd);
    const [withTty, withQuiet] = await Promise.all([tty, quiet]);
    const redraw = "\r\x1b[2K";
    assert.ok(withTty.includes(`${redraw}100%  1.8 KiB of 1.8 KiB`), JSON.stringify(withTty));
    assert.ok(!withQuiet.includes(redraw), JSON.stringify(withQuiet));
    const plain = await get(["-o", "out2", site.server.url("/big.bin")]);
    assert.ok(!plain.stderr.includes("\x1b") && !plain.stderr.includes("%"), plain.stderr);
  });

  it("--trace summarises the body", async () => {
    const r = await get(["--trace", "-o", "-", site.server.url("/file.txt")]);
    assert.match(r.stderr, /^\[127\.0\.0\.1:\d+\] < \[body 6 bytes\]$/m);
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
