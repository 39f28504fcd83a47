/**
 * `tcpkit serve --archive` with the real tools: each folder as .tar (GNU tar, python's tarfile),
 * .tar.gz (gzip -t, tar -z) and .zip (unzip, python's zipfile), extracted and compared file by
 * file (SHA-256), names and mtimes; what is left out (dotfiles, symlinks out of the root, a
 * FIFO, a symlink cycle, a backslash name) and what the flags let in; HTTP/1.0, HEAD, the
 * listing's links, Content-Disposition, 400 for an unknown type; a file that changes while
 * archived (the response ends short, one log line) and a client that leaves (nothing leaks).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningServer, startServe } from "../support/cli.js";
import { runTool } from "../support/tools.js";

const LONG = "n".repeat(120) + ".bin"; // one component past ustar's 100 bytes
const OLD = new Date("2001-02-03T04:05:06Z");

let base: string;
let root: string;
let server: RunningServer;
let url: string;
/** What the archive of the root must hold: member path under "site/" -> SHA-256, or "dir". */
let expected: Map<string, string>;

function sha(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A folder's tree: relative path -> SHA-256 of a file, or "dir" for a folder. */
function treeOf(dir: string, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + d.name;
    if (d.isDirectory()) {
      out.set(rel + "/", "dir");
      for (const [k, v] of treeOf(join(dir, d.name), rel + "/")) out.set(k, v);
    } else out.set(rel, sha(readFileSync(join(dir, d.name))));
  }
  return out;
}

async function tool(command: string, args: string[], cwd?: string): Promise<Buffer> {
  const r = await runTool(command, args, { timeoutMs: 60_000, ...(cwd ? { cwd } : {}) });
  assert.equal(r.code, 0, `${command} ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Downloads `path` with curl into a fresh file; returns its path. */
async function download(path: string, name: string, extra: string[] = []): Promise<string> {
  const out = join(base, "dl", name);
  rmSync(out, { force: true });
  await tool("curl", ["-sS", "--fail", ...extra, "-o", out, url + path]);
  return out;
}

function freshDir(name: string): string {
  const dir = join(base, "x", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

before(async () => {
  base = mkdtempSync(join(tmpdir(), "tcpkit-archive-"));
  root = join(base, "site");
  mkdirSync(join(base, "dl"));
  mkdirSync(join(root, "deep", "er"), { recursive: true });
  mkdirSync(join(root, "ünïcode"));
  mkdirSync(join(root, "empty-dir"));
  mkdirSync(join(root, ".git"));
  mkdirSync(join(root, "changing"));
  writeFileSync(join(root, "a.txt"), Buffer.alloc(10_000, "abc"));
  utimesSync(join(root, "a.txt"), OLD, OLD);
  writeFileSync(join(root, "empty.txt"), "");
  writeFileSync(join(root, "deep", "er", LONG), createHash("sha512").update("x").digest());
  writeFileSync(join(root, "ünïcode", "日本.txt"), "こんにちは\n");
  writeFileSync(join(root, ".hidden"), "secret\n");
  writeFileSync(join(root, ".git", "config"), "[core]\n");
  writeFileSync(join(root, "bad\\name.txt"), "backslash\n");
  writeFileSync(join(base, "outside.txt"), "outside\n");
  symlinkSync("a.txt", join(root, "link-in.txt"));
  symlinkSync("../outside.txt", join(root, "link-out.txt"));
  symlinkSync(".", join(root, "loop"));
  execFileSync("mkfifo", [join(root, "fifo")]);
  // A sparse 64 MiB file, changed while a test archives it.
  writeFileSync(join(root, "changing", "grow.bin"), "");
  truncateSync(join(root, "changing", "grow.bin"), 64 * 1024 * 1024);
  const a = sha(readFileSync(join(root, "a.txt")));
  expected = new Map([
    ["site/", "dir"],
    ["site/a.txt", a],
    ["site/empty.txt", sha(Buffer.alloc(0))],
    ["site/deep/", "dir"],
    ["site/deep/er/", "dir"],
    [`site/deep/er/${LONG}`, sha(readFileSync(join(root, "deep", "er", LONG)))],
    ["site/ünïcode/", "dir"],
    ["site/ünïcode/日本.txt", sha(Buffer.from("こんにちは\n"))],
    ["site/empty-dir/", "dir"],
    ["site/link-in.txt", a],
    ["site/changing/", "dir"],
    ["site/changing/grow.bin", sha(Buffer.alloc(64 * 1024 * 1024))],
  ]);
  server = await startServe(root, "--archive");
  url = `http://127.0.0.1:${server.port}`;
});
after(async () => {
  await server?.stop();
  if (base !== undefined) rmSync(base, { recursive: true, force: true });
});

