/**
 * `tcpkit serve --upload` against real clients (issue 14): curl -T (PUT) and -F (the form's
 * multipart/form-data), byte-exact by SHA-256; every refused name; 413 before writing; a body
 * cut off leaves nothing; two PUTs of one name never interleave; a file-size limit gives 507 and
 * no temporary file; without --upload, PUT is 405 as before.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CLI_PATH,
  processMemory,
  startCli,
  startServe,
  type RunningServer,
} from "../support/cli.js";
import { exchange, openSocket } from "../support/raw-socket.js";
import { CLI_RUNTIME } from "../support/runtime.js";
import { runTool } from "../support/tools.js";

let base: string;
let root: string;
let inbox: string;
let server: RunningServer;
let url: string;

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

before(async () => {
  base = mkdtempSync(join(tmpdir(), "tcpkit-upload-"));
  root = join(base, "root");
  inbox = join(root, "in");
  mkdirSync(join(inbox, "sub"), { recursive: true });
  mkdirSync(join(base, "outside"));
  symlinkSync(join(base, "outside"), join(inbox, "escape"));
  writeFileSync(join(root, "keep.txt"), "keep\n");
  server = await startServe(root, "--upload=in", "--max-upload-bytes", "5000000");
  url = `http://127.0.0.1:${server.port}`;
});
after(async () => {
  await server?.stop();
  rmSync(base, { recursive: true, force: true });
});

/** curl with a status code and the body on stdout. */
async function curl(args: string[]): Promise<{ code: string; body: string }> {
  const r = await runTool("curl", ["-sS", "-w", "\n%{http_code}", ...args]);
  assert.equal(r.code, 0, r.stderr);
  const text = r.stdout.toString("utf8");
  const cut = text.lastIndexOf("\n");
  return { code: text.slice(cut + 1), body: text.slice(0, cut) };
}

/** Names in a folder that look like temporary upload files. */
function temps(folder: string): string[] {
  return readdirSync(folder).filter((n) => n.startsWith(".tcpkit-upload-"));
}

