/** `tcpkit serve --secure-headers`, seen with curl: on files, errors and 401s; HSTS only over TLS. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServe } from "../support/cli.js";
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

  it("adds HSTS over TLS, also on a 401", async () => {
    const { cert, key } = await makeSelfSignedCert(dir);
    const s = await startServe(
      dir,
      "--secure-headers",
      "--auth",
      "u:p",
      "--tls-cert",
      cert,
      "--tls-key",
      key,
    );
    try {
      const h = await head(`https://127.0.0.1:${s.port}/hello.txt`);
      assert.match(h, /^HTTP\/1\.1 401 /);
      assert.match(h, /\r\nStrict-Transport-Security: max-age=31536000\r\n/);
      for (const re of SECURE) assert.match(h, re);
    } finally {
      await s.stop();
    }
  });
});