describe("tcpkit serve --archive: the formats, extracted by the standard tools", () => {
  it("tar: GNU tar and python's tarfile extract exactly the listed files, mtimes kept", async () => {
    const file = await download("/?archive=tar", "site.tar");
    const dir = freshDir("tar");
    await tool("tar", ["-xf", file, "-C", dir]);
    assert.deepEqual(treeOf(dir), expected);
    assert.equal(statSync(join(dir, "site", "a.txt")).mtimeMs, OLD.getTime());
    const py = freshDir("tarfile");
    await tool("python3", [
      "-c",
      "import sys, tarfile\n" +
        "safe = {'filter': 'data'} if hasattr(tarfile, 'data_filter') else {}\n" +
        "tarfile.open(sys.argv[1]).extractall(sys.argv[2], **safe)",
      file,
      py,
    ]);
    assert.deepEqual(treeOf(py), expected);
  });

  it("tar.gz: gzip -t passes and tar -z extracts the same tree", async () => {
    const file = await download("/?archive=tgz", "site.tar.gz");
    await tool("gzip", ["-t", file]);
    const dir = freshDir("tgz");
    await tool("tar", ["-xzf", file, "-C", dir]);
    assert.deepEqual(treeOf(dir), expected);
  });

  it("zip: unzip and python's zipfile extract the same tree, CRCs and mtimes right", async () => {
    const file = await download("/?archive=zip", "site.zip");
    await tool("unzip", ["-tq", file]);
    const dir = freshDir("unzip");
    await tool("unzip", ["-q", file, "-d", dir]);
    assert.deepEqual(treeOf(dir), expected);
    // unzip takes the mtime from the extended timestamp (UTC seconds).
    assert.equal(statSync(join(dir, "site", "a.txt")).mtimeMs, OLD.getTime());
    const py = freshDir("zipfile");
    const out = await tool("python3", [
      "-c",
      "import sys, zipfile\n" +
        "z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; z.extractall(sys.argv[2])\n" +
        "i = z.getinfo('site/a.txt'); print(i.flag_bits, i.date_time)",
      file,
      py,
    ]);
    assert.deepEqual(treeOf(py), expected);
    const local = new Date(OLD.getTime());
    const dos = [local.getFullYear(), local.getMonth() + 1, local.getDate(), local.getHours()];
    // flag bits: 8 (data descriptor) + 2048 (UTF-8 names); the DOS time in local time.
    assert.match(out.toString(), new RegExp(`^2056 \\(${dos.join(", ")}, 5, 6\\)`));
  });

  it("a subfolder's archive holds that folder under its own name", async () => {
    const file = await download("/deep/?archive=tar", "deep.tar");
    const names = (await tool("tar", ["-tf", file])).toString().trim().split("\n");
    assert.deepEqual(names, ["deep/", "deep/er/", `deep/er/${LONG}`]);
  });

  it("HTTP/1.0 gets the archive close-delimited; HEAD gets the head alone", async () => {
    const file = await download("/?archive=zip", "site10.zip", ["-0"]);
    await tool("unzip", ["-tq", file]);
    const head = (await tool("curl", ["-sS", "-I", `${url}/?archive=zip`])).toString();
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.match(head, /\r\nContent-Type: application\/zip\r\n/);
    assert.match(head, /\r\nContent-Disposition: attachment; filename="site\.zip"\r\n/);
  });

  it("Content-Disposition: an ASCII filename and RFC 8187 filename* for a non-ASCII name", async () => {
    const head = (
      await tool("curl", ["-sS", "-I", `${url}/%C3%BCn%C3%AFcode/?archive=tgz`])
    ).toString();
    assert.match(head, /\r\nContent-Type: application\/gzip\r\n/);
    assert.match(
      head,
      /\r\nContent-Disposition: attachment; filename="_n_code\.tar\.gz"; filename\*=UTF-8''%C3%BCn%C3%AFcode\.tar\.gz\r\n/,
    );
  });

  it("an unknown archive type is a 400 that says which types exist", async () => {
    const r = await runTool("curl", ["-sS", "-w", "\n%{http_code}", `${url}/?archive=rar`]);
    assert.equal(
      r.stdout.toString(),
      "400 Bad Request: unknown archive type 'rar' (use tar, tgz or zip)\n\n400",
    );
  });

  it("what is not a served folder is left to serveStatic (404, the redirect)", async () => {
    const code = async (path: string): Promise<string> =>
      (
        await tool("curl", [
          "-sS",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code} %{redirect_url}",
          url + path,
        ])
      ).toString();
    assert.equal(await code("/nothing/?archive=zip"), "404 ");
    assert.equal(await code("/.git/?archive=zip"), "404 ");
    assert.equal(await code("/deep?archive=zip"), `301 ${url}/deep/?archive=zip`);
  });

  it("the listing links to the three archives of its folder", async () => {
    const html = (await tool("curl", ["-sS", `${url}/deep/`])).toString();
    for (const f of ["tar", "tgz", "zip"]) {
      assert.ok(html.includes(`<a href="/deep/?archive=${f}" download>`), html);
    }
  });
});