/** Waits (bounded) until `check` holds. */
async function eventually(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("PUT with curl -T", () => {
  it("stores 0 bytes, 1 byte and 3 MB byte-exact, served at once; a second PUT gets 409", async () => {
    for (const size of [0, 1, 3_000_000]) {
      const data = randomBytes(size);
      const src = join(base, `src-${size}`);
      writeFileSync(src, data);
      const put = await curl(["-T", src, `${url}/in/put-${size}.bin`]);
      assert.equal(put.code, "201");
      assert.equal(sha(readFileSync(join(inbox, `put-${size}.bin`))), sha(data));
      const got = await runTool("curl", ["-sS", "--fail", `${url}/in/put-${size}.bin`]);
      assert.equal(sha(got.stdout), sha(data));
      assert.equal((await curl(["-T", src, `${url}/in/put-${size}.bin`])).code, "409");
    }
    assert.deepEqual(temps(inbox), []);
  });

  it("makes the name as durable as the bytes before the 201: file fsync, link, folder fsync (strace)", async () => {
    // Attaching needs ptrace rights: root (as in CI) or ptrace_scope 0. `?` lets strace skip the
    // calls an architecture lacks (open and link on arm64).
    const pid = server.child.pid as number;
    const log = join(base, "strace.log");
    const syscalls = "?open,openat,fsync,?link,linkat,?unlink,unlinkat,write,writev,sendto,sendmsg";
    const strace = spawn(
      "strace",
      ["-f", "-p", String(pid), "-o", log, "-s", "24", "-e", `trace=${syscalls}`],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let said = "";
    strace.stderr.on("data", (c: Buffer) => (said += c.toString()));
    const exited = new Promise((r) => strace.once("exit", r));
    await eventually(() => /attached|rror|not permitted/.test(said), 5000).catch(() => {});
    assert.match(said, /attached/, `strace could not attach: ${said}`);
    const src = join(base, "durable-src");
    writeFileSync(src, "durable\n");
    const put = await curl(["-T", src, `${url}/in/durable.txt`]);
    strace.kill("SIGINT");
    await exited;
    assert.equal(put.code, "201");
    const lines = readFileSync(log, "utf8").split("\n");
    /** The first line from `from` on that matches, and its index; -1 when none does. */
    const find = (from: number, re: RegExp): number => {
      for (let i = Math.max(from, 0); i < lines.length; i++)
        if (re.test(lines[i] as string)) return i;
      return -1;
    };
    /** A call's result, on its line or on the line that resumes it. */
    const result = (i: number): string => {
      const line = lines[i] as string;
      if (!line.includes("<unfinished ...>")) return /= (-?\d+)/.exec(line)?.[1] ?? "";
      const [pid] = line.split(" ");
      const j = find(i + 1, new RegExp(`^${pid} <\\.\\.\\. \\w+ resumed>`));
      return /= (-?\d+)/.exec(lines[j] as string)?.[1] ?? "";
    };
    const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    // The temporary file: opened, written, fsynced; then linked to its name.
    const created = find(0, /open(at)?\(.*\.tcpkit-upload-[^"]*", O_WRONLY\|O_CREAT/);
    assert.ok(created >= 0, "the temporary file's open is not in the trace");
    const fileSynced = find(created, new RegExp(`fsync\\(${result(created)}(\\)| <unfinished)`));
    assert.ok(fileSynced > created, "the temporary file is not fsynced");
    const named = find(0, /(?<!un)link(at)?\(.*"\S*\.tcpkit-upload-[^"]*",.*\/durable\.txt"/);
    assert.ok(named > fileSynced, "no link() of the fsynced temporary file to durable.txt");
    // The folder: opened before the link (nothing is committed if that fails), fsynced after.
    const folder = escape(realpathSync(inbox));
    const opensFolder = new RegExp(`open(at)?\\(.*"${folder}", O_RDONLY[^)]*O_DIRECTORY`);
    const folderOpen = lines.findLastIndex(
      (l, k) => k > created && k < named && opensFolder.test(l),
    );
    assert.ok(folderOpen > created, "the folder is not opened before the link");
    const fd = result(folderOpen);
    const folderSynced = find(named, new RegExp(`fsync\\(${fd}(\\)| <unfinished)`));
    assert.ok(folderSynced > named, `no fsync(${fd}) of the folder after the link`);
    const answered = find(0, /HTTP\/1\.1 201/);
    assert.ok(answered > folderSynced, "the 201 was written before the folder was fsynced");
  });

  it("takes a chunked body (curl -T - from stdin) and percent-encoded names", async () => {
    const r = await curl([
      "-H",
      "Transfer-Encoding: chunked",
      "--data-binary",
      "hello chunked\n",
      "-X",
      "PUT",
      `${url}/in/sub/caf%C3%A9%20x.txt`,
    ]);
    assert.equal(r.code, "201");
    assert.equal(readFileSync(join(inbox, "sub", "café x.txt"), "utf8"), "hello chunked\n");
  });

  it("refuses bad names with 400, a symlink out with 403, a missing folder with 409", async () => {
    const src = join(base, "small");
    writeFileSync(src, "x");
    const cases: [string, string][] = [
      ["/in/.hidden", "400"],
      ["/in/a%2Fb", "400"],
      ["/in/a%5Cb", "400"],
      ["/in/a%00b", "400"],
      ["/in/a%01b", "400"],
      ["/in/../keep.txt", "400"],
      ["/in/./x", "400"],
      ["/in/%ff", "400"],
      ["/in/escape/x", "403"],
      ["/in/nowhere/x", "409"],
      ["/in/sub", "409"],
    ];
    for (const [path, status] of cases) {
      const r = await curl(["--path-as-is", "-T", src, `${url}${path}`]);
      assert.equal(r.code, status, path);
    }
    // curl -T appends the file's name to a URL ending in "/"; a raw request does not.
    const folder = await exchange(server.port, [
      "PUT /in/sub/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx",
    ]);
    assert.match(folder.data.toString("latin1"), /^HTTP\/1\.1 400 /);
    assert.deepEqual(readdirSync(join(base, "outside")), []);
    assert.equal(readFileSync(join(root, "keep.txt"), "utf8"), "keep\n");
  });

  it("PUT outside the upload folder is 405 with the read-only Allow", async () => {
    const r = await runTool("curl", ["-sS", "-i", "-T", join(base, "small"), `${url}/x.txt`]);
    const text = r.stdout.toString("latin1");
    assert.match(text, /^HTTP\/1\.1 405 /m);
    assert.match(text, /^Allow: GET, HEAD, OPTIONS\r$/m);
    assert.equal(existsSync(join(root, "x.txt")), false);
  });

  it("413 before any byte is written (Content-Length), and while streaming (chunked)", async () => {
    const big = await exchange(server.port, [
      "PUT /in/big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 6000000\r\nExpect: 100-continue\r\n\r\n",
    ]);
    assert.match(big.data.toString("latin1"), /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(big.data.toString("latin1"), /100 Continue/);
    const chunk = Buffer.alloc(1_000_000, 0x61);
    const head = "PUT /in/big2.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    const chunks: (string | Buffer)[] = [head];
    for (let i = 0; i < 7; i++) chunks.push(`f4240\r\n`, chunk, "\r\n");
    const streamed = await exchange(server.port, chunks);
    assert.match(streamed.data.toString("latin1"), /^HTTP\/1\.1 413 /);
    await eventually(() => temps(inbox).length === 0);
    assert.equal(existsSync(join(inbox, "big.bin")), false);
    assert.equal(existsSync(join(inbox, "big2.bin")), false);
  });

  it("a body cut off leaves neither the file nor a temporary file", async () => {
    const socket = await openSocket(server.port);
    socket.on("error", () => {});
    socket.write("PUT /in/cut.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\n\r\n");
    socket.write(Buffer.alloc(1_000_000, 1));
    await eventually(() => temps(inbox).length === 1);
    socket.destroy();
    await eventually(() => temps(inbox).length === 0);
    assert.equal(existsSync(join(inbox, "cut.bin")), false);
  });

  it("a body cut off or malformed in the head's own packet is 400, and the server lives on", async () => {
    // The body fails while the handler is still opening its temporary file, before it reads:
    // that stream error once went unheard and killed the process.
    const requests = [
      "PUT /in/fin.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc",
      "PUT /in/bad.bin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nZZ\r\n",
    ];
    for (const request of requests) {
      const r = await exchange(server.port, [request], { endAfterWrite: true, quietMs: 2000 });
      assert.match(r.data.toString("latin1"), /^HTTP\/1\.1 400 /, request);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(server.child.exitCode, null, `the server died: ${server.stderr()}`);
      assert.equal((await curl(["-o", "/dev/null", `${url}/keep.txt`])).code, "200");
    }
    await eventually(() => temps(inbox).length === 0);
    assert.equal(existsSync(join(inbox, "fin.bin")), false);
    assert.equal(existsSync(join(inbox, "bad.bin")), false);
  });

  it("two concurrent PUTs of one name: one whole file wins, the other gets 409", async () => {
    const a = Buffer.alloc(2_000_000, 0x41);
    const b = Buffer.alloc(2_000_000, 0x42);
    const send = async (body: Buffer): Promise<string> => {
      const head = `PUT /in/race.bin HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`;
      const halves = [head, body.subarray(0, 1_000_000), body.subarray(1_000_000)];
      const r = await exchange(server.port, halves, { gapMs: 200, quietMs: 3000 });
      return /^HTTP\/1\.1 (\d+)/.exec(r.data.toString("latin1"))?.[1] ?? "none";
    };
    const codes = (await Promise.all([send(a), send(b)])).sort();
    assert.deepEqual(codes, ["201", "409"]);
    const stored = readFileSync(join(inbox, "race.bin"));
    assert.ok(stored.equals(a) || stored.equals(b), "one whole body");
    assert.deepEqual(temps(inbox), []);
  });
});

describe("the form with curl -F", () => {
  it("stores several files, gives taken names a free one, and answers 303 to the listing", async () => {
    const one = randomBytes(200_000);
    const two = Buffer.from("second\r\n--not a boundary\r\n");
    writeFileSync(join(base, "one.bin"), one);
    writeFileSync(join(base, "two.txt"), two);
    writeFileSync(join(inbox, "sub", "one.bin"), "taken");
    const r = await runTool("curl", [
      "-sS",
      "-i",
      "-F",
      "note=a field",
      "-F",
      `file=@${join(base, "one.bin")}`,
      "-F",
      `file=@${join(base, "two.txt")}`,
      `${url}/in/sub/`,
    ]);
    const text = r.stdout.toString("utf8");
    assert.match(text, /^HTTP\/1\.1 303 /m);
    assert.match(text, /^Location: \/in\/sub\/\r$/m);
    assert.match(text, /one \(1\)\.bin\ntwo\.txt\n$/);
    assert.equal(sha(readFileSync(join(inbox, "sub", "one (1).bin"))), sha(one));
    assert.ok(readFileSync(join(inbox, "sub", "two.txt")).equals(two));
    assert.equal(readFileSync(join(inbox, "sub", "one.bin"), "utf8"), "taken");
  });

  it("refuses a bad file name (400), a non-form body (415), a form outside the folder (405)", async () => {
    writeFileSync(join(base, "small"), "x");
    const bad = await curl(["-F", `file=@${join(base, "small")};filename=.evil`, `${url}/in/`]);
    assert.equal(bad.code, "400");
    const slash = await curl(["-F", `file=@${join(base, "small")};filename=a\\b`, `${url}/in/`]);
    assert.equal(slash.code, "400");
    assert.equal((await curl(["--data", "a=b", `${url}/in/`])).code, "415");
    assert.equal((await curl(["-F", `file=@${join(base, "small")}`, `${url}/`])).code, "405");
    assert.deepEqual(temps(inbox), []);
  });

  it("refuses uploads a page of another origin sends (403, nothing stored); its own page's pass", async () => {
    // A cross-site form POST needs no CORS preflight: any page the user visits could otherwise
    // post files into the folder, with the browser's saved Basic credentials too.
    writeFileSync(join(base, "csrf.html"), "<script>alert(1)</script>");
    const form = (headers: string[], name: string) =>
      curl([
        ...headers.flatMap((h) => ["-H", h]),
        "-F",
        `file=@${join(base, "csrf.html")};filename=${name}`,
        `${url}/in/`,
      ]);
    const refused: [string[], string][] = [
      [["Sec-Fetch-Site: cross-site", "Origin: https://evil.example"], "a.html"],
      [["Sec-Fetch-Site: same-site", `Origin: http://localhost:1`], "b.html"],
      [["Origin: https://evil.example"], "c.html"], // a browser without Sec-Fetch-*
      [["Origin: null"], "d.html"], // a sandboxed page, a data: URL
    ];
    for (const [headers, name] of refused) {
      assert.equal((await form(headers, name)).code, "403", headers.join(", "));
      assert.equal(existsSync(join(inbox, name)), false);
    }
    const put = await curl([
      "-H",
      "Origin: https://evil.example",
      "-T",
      join(base, "csrf.html"),
      `${url}/in/e.html`,
    ]);
    assert.equal(put.code, "403");
    const own = `Origin: http://127.0.0.1:${server.port}`;
    assert.equal((await form(["Sec-Fetch-Site: same-origin", own], "f.html")).code, "303");
    assert.equal((await form([own], "g.html")).code, "303");
    assert.equal((await form(["Sec-Fetch-Site: none"], "h.html")).code, "303");
    assert.deepEqual(temps(inbox), []);
  });

  it("--cors: another origin's page may upload without credentials, never with them", async () => {
    const open = await startServe(root, "--upload=in", "--cors");
    try {
      writeFileSync(join(base, "cors.txt"), "x");
      const from = ["-H", "Sec-Fetch-Site: cross-site", "-H", "Origin: https://app.example"];
      const put = (name: string, more: string[] = []) =>
        curl([
          ...from,
          ...more,
          "-T",
          join(base, "cors.txt"),
          `http://127.0.0.1:${open.port}/in/${name}`,
        ]);
      assert.equal((await put("anon.txt")).code, "201");
      // Credentials sent from another origin: what Access-Control-Allow-Origin: * never allows.
      assert.equal((await put("auth.txt", ["-u", "u:p"])).code, "403");
      assert.equal(existsSync(join(inbox, "auth.txt")), false);
    } finally {
      await open.stop();
    }
  });

  it("the listing under the upload folder carries the form, others do not", async () => {
    const inside = await curl([`${url}/in/sub/`]);
    assert.match(
      inside.body,
      /<form class="upload" method="post" enctype="multipart\/form-data" action="\/in\/sub\/">/,
    );
    const outside = await curl([`${url}/`]);
    assert.doesNotMatch(outside.body, /<form class="upload"/);
  });
});

describe("limits of the machine and the default", () => {
  it("a file-size limit (ulimit -f) gives 507 and no temporary file (PUT and resumable); the server keeps serving", async () => {
    const limited = mkdtempSync(join(tmpdir(), "tcpkit-upload-fsize-"));
    const child = spawn(
      "bash",
      [
        "-c",
        `ulimit -f 512 && exec "$0" "$@"`,
        CLI_RUNTIME,
        CLI_PATH,
        "serve",
        limited,
        "--port",
        "0",
        "--log",
        "off",
        "--upload",
        "--allowed-hosts",
        "any",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let out = "";
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (c: string) => (out += c));
      await eventually(() => /:(\d+) /.test(out));
      const port = /127\.0\.0\.1:(\d+)/.exec(out)?.[1] as string;
      writeFileSync(join(base, "two-mb"), Buffer.alloc(2_000_000, 7));
      const r = await curl(["-T", join(base, "two-mb"), `http://127.0.0.1:${port}/full.bin`]);
      assert.equal(r.code, "507");
      assert.deepEqual(readdirSync(limited), []);
      // A resumable upload that hits the limit is removed too: its part file and its record.
      const resumable = await curl([
        "-T",
        join(base, "two-mb"),
        "-H",
        "Upload-Complete: ?1",
        `http://127.0.0.1:${port}/full.bin`,
      ]);
      assert.equal(resumable.code, "507");
      assert.deepEqual(readdirSync(limited), []);
      writeFileSync(join(base, "tiny"), "ok\n");
      assert.equal(
        (await curl(["-T", join(base, "tiny"), `http://127.0.0.1:${port}/ok.txt`])).code,
        "201",
      );
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("close", r));
      rmSync(limited, { recursive: true, force: true });
    }
  });

  it("--overwrite: PUT replaces (204) whole, and the JSON log line counts the bytes received", async () => {
    const over = await startCli([
      "serve",
      root,
      "--port",
      "0",
      "--log",
      "json",
      "--upload=in",
      "--overwrite",
      "--allowed-hosts",
      "any",
    ]);
    try {
      writeFileSync(join(base, "v1"), "version one\n");
      writeFileSync(join(base, "v2"), "two\n");
      const port = `http://127.0.0.1:${over.port}`;
      assert.equal((await curl(["-T", join(base, "v1"), `${port}/in/over.txt`])).code, "201");
      assert.equal((await curl(["-T", join(base, "v2"), `${port}/in/over.txt`])).code, "204");
      assert.equal(readFileSync(join(inbox, "over.txt"), "utf8"), "two\n");
      assert.equal((await curl([`${port}/in/over.txt`])).body, "two\n");
      await eventually(() => over.stdout().includes('"status":204'));
      const line = over
        .stdout()
        .split("\n")
        .find((l) => l.includes('"status":204')) as string;
      const logged = JSON.parse(line) as { method: string; received: number };
      assert.equal(logged.method, "PUT");
      assert.ok(logged.received > 4, String(logged.received));
    } finally {
      await over.stop();
    }
  });

  it("--overwrite: PUT honours If-Match and If-None-Match (412, the file kept; RFC 9110 §13.1)", async () => {
    // A client guarding against lost updates (If-Match: its ETag) or asking to create only
    // (If-None-Match: *) once had the file replaced regardless.
    const over = await startServe(root, "--upload=in", "--overwrite");
    try {
      const at = `http://127.0.0.1:${over.port}/in/cond.txt`;
      writeFileSync(join(base, "c1"), "one\n");
      writeFileSync(join(base, "c2"), "two\n");
      const put = (headers: string[], file = "c2") =>
        curl([...headers.flatMap((h) => ["-H", h]), "-T", join(base, file), at]);
      assert.equal((await put(["If-Match: *"], "c1")).code, "412", "If-Match with no file");
      assert.equal((await put(["If-None-Match: *"], "c1")).code, "201");
      const etag = /^etag: (.*)$/im
        .exec((await runTool("curl", ["-sI", at])).stdout.toString())?.[1]
        ?.trim();
      assert.ok(etag !== undefined);
      assert.equal((await put(["If-None-Match: *"])).code, "412");
      assert.equal((await put(['If-Match: "stale"'])).code, "412");
      assert.equal((await put(["If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT"])).code, "412");
      assert.equal(readFileSync(join(inbox, "cond.txt"), "utf8"), "one\n");
      assert.equal((await put([`If-Match: ${etag}`])).code, "204");
      assert.equal(readFileSync(join(inbox, "cond.txt"), "utf8"), "two\n");
      assert.deepEqual(temps(inbox), []);
    } finally {
      await over.stop();
    }
  });

  it("without --upload, PUT and POST get 405 as before", async () => {
    const plain = await startServe(root);
    try {
      const r = await curl(["-T", join(base, "small"), `http://127.0.0.1:${plain.port}/in/y`]);
      assert.equal(r.code, "405");
      assert.equal(existsSync(join(inbox, "y")), false);
    } finally {
      await plain.stop();
    }
  });
});

describe("bounded memory", () => {
  // Each case starts its own server, so one's peak (VmHWM) is not the other's.
  const total = 1024 ** 3;
  const piece = Buffer.alloc(1024 * 1024, 0x5a);
  const expected = (() => {
    const hash = createHash("sha256");
    for (let sent = 0; sent < total; sent += piece.length) hash.update(piece);
    return hash.digest("hex");
  })();

  /** Starts a server, runs `send` (which uploads 1 GiB to `/in/huge.bin` on `port`), checks the
   * growth of the server's peak RSS over its idle RSS and the stored bytes. */
  async function within64MiB(send: (port: number) => Promise<string>): Promise<void> {
    const big = await startServe(root, "--upload=in", "--max-upload-bytes", String(2 * total));
    const pid = big.child.pid as number;
    try {
      const before = await processMemory(pid, "VmRSS");
      assert.match(await send(big.port), /^(HTTP\/1\.1 )?201\b/);
      const growth = (await processMemory(pid, "VmHWM")) - before;
      assert.ok(growth < 64 * 1024 * 1024, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
      const stored = createHash("sha256");
      for await (const c of (await import("node:fs")).createReadStream(join(inbox, "huge.bin"))) {
        stored.update(c as Buffer);
      }
      assert.equal(stored.digest("hex"), expected);
    } finally {
      rmSync(join(inbox, "huge.bin"), { force: true });
      await big.stop();
    }
  }

  it("a 1 GiB PUT with Content-Length, generated as it is sent, grows the server's RSS by less than 64 MiB", async () => {
    await within64MiB(async (port) => {
      const socket = await openSocket(port);
      const reply = new Promise<string>((resolve) => {
        let text = "";
        socket.on("data", (c: Buffer) => (text += c.toString("latin1")));
        socket.on("close", () => resolve(text));
        socket.on("error", () => {});
      });
      socket.write(
        `PUT /in/huge.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${total}\r\n\r\n`,
      );
      for (let sent = 0; sent < total; sent += piece.length) {
        if (!socket.write(piece)) await new Promise((r) => socket.once("drain", r));
      }
      return reply;
    });
  });

  it("a 1 GiB chunked PUT (curl -T - from a pipe) grows the server's RSS by less than 64 MiB", async () => {
    await within64MiB(async (port) => {
      const curlChild = spawn(
        "curl",
        [
          "-sS",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "-T",
          "-",
          `http://127.0.0.1:${port}/in/huge.bin`,
        ],
        { stdio: ["pipe", "pipe", "inherit"] },
      );
      let code = "";
      curlChild.stdout.on("data", (c: Buffer) => (code += c.toString()));
      const exited = new Promise<void>((resolve) => curlChild.on("close", () => resolve()));
      for (let sent = 0; sent < total; sent += piece.length) {
        if (!curlChild.stdin.write(piece)) {
          await new Promise((r) => curlChild.stdin.once("drain", r));
        }
      }
      curlChild.stdin.end();
      await exited;
      return code;
    });
  });
});
