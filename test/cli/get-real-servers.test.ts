// `tcpkit get` against real servers started by the test: nginx (HTTP/1.1), python's http.server
// (HTTP/1.0, close-delimited when it sends no length) and a node:tls server with a certificate
// made here by openssl. Downloads are compared with the originals by SHA-256.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  utimesSync,
  writeFileSync,
  copyFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { after, before, beforeEach, describe, it } from "node:test";
import { runCli, startCli, type RunningServer, startServe } from "../support/cli.js";
import { freePort, waitForPort } from "../support/ports.js";
import { makeSelfSignedCert } from "../support/tls-cert.js";
import { startPythonHttpServer } from "../support/python-http-server.js";

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

let root: string;
let www: string;
let cwd: string;
const originals = new Map<string, Buffer>();

before(() => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-get-real-"));
  www = join(root, "www");
  mkdirSync(www);
  originals.set("small.txt", Buffer.from(randomBytes(3000).toString("hex")));
  originals.set("big.bin", randomBytes(3 * 1024 * 1024 + 17));
  originals.set("with space.txt", Buffer.from("spaced\n"));
  for (const [name, data] of originals) writeFileSync(join(www, name), data);
  mkdirSync(join(www, "many"));
  for (let i = 0; i < 100; i++) writeFileSync(join(www, "many", `f${i}`), `small file ${i}\n`);
  // nginx workers may run as another user: let them read the tree.
  for (const p of [root, www, join(www, "many")]) chmodSync(p, 0o755);
  for (const name of originals.keys()) chmodSync(join(www, name), 0o644);
});
after(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  cwd = mkdtempSync(join(root, "cwd-"));
});

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(killer);
}

/** The file `name` saved in cwd has the SHA-256 of the original. */
function assertSameFile(name: string): void {
  const saved = readFileSync(join(cwd, name));
  assert.equal(sha256(saved), sha256(originals.get(name) as Buffer), name);
}

/**
 * Gives a partial file the mtime (the If-Range date get sends) of an older version of big.bin.
 * A partial written just now could otherwise carry the same second as the original, which the
 * fixture wrote moments ago, and the server would rightly honour the range.
 */
function stampAsOtherVersion(part: string): void {
  const older = new Date(statSync(join(www, "big.bin")).mtime.getTime() - 3600_000);
  utimesSync(part, older, older);
}

