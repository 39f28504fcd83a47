/**
 * `tcpkit serve --secure-headers`, seen with curl and raw bytes: on files, errors and 401s, and
 * on the answers the server core makes itself (405, 501, 400, 431), with --workers too; HSTS
 * only over TLS.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningServer, startServe } from "../support/cli.js";
import { exchange } from "../support/raw-socket.js";
import { makeSelfSignedCert } from "../support/tls-cert.js";
import { runTool } from "../support/tools.js";

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "tcpkit-headers-"));
  writeFileSync(join(dir, "hello.txt"), "hello\n");
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function head(url: string, ...args: string[]): Promise<string> {
  const r = await runTool("curl", ["-s", "-k", "-o", "/dev/null", "-D", "-", ...args, url]);
  return r.stdout.toString("latin1");
}

const SECURE = [
  /\r\nX-Content-Type-Options: nosniff\r\n/,
  /\r\nX-Frame-Options: DENY\r\n/,
  /\r\nContent-Security-Policy: frame-ancestors 'none'\r\n/,
  /\r\nReferrer-Policy: no-referrer\r\n/,
];

describe("serve --secure-headers", () => {
  it("adds them to files, 404s and 401s, without HSTS over plain HTTP", async () => {
    const s = await startServe(dir, "--secure-headers", "--auth", "u:p", "--auth-scope", "upload");
    const plain = await startServe(dir);
    try {
      const base = `http://127.0.0.1:${s.port}`;
      for (const h of [
        await head(`${base}/hello.txt`),
        await head(`${base}/none`),
        await head(`${base}/`),
      ]) {
        for (const re of SECURE) assert.match(h, re);
        assert.doesNotMatch(h, /Strict-Transport-Security/i);
      }
      const off = await head(`http://127.0.0.1:${plain.port}/hello.txt`);
      assert.doesNotMatch(off, /X-Frame-Options|nosniff|Referrer-Policy/);
    } finally {
      await Promise.all([s.stop(), plain.stop()]);
    }
  });

  /** serve --secure-headers --auth u:p over TLS, on a fresh self-signed certificate. */
  async function startSecureTls(): Promise<RunningServer> {
    const { cert, key } = await makeSelfSignedCert(dir);
    return startServe(
      dir,
      "--secure-headers",
      "--auth",
      "u:p",
      "--tls-cert",
      cert,
      "--tls-key",
      key,
    );
  }

  it("adds HSTS over TLS, also on a 401", async () => {
    const s = await startSecureTls();
    try {
      const h = await head(`https://127.0.0.1:${s.port}/hello.txt`);
      assert.match(h, /^HTTP\/1\.1 401 /);
      assert.match(h, /\r\nStrict-Transport-Security: max-age=31536000\r\n/);
      for (const re of SECURE) assert.match(h, re);
    } finally {
      await s.stop();
    }
  });

  // The server core answers these itself, before any handler (method policy, parser, limits).
  const CORE_ANSWERS: [string, string[]][] = [
    ["405", ["-u", "u:p", "-X", "POST"]],
    ["501", ["-u", "u:p", "-X", "FROB"]],
    ["400", ["-u", "u:p", "-H", "Bad Header: 1"]],
    ["431", ["-u", "u:p", "-H", `X-Big: ${"a".repeat(70_000)}`]],
  ];

  it("adds them to the server's own 405, 501, 400 and 431, with every --workers process", async () => {
    const s = await startServe(dir, "--secure-headers", "--auth", "u:p", "--workers", "2");
    try {
      const url = `http://127.0.0.1:${s.port}/hello.txt`;
      // Each on a new connection, twice over: both workers answer some.
      for (let round = 0; round < 2; round++) {
        for (const [status, args] of CORE_ANSWERS) {
          const h = await head(url, ...args);
          assert.match(h, new RegExp(`^HTTP/1\\.1 ${status} `), `${status}: ${h}`);
          for (const re of SECURE) assert.match(h, re, `${status}: ${h}`);
          assert.doesNotMatch(h, /Strict-Transport-Security/i);
        }
        // A head the parser rejects, as raw bytes (nc's repro).
        const raw = await exchange(s.port, ["GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n"]);
        const text = raw.data.toString("latin1");
        assert.match(text, /^HTTP\/1\.1 400 /);
        for (const re of SECURE) assert.match(text, re, text);
      }
    } finally {
      await s.stop();
    }
  });

  it("adds HSTS to the server's own answers over TLS", async () => {
    const s = await startSecureTls();
    try {
      for (const [status, args] of CORE_ANSWERS) {
        const h = await head(`https://127.0.0.1:${s.port}/hello.txt`, ...args);
        assert.match(h, new RegExp(`^HTTP/1\\.1 ${status} `), `${status}: ${h}`);
        assert.match(h, /\r\nStrict-Transport-Security: max-age=31536000\r\n/, status);
        for (const re of SECURE) assert.match(h, re, status);
      }
    } finally {
      await s.stop();
    }
  });
});
