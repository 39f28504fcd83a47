/**
 * `tcpkit serve` as a user runs it: the built CLI spawned, then real clients (curl 1.1 and 1.0,
 * wget, ab with and without -k) checking exact bytes; readiness line, port in use, SIGTERM,
 * access-log formats, --trace, limits flags, TLS, IPv6, and bounded memory on a huge file.
 */
import assert from "node:assert/strict";
import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { processMemory, runCli, startCli, type RunningServer, startServe } from "../support/cli.js";
import { RawConnection } from "../support/connection-modes.js";
import { exchange, openSocket } from "../support/raw-socket.js";
import { makeSelfSignedCert } from "../support/tls-cert.js";
import { runTool } from "../support/tools.js";

const ROOT = mkdtempSync(join(tmpdir(), "tcpkit-serve-"));
const HELLO = Buffer.from("Hello from the tcpkit serve test.\n");
const KIB = Buffer.alloc(1024, "k");
writeFileSync(join(ROOT, "hello.txt"), HELLO);
writeFileSync(join(ROOT, "1k.bin"), KIB);

function url(s: RunningServer, path: string): string {
  return `http://127.0.0.1:${s.port}${path}`;
}

describe("tcpkit serve with real clients", () => {
  let s: RunningServer;
  before(async () => {
    s = await startServe(ROOT);
  });
  after(() => s.stop());

  it("prints one readiness line with the real address and the absolute root", () => {
    assert.equal(s.line, `tcpkit serve: listening on http://127.0.0.1:${s.port} (root ${ROOT})`);
    assert.ok(s.port > 0);
  });

  it("serves curl over HTTP/1.1 on one connection, exact bytes", async () => {
    const r = await runTool("curl", ["-sS", "-i", url(s, "/hello.txt"), url(s, "/1k.bin")]);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout.toString("latin1");
    const [first, second] = text.split(/(?=HTTP\/1\.1 200 OK\r\n)/);
    assert.ok(first?.startsWith("HTTP/1.1 200 OK\r\n"));
    assert.match(first ?? "", /\r\nContent-Length: 34\r\n/);
    assert.match(first ?? "", /\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
    assert.doesNotMatch(first ?? "", /Connection:/);
    assert.ok(first?.endsWith("\r\n\r\n" + HELLO.toString("latin1")));
    assert.ok(second?.endsWith("\r\n\r\n" + KIB.toString("latin1")));
  });

  it("serves curl --http1.0, closing the connection", async () => {
    const r = await runTool("curl", ["-sS", "--http1.0", "-i", url(s, "/hello.txt")]);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout.toString("latin1");
    assert.ok(text.startsWith("HTTP/1.1 200 OK\r\n"));
    assert.match(text, /\r\nConnection: close\r\n/);
    assert.ok(text.endsWith("\r\n\r\n" + HELLO.toString("latin1")));
  });

  it("answers curl's HEAD with the length and no body", async () => {
    const r = await runTool("curl", ["-sS", "-I", url(s, "/1k.bin")]);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout.toString("latin1");
    assert.match(text, /\r\nContent-Length: 1024\r\n/);
    assert.ok(text.endsWith("\r\n\r\n"));
  });

  it("refuses curl's large POST with 405 without waiting for the body", async () => {
    const upload = join(ROOT, "upload.bin");
    writeFileSync(upload, Buffer.alloc(2 * 1024 * 1024));
    const args = ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", `@${upload}`];
    const r = await runTool("curl", [...args, url(s, "/hello.txt")]);
    assert.equal(r.stdout.toString(), "405");
  });

  it("serves wget, exact bytes", async () => {
    const r = await runTool("wget", ["-q", "--no-proxy", "-O", "-", url(s, "/1k.bin")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout, KIB);
  });

  for (const keepAlive of [false, true]) {
    it(`serves ab (HTTP/1.0)${keepAlive ? " with -k" : ""}: every response complete`, async () => {
      const args = ["-n", "200", "-c", "4", ...(keepAlive ? ["-k"] : []), url(s, "/1k.bin")];
      const r = await runTool("ab", args, { timeoutMs: 60_000 });
      const out = r.stdout.toString();
      assert.equal(r.code, 0, out + r.stderr);
      assert.match(out, /Complete requests:\s+200\n/);
      assert.match(out, /Failed requests:\s+0\n/);
      assert.match(out, /Document Length:\s+1024 bytes/);
      assert.doesNotMatch(out, /Non-2xx/);
      if (keepAlive) assert.match(out, /Keep-Alive requests:\s+200\n/);
      else assert.doesNotMatch(out, /Keep-Alive requests/);
    });
  }
});

describe("tcpkit serve operation", () => {
  it("reports a port in use in one line and exits 1", async () => {
    const s = await startServe(ROOT);
    try {
      const r = await runCli(["serve", ROOT, "--port", String(s.port)]);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `tcpkit: cannot listen on 127.0.0.1:${s.port}: address already in use\n`,
      );
      assert.equal(r.stdout, "");
    } finally {
      await s.stop();
    }
  });

  it("stops on SIGTERM: finishes the response in flight, flushes the log, exits 0", async () => {
    const s = await startCli(["serve", ROOT, "--port", "0", "--allowed-hosts", "any"]);
    const idle = await RawConnection.open(s.port);
    await idle.send("GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert.equal((await idle.readResponse("GET")).status, 200);
    const { code, stdout } = await s.stop("SIGTERM");
    assert.equal(code, 0);
    assert.match(stdout, /"GET \/hello.txt HTTP\/1.1" 200 34\n/);
    await idle.waitClosed();
  });

  it(
    "with --drain-timeout, lets a download in flight finish past the default 5 s on SIGTERM",
    { timeout: 60_000 },
    async () => {
      const size = 32 * 1024 * 1024;
      const fd = openSync(join(ROOT, "drain.bin"), "w");
      ftruncateSync(fd, size);
      closeSync(fd);
      const s = await startServe(ROOT, "--drain-timeout", "60");
      const socket = await openSocket(s.port);
      socket.pause();
      socket.write("GET /drain.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      await new Promise((r) => setTimeout(r, 300));
      const stopped = s.stop("SIGTERM");
      // A client reading nothing for longer than the default drain timeout, then all of it.
      await new Promise((r) => setTimeout(r, 6_000));
      const received: Buffer[] = [];
      socket.on("data", (c: Buffer) => received.push(c));
      socket.on("error", () => {});
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      socket.resume();
      await closed;
      const { code } = await stopped;
      const all = Buffer.concat(received);
      assert.match(all.subarray(0, 20).toString("latin1"), /^HTTP\/1\.1 200 OK\r\n/);
      assert.equal(all.length - (all.indexOf("\r\n\r\n") + 4), size);
      assert.equal(code, 0);
    },
  );

  it("stops on SIGINT too", async () => {
    const s = await startServe(ROOT);
    const { code } = await s.stop("SIGINT");
    assert.equal(code, 0);
  });

  it("writes common, combined and JSON access logs, or none", async () => {
    const lines: Record<string, string> = {};
    for (const format of ["common", "combined", "json", "off"]) {
      const s = await startCli([
        "serve",
        ROOT,
        "--port",
        "0",
        "--allowed-hosts",
        "any",
        "--log",
        format,
      ]);
      await exchange(s.port, [
        "GET /hello.txt HTTP/1.0\r\nUser-Agent: t/1\r\nReferer: http://r/\r\n\r\n",
      ]);
      const { stdout } = await s.stop();
      lines[format] = stdout.split("\n").slice(1).join("\n");
    }
    const stamp = String.raw`\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\]`;
    assert.match(
      lines.common ?? "",
      new RegExp(`^127\\.0\\.0\\.1 - - ${stamp} "GET /hello.txt HTTP/1.0" 200 34\\n$`),
    );
    assert.match(
      lines.combined ?? "",
      new RegExp(
        `^127\\.0\\.0\\.1 - - ${stamp} "GET /hello.txt HTTP/1.0" 200 34 "http://r/" "t/1"\\n$`,
      ),
    );
    const json = JSON.parse(lines.json ?? "") as Record<string, unknown>;
    assert.equal(json.status, 200);
    assert.equal(json.target, "/hello.txt");
    assert.equal(json.userAgent, "t/1");
    assert.equal(lines.off, "");
  });

  it("logs the request line of a head refused after it, as nginx does; '-' without one", async () => {
    const s = await startCli(["serve", ROOT, "--port", "0", "--log", "combined"]);
    const refused = [
      "GET /no-host HTTP/1.1\r\n\r\n",
      "GET /bad-field?q=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Field: x\r\n\r\n",
      "POST /smuggle HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GARBAGE\r\n\r\n",
    ];
    for (const request of refused) {
      const r = await exchange(s.port, [request]);
      assert.match(r.data.toString("latin1"), /^HTTP\/1\.1 400 /);
    }
    const { stdout } = await s.stop();
    const logged = stdout
      .split("\n")
      .slice(1, -1)
      .map((l) => /^127\.0\.0\.1 - - \[[^\]]+\] (".*?") 400 /.exec(l)?.[1]);
    assert.deepEqual(logged, [
      '"GET /no-host HTTP/1.1"',
      '"GET /bad-field?q=1 HTTP/1.1"',
      '"POST /smuggle HTTP/1.1"',
      '"-"',
    ]);
  });

  it("traces request and response heads on stderr with the client's address", async () => {
    const s = await startServe(ROOT, "--trace");
    await exchange(s.port, ["GET /hello.txt HTTP/1.0\r\n\r\n"]);
    const { stderr } = await s.stop();
    assert.match(stderr, /^\[127\.0\.0\.1:\d+\] < GET \/hello\.txt HTTP\/1\.0$/m);
    assert.match(stderr, /^\[127\.0\.0\.1:\d+\] > HTTP\/1\.1 200 OK$/m);
    assert.match(stderr, /^\[127\.0\.0\.1:\d+\] > \[body 34 bytes\]$/m);
  });

  it("applies limit flags: --head-timeout gives 408, --max-target-bytes 414", async () => {
    const s = await startServe(ROOT, "--head-timeout", "0.5", "--max-target-bytes", "32");
    try {
      const slow = await exchange(s.port, ["GET / HTTP/1.1\r\n"], { quietMs: 5000 });
      assert.match(slow.data.toString(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.ok(slow.closed);
      const long = await exchange(s.port, [`GET /${"a".repeat(40)} HTTP/1.1\r\nHost: t\r\n\r\n`]);
      assert.match(long.data.toString(), /^HTTP\/1\.1 414 URI Too Long\r\n/);
    } finally {
      await s.stop();
    }
  });

  it("rejects bad server flags as usage errors (exit 2)", async () => {
    for (const args of [
      ["--log", "verbose"],
      ["--tls-cert", "x.pem"],
      ["--head-timeout", "0"],
      ["--max-headers", "many"],
    ]) {
      const r = await runCli(["serve", ROOT, "--port", "0", ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^tcpkit: .*\n$/);
    }
  });

  it("listens on IPv6 loopback", async () => {
    const s = await startCli([
      "serve",
      ROOT,
      "--port",
      "0",
      "--allowed-hosts",
      "any",
      "--host",
      "::1",
      "--log",
      "off",
    ]);
    try {
      assert.equal(s.line, `tcpkit serve: listening on http://[::1]:${s.port} (root ${ROOT})`);
      const r = await runTool("curl", ["-sS", `http://[::1]:${s.port}/hello.txt`]);
      assert.deepEqual(r.stdout, HELLO);
    } finally {
      await s.stop();
    }
  });

  it("keeps memory bounded when a client reads nothing of a 1 GiB file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tcpkit-huge-"));
    const fd = openSync(join(dir, "huge.bin"), "w");
    ftruncateSync(fd, 1024 * 1024 * 1024); // sparse
    closeSync(fd);
    const s = await startServe(dir);
    try {
      const pid = s.child.pid as number;
      const before = await processMemory(pid);
      const c = await RawConnection.open(s.port);
      c.socket.pause();
      await c.send("GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n");
      await new Promise((res) => setTimeout(res, 2000));
      const grown = (await processMemory(pid)) - before;
      assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown} bytes`);
      c.close();
      // The server is unharmed by the abort.
      const r = await runTool("curl", ["-sS", "-r", "0-9", `http://127.0.0.1:${s.port}/huge.bin`]);
      assert.equal(r.stdout.length, 10);
    } finally {
      await s.stop();
    }
  });
});

describe("tcpkit serve over TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpkit-tls-"));
  let cert = "";
  let key = "";
  const otherKey = join(dir, "other-key.pem");
  before(async () => {
    ({ cert, key } = await makeSelfSignedCert(dir));
    const b = await runTool("openssl", ["genpkey", "-algorithm", "RSA", "-out", otherKey]);
    assert.equal(b.code, 0, b.stderr);
  });

  it("serves HTTPS and says https:// in the readiness line", async () => {
    const s = await startServe(ROOT, "--tls-cert", cert, "--tls-key", key);
    try {
      assert.equal(s.line, `tcpkit serve: listening on https://127.0.0.1:${s.port} (root ${ROOT})`);
      const r = await runTool("curl", ["-sS", "-k", `https://127.0.0.1:${s.port}/hello.txt`]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout, HELLO);
    } finally {
      await s.stop();
    }
  });

  it("answers plain HTTP sent to the HTTPS port with a 400 that says so, as nginx does", async () => {
    const s = await startServe(ROOT, "--tls-cert", cert, "--tls-key", key);
    try {
      for (const method of ["GET", "OPTIONS"]) {
        const r = await runTool("curl", ["-sS", "-i", "-X", method, `http://127.0.0.1:${s.port}/`]);
        assert.equal(r.code, 0, r.stderr); // was 52, "Empty reply from server"
        const text = r.stdout.toString();
        assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n[^]*Connection: close\r\n/);
        assert.match(text, /\r\n\r\n400 Bad Request: plain HTTP was sent to an HTTPS port/);
      }
      const tls = await runTool("curl", ["-sS", "-k", `https://127.0.0.1:${s.port}/hello.txt`]);
      assert.deepEqual(tls.stdout, HELLO);
    } finally {
      await s.stop();
    }
  });

  it("negotiates http/1.1 by ALPN, so a client offering h2 first falls back to it", async () => {
    const s = await startServe(ROOT, "--tls-cert", cert, "--tls-key", key);
    try {
      const url = `https://127.0.0.1:${s.port}/hello.txt`;
      const r = await runTool("curl", ["-sS", "-k", "-v", "--http2", url]);
      assert.match(r.stderr.toString(), /ALPN[^\n]*(?:accepted|server accepted to use) http\/1\.1/);
      // Without ALPN this curl spoke HTTP/2 to the server and got an empty reply (exit 52).
      const h2 = await runTool("curl", ["-sS", "-k", "--http2-prior-knowledge", url]);
      assert.equal(h2.code, 0, h2.stderr.toString());
      assert.deepEqual(h2.stdout, HELLO);
    } finally {
      await s.stop();
    }
  });

  it("fails with one line and exit 1 on an unreadable or mismatched key", async () => {
    const missing = await runCli([
      "serve",
      ROOT,
      "--port",
      "0",
      "--tls-cert",
      cert,
      "--tls-key",
      join(dir, "nope.pem"),
    ]);
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr,
      `tcpkit: TLS: cannot read key file ${join(dir, "nope.pem")}: no such file\n`,
    );
    const mismatch = await runCli([
      "serve",
      ROOT,
      "--port",
      "0",
      "--tls-cert",
      cert,
      "--tls-key",
      otherKey,
    ]);
    assert.equal(mismatch.code, 1);
    assert.equal(mismatch.stderr, "tcpkit: TLS: the key does not match the certificate\n");
    assert.equal(readFileSync(cert, "utf8").includes("BEGIN CERTIFICATE"), true);
  });
});