async function getAndCompare(base: string, name: string, extra: string[] = []): Promise<void> {
  const r = await runCli(["get", ...extra, `${base}/${encodeURIComponent(name)}`], {
    cwd,
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assertSameFile(name);
}

describe("tcpkit get against nginx", () => {
  let nginx: ChildProcess;
  let base: string;

  before(async () => {
    const port = await freePort();
    const dir = join(root, "nginx");
    mkdirSync(dir);
    const user = process.getuid?.() === 0 ? "user root;\n" : "";
    writeFileSync(
      join(dir, "nginx.conf"),
      `${user}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  log_format conn '$connection $status $request';
  access_log ${dir}/access.log conn;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${www};
    location = /redirect { return 302 /small.txt; }
    location = /gone { return 404; }
  }
}
`,
    );
    nginx = spawn("/usr/sbin/nginx", ["-p", dir, "-c", join(dir, "nginx.conf")], {
      stdio: "ignore",
    });
    await waitForPort(port, nginx);
    base = `http://127.0.0.1:${port}`;
  });
  after(() => stopChild(nginx));

  it("downloads over 3 connections by ranges (-x 4) with the same SHA-256", async () => {
    const r = await runCli(["get", "-x", "4", `${base}/big.bin`], { cwd, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /, 3 connections/);
    assertSameFile("big.bin");
  });

  it("downloads 100 URLs over one kept-alive connection (nginx's log shows one)", async () => {
    const log = join(root, "nginx", "access.log");
    const before = readFileSync(log, "utf8").split("\n").length - 1;
    const urls = Array.from({ length: 100 }, (_, i) => `${base}/many/f${i}`);
    const r = await runCli(["get", "-q", ...urls], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(log, "utf8").trim().split("\n").slice(before);
    assert.equal(lines.length, 100);
    assert.equal(new Set(lines.map((l) => l.split(" ")[0])).size, 1);
    assert.equal(readFileSync(join(cwd, "f99"), "utf8"), "small file 99\n");
  });

  it("downloads a few KB and a few MB with the same SHA-256", async () => {
    await getAndCompare(base, "small.txt");
    await getAndCompare(base, "big.bin", ["-q"]);
    await getAndCompare(base, "with space.txt");
  });

  it("downloads over HTTP/1.0 too", async () => {
    await getAndCompare(base, "big.bin", ["-0"]);
  });

  it("follows nginx's redirect and exits 3 on its 404", async () => {
    const r = await runCli(["get", "-o", "-", `${base}/redirect`], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(r.stdoutBytes), sha256(originals.get("small.txt") as Buffer));
    const gone = await runCli(["get", `${base}/gone`], { cwd });
    assert.equal(gone.code, 3);
  });

  it("resumes a partial file with Range + If-Range (nginx answers 206)", async () => {
    const part = join(cwd, "big.bin.part");
    copyFileSync(join(www, "big.bin"), part);
    truncateSync(part, 1_000_000);
    const mtime = statSync(join(www, "big.bin")).mtime;
    utimesSync(part, mtime, mtime);
    const r = await runCli(["get", "-c", `${base}/big.bin`], { cwd, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /new\)/);
    assert.doesNotMatch(r.stderr, /restarting/);
    assertSameFile("big.bin");
  });

  it("restarts a resume cleanly when the partial file is from another version", async () => {
    writeFileSync(join(cwd, "big.bin.part"), Buffer.alloc(1000, 0x41));
    stampAsOtherVersion(join(cwd, "big.bin.part"));
    const r = await runCli(["get", "-c", `${base}/big.bin`], { cwd, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /restarting from the beginning/);
    assertSameFile("big.bin");
  });
});

describe("tcpkit get against python3 -m http.server (HTTP/1.0)", () => {
  let python: ChildProcess;
  let base: string;

  before(async () => {
    const started = await startPythonHttpServer(www);
    python = started.child;
    const port = started.port;
    base = `http://127.0.0.1:${port}`;
  });
  after(() => stopChild(python));

  it("downloads files with the same SHA-256", async () => {
    await getAndCompare(base, "small.txt");
    await getAndCompare(base, "big.bin", ["-q"]);
    await getAndCompare(base, "with space.txt", ["-0"]);
  });

  it("-x 4 falls back to one connection, and says so: http.server ignores Range", async () => {
    const r = await runCli(["get", "-x", "4", `${base}/big.bin`], { cwd, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /does not send ranges; one connection/);
    assertSameFile("big.bin");
  });

  it("saves the directory listing as index.html and exits 3 on 404", async () => {
    const r = await runCli(["get", `${base}/`], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(cwd, "index.html"), "utf8"), /small\.txt/);
    assert.equal((await runCli(["get", `${base}/nope`], { cwd })).code, 3);
  });

  it("restarts a resume cleanly: http.server ignores Range", async () => {
    writeFileSync(join(cwd, "big.bin.part"), originals.get("big.bin")?.subarray(0, 5000) as Buffer);
    const r = await runCli(["get", "-c", `${base}/big.bin`], { cwd, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /restarting from the beginning/);
    assertSameFile("big.bin");
  });
});

describe("tcpkit get over https (node:tls server, openssl test certificate)", () => {
  let server: TlsServer;
  let base: string;
  let caFile: string;

  before(async () => {
    const dir = join(root, "tls");
    mkdirSync(dir);
    const made = await makeSelfSignedCert(dir);
    caFile = made.cert;
    const body = originals.get("big.bin") as Buffer;
    server = createTlsServer(
      { key: readFileSync(made.key), cert: readFileSync(caFile) },
      (socket) => {
        socket.on("error", () => {});
        socket.once("data", () => {
          // Chunked, in uneven pieces, to exercise the decoder over TLS records.
          socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
          for (let i = 0; i < body.length; i += 70_001) {
            const piece = body.subarray(i, i + 70_001);
            socket.write(`${piece.length.toString(16)}\r\n`);
            socket.write(piece);
            socket.write("\r\n");
          }
          socket.end("0\r\n\r\n");
        });
      },
    );
    server.on("tlsClientError", () => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    base = `https://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("downloads with --ca trusting the test certificate", async () => {
    await getAndCompare(base, "big.bin", ["--ca", caFile]);
  });

  it("refuses the untrusted certificate without --ca, with a hint; --insecure accepts it", async () => {
    const r = await runCli(["get", `${base}/big.bin`], { cwd });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tcpkit: .*certificate.*\(trust it with --ca FILE, or --insecure\)\n$/);
    await getAndCompare(base, "big.bin", ["--insecure", "-q"]);
  });
});

describe("tcpkit get against tcpkit serve", () => {
  let serve: RunningServer;
  let base: string;

  before(async () => {
    serve = await startServe(www);
    base = `http://127.0.0.1:${serve.port}`;
  });
  after(() => serve.stop());

  it("downloads files with the same SHA-256, over HTTP/1.1 and HTTP/1.0", async () => {
    await getAndCompare(base, "small.txt");
    await getAndCompare(base, "big.bin", ["-q"]);
    await getAndCompare(base, "with space.txt", ["-0"]);
  });

  it("resumes with Range + If-Range (206) and restarts when the partial file is another version", async () => {
    const part = join(cwd, "big.bin.part");
    writeFileSync(part, originals.get("big.bin")?.subarray(0, 1_234_567) as Buffer);
    const mtime = statSync(join(www, "big.bin")).mtime;
    utimesSync(part, mtime, mtime);
    const r = await runCli(["get", "-c", `${base}/big.bin`], { cwd, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /restarting/);
    assertSameFile("big.bin");
    writeFileSync(part, Buffer.alloc(10, 0x42));
    stampAsOtherVersion(part);
    const again = await runCli(["get", "-c", `${base}/big.bin`], { cwd, timeoutMs: 60_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /restarting from the beginning/);
    assertSameFile("big.bin");
  });

  it("downloads over 3 connections by ranges (-x 4) with the same SHA-256", async () => {
    const r = await runCli(["get", "-x", "4", `${base}/big.bin`], { cwd, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /, 3 connections/);
    assertSameFile("big.bin");
  });

  it("saves the listing of / as index.html and exits 3 on 404", async () => {
    const r = await runCli(["get", "-q", `${base}/`], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(cwd, "index.html"), "utf8"), /small\.txt/);
    assert.equal((await runCli(["get", `${base}/nope`], { cwd })).code, 3);
  });
});

describe("tcpkit get against tcpkit serve over IPv6 and HTTPS", () => {
  it("downloads from http://[::1]:PORT/", async () => {
    const serve = await startCli(["serve", www, "--host", "::1", "--port", "0", "--log", "off"]);
    try {
      await getAndCompare(`http://[::1]:${serve.port}`, "small.txt");
    } finally {
      await serve.stop();
    }
  });

  it("downloads over https from tcpkit serve --tls-cert with --ca", async () => {
    const dir = mkdtempSync(join(root, "serve-tls-"));
    const { cert, key } = await makeSelfSignedCert(dir);
    const serve = await startServe(www, "--tls-cert", cert, "--tls-key", key);
    try {
      await getAndCompare(`https://127.0.0.1:${serve.port}`, "big.bin", ["-q", "--ca", cert]);
      await getAndCompare(`https://localhost:${serve.port}`, "small.txt", ["-q", "--ca", cert]);
    } finally {
      await serve.stop();
    }
  });
});