describe("tcpkit serve --archive --dotfiles --follow-symlinks", () => {
  it("lets dotfiles and symlinks out of the root in, as the site serves them", async () => {
    const other = await startServe(root, "--archive", "--dotfiles", "--follow-symlinks");
    try {
      const r = await runTool("curl", ["-sS", `http://127.0.0.1:${other.port}/?archive=tar`]);
      const listed = execFileSync("tar", ["-t"], { input: r.stdout }).toString().split("\n");
      for (const name of ["site/.hidden", "site/.git/config", "site/link-out.txt"]) {
        assert.ok(listed.includes(name), name);
      }
      assert.ok(!listed.some((n) => n.includes("fifo") || n.includes("loop/")));
    } finally {
      await other.stop();
    }
  });
});

describe("tcpkit serve --archive --cors --header", () => {
  it("archives carry the site's headers as files do, and keep their own Cache-Control", async () => {
    const other = await startServe(root, "--archive", "--cors", "--header", "X-Site: yes");
    try {
      for (const query of ["archive=zip", "archive=rar"]) {
        const r = await runTool("curl", [
          "-sS",
          "-D",
          "-",
          "-o",
          "/dev/null",
          `http://127.0.0.1:${other.port}/?${query}`,
        ]);
        const head = r.stdout.toString("latin1");
        assert.match(head, /^access-control-allow-origin: \*\r$/im, query);
        assert.match(head, /^x-site: yes\r$/im, query);
      }
      const zip = await runTool("curl", ["-sSI", `http://127.0.0.1:${other.port}/?archive=zip`]);
      assert.match(zip.stdout.toString("latin1"), /^cache-control: no-store\r$/im);
    } finally {
      await other.stop();
    }
  });
});

describe("tcpkit serve --archive when things go wrong", () => {
  it("a file changed while archived ends the response short, with one log line", async () => {
    const grow = join(root, "changing", "grow.bin");
    const { bytes, ended } = await rawArchive("/changing/?archive=tar", (socket) => {
      socket.pause();
      appendFileSync(grow, "more");
      setTimeout(() => socket.resume(), 50);
    });
    truncateSync(grow, 64 * 1024 * 1024);
    assert.equal(ended, "closed");
    const text = bytes.toString("latin1");
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\nTransfer-Encoding: chunked\r\n/);
    assert.ok(
      !text.endsWith("0\r\n\r\n"),
      `ended as if complete: ${bytes.length} ${server.stderr()}`,
    );
    await until(() => server.stderr().includes("changing/grow.bin"));
    const lines = server.stderr().trim().split("\n");
    assert.deepEqual(lines, [
      "tcpkit: archive /changing/: file changed or vanished while archived: changing/grow.bin",
    ]);
  });

  it("a client that leaves stops the archive: no log line, descriptors released", async () => {
    const pid = server.child.pid as number;
    const fds = (): number => readdirSync(`/proc/${pid}/fd`).length;
    const before = fds();
    const errBefore = server.stderr();
    await rawArchive("/?archive=zip", (socket) => socket.destroy());
    await until(() => fds() <= before);
    assert.equal(server.stderr(), errBefore);
    const file = await download("/deep/?archive=zip", "after.zip");
    await tool("unzip", ["-tq", file]);
  });
});

/**
 * GET `path` on a raw socket; `onFirst` runs once 1 MiB of the response has arrived (the archive
 * is then being read: the head alone goes out before the folder is walked). Resolves with
 * everything received and how it ended.
 */
function rawArchive(
  path: string,
  onFirst: (socket: Socket) => void,
): Promise<{ bytes: Buffer; ended: "closed" | "error" }> {
  return new Promise((resolve) => {
    const socket = connect(server.port, "127.0.0.1");
    const got: Buffer[] = [];
    let first = true;
    let received = 0;
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    socket.on("data", (c: Buffer) => {
      got.push(c);
      received += c.length;
      if (first && received >= 1024 * 1024) {
        first = false;
        onFirst(socket);
      }
    });
    socket.on("error", () => resolve({ bytes: Buffer.concat(got), ended: "error" }));
    socket.on("close", () => resolve({ bytes: Buffer.concat(got), ended: "closed" }));
  });
}

/** Waits until `check()` holds (polled, at most 10 s). */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met within 10 s");
    await new Promise((r) => setTimeout(r, 20));
  }
}
