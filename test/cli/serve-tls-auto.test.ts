/**
 * `tcpkit serve --tls auto`: a local CA and a localhost certificate made once in
 * $XDG_CACHE_HOME/tcpkit (keys 0600), reused, renewed near expiry or when a file is garbled or
 * the key does not match; accepted by curl --cacert, tcpkit get --ca and Chromium with the CA in
 * its NSS database (certutil), refused without it. openssl here only checks and forges from the
 * outside (a leaf near expiry, verify).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { launchChromiumProfile } from "../support/chromium.js";
import { runCli, startCli, type RunningServer } from "../support/cli.js";
import { runTool } from "../support/tools.js";

const CACHE = mkdtempSync(join(tmpdir(), "tcpkit-tls-auto-"));
const DIR = join(CACHE, "tcpkit");
const ROOT = mkdtempSync(join(tmpdir(), "tcpkit-tls-root-"));
writeFileSync(join(ROOT, "index.html"), "<title>secure</title>\n");
const env = { ...process.env, XDG_CACHE_HOME: CACHE };

function serve(): Promise<RunningServer> {
  return startCli(["serve", ROOT, "--port", "0", "--log", "off", "--tls", "auto"], {
    env,
    timeoutMs: 30_000,
  });
}

const DAY = 24 * 3600 * 1000;

/** curl trusting only `ca` (a PEM file), for the page at https://HOST:PORT/. */
function curlTrusting(ca: string, port: number, host = "localhost"): ReturnType<typeof runTool> {
  return runTool("curl", ["-sS", "--cacert", ca, `https://${host}:${port}/`]);
}

after(() => {
  rmSync(CACHE, { recursive: true, force: true });
  rmSync(ROOT, { recursive: true, force: true });
});

describe("serve --tls auto", () => {
  it("makes a CA and a certificate that curl, tcpkit get and Chromium accept", async () => {
    const s = await serve();
    try {
      assert.match(s.stderr(), /made a local CA and a certificate for localhost/);
      assert.match(s.stderr(), /SHA-256 fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}\n/);
      assert.match(s.line, /listening on https:\/\//);
      const ca = join(DIR, "ca.pem");
      // (::1 is in the certificate too, checked below; the server listens on 127.0.0.1)
      for (const host of ["localhost", "127.0.0.1"]) {
        const r = await curlTrusting(ca, s.port, host);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.toString(), "<title>secure</title>\n");
      }
      const untrusted = await runTool("curl", ["-sS", `https://localhost:${s.port}/`]);
      assert.equal(untrusted.code, 60, "curl trusted it without --cacert");
      const get = await runCli(["get", "--ca", ca, "-O", "-", `https://localhost:${s.port}/`], {
        env,
      });
      assert.equal(get.code, 0, get.stderr);
      assert.equal(get.stdout, "<title>secure</title>\n");

      // Chromium, with the CA trusted in an NSS database of its own (HOME/.pki/nssdb)
      const home = mkdtempSync(join(tmpdir(), "tcpkit-chromium-home-"));
      mkdirSync(join(home, ".pki", "nssdb"), { recursive: true });
      const db = `sql:${join(home, ".pki", "nssdb")}`;
      assert.equal(spawnSync("certutil", ["-N", "-d", db, "--empty-password"]).status, 0);
      const added = spawnSync("certutil", ["-A", "-d", db, "-n", "tcpkit", "-t", "C,,", "-i", ca]);
      assert.equal(added.status, 0, added.stderr.toString());
      const browser = await launchChromiumProfile(join(home, "profile"), {
        env: { ...process.env, HOME: home },
      });
      try {
        const page = browser.pages()[0] ?? (await browser.newPage());
        const response = await page.goto(`https://localhost:${s.port}/`);
        assert.equal(response?.status(), 200);
        assert.equal(await page.title(), "secure");
      } finally {
        await browser.close();
        rmSync(home, { recursive: true, force: true });
      }
    } finally {
      await s.stop();
    }
  });

  it("keeps keys private, the leaf within browser limits, naming localhost and loopback", () => {
    assert.equal(statSync(DIR).mode & 0o777, 0o700);
    for (const key of ["ca-key.pem", "localhost-key.pem"])
      assert.equal(statSync(join(DIR, key)).mode & 0o777, 0o600, key);
    const leaf = new X509Certificate(readFileSync(join(DIR, "localhost.pem")));
    const ca = new X509Certificate(readFileSync(join(DIR, "ca.pem")));
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
    const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / DAY;
    assert.ok(days <= 398, `${days} days`);
    assert.match(leaf.subjectAltName ?? "", /DNS:localhost/);
    assert.match(leaf.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
    assert.match(leaf.subjectAltName ?? "", /IP Address:(?:0:0:0:0:0:0:0:1|::1)/);
    assert.equal(ca.ca, true);
  });

  it("reuses what it made, and renews a leaf near expiry", async () => {
    const leafPath = join(DIR, "localhost.pem");
    const before = readFileSync(leafPath, "utf8");
    const again = await serve();
    await again.stop();
    assert.equal(readFileSync(leafPath, "utf8"), before);
    assert.doesNotMatch(again.stderr(), /made/);
    // a leaf with 10 days left, signed by the same CA
    const ext = join(CACHE, "ext");
    writeFileSync(ext, "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n");
    const csr = join(CACHE, "csr");
    assert.equal(
      spawnSync("openssl", [
        "req",
        "-new",
        "-key",
        join(DIR, "localhost-key.pem"),
        "-subj",
        "/CN=localhost",
        "-out",
        csr,
      ]).status,
      0,
    );
    const short = spawnSync("openssl", [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      join(DIR, "ca.pem"),
      "-CAkey",
      join(DIR, "ca-key.pem"),
      "-days",
      "10",
      "-set_serial",
      "7",
      "-extfile",
      ext,
      "-out",
      leafPath,
    ]);
    assert.equal(short.status, 0, short.stderr.toString());
    const renewed = await serve();
    try {
      assert.match(renewed.stderr(), /made a certificate for localhost/);
      assert.doesNotMatch(renewed.stderr(), /local CA and/);
      // the new leaf is issued by the CA kept from before, and chains to it
      const r = await curlTrusting(join(DIR, "ca.pem"), renewed.port);
      assert.equal(r.code, 0, r.stderr);
      const v = spawnSync("openssl", ["verify", "-CAfile", join(DIR, "ca.pem"), leafPath]);
      assert.equal(v.status, 0, v.stderr.toString());
    } finally {
      await renewed.stop();
    }
    const leaf = new X509Certificate(readFileSync(leafPath));
    assert.ok(Date.parse(leaf.validTo) - Date.now() > 300 * DAY);
  });

  it("makes the leaf again when its key does not match, or a file is garbled", async () => {
    const keyPath = join(DIR, "localhost-key.pem");
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
    writeFileSync(keyPath, other.privateKey.export({ format: "pem", type: "pkcs8" }));
    const s = await serve();
    try {
      assert.match(s.stderr(), /made a certificate for localhost/);
      const r = await curlTrusting(join(DIR, "ca.pem"), s.port);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await s.stop();
    }
    const leaf = new X509Certificate(readFileSync(join(DIR, "localhost.pem")));
    assert.ok(leaf.checkPrivateKey(createPrivateKey(readFileSync(keyPath))));
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    writeFileSync(join(DIR, "localhost.pem"), "-----BEGIN CERTIFICATE-----\ngarbage\n");
    const again = await serve();
    await again.stop();
    assert.match(again.stderr(), /made a certificate for localhost/);
  });

  it("gives two servers started at once on an empty cache one CA that both serve under", async () => {
    const cache = mkdtempSync(join(tmpdir(), "tcpkit-tls-race-"));
    const raceEnv = { ...process.env, XDG_CACHE_HOME: cache };
    const args = ["serve", ROOT, "--port", "0", "--log", "off", "--tls", "auto"];
    const both = await Promise.all([
      startCli(args, { env: raceEnv, timeoutMs: 30_000 }),
      startCli(args, { env: raceEnv, timeoutMs: 30_000 }),
    ]);
    try {
      const ca = join(cache, "tcpkit", "ca.pem");
      for (const s of both) {
        const r = await curlTrusting(ca, s.port);
        assert.equal(r.code, 0, r.stderr);
      }
      // one of them made the files, the other waited for them and reused them
      assert.equal(both.filter((s) => /made a local CA/.test(s.stderr())).length, 1);
      assert.deepEqual(readdirSync(join(cache, "tcpkit")).sort(), [
        "ca-key.pem",
        "ca.pem",
        "localhost-key.pem",
        "localhost.pem",
      ]);
    } finally {
      await Promise.all(both.map((s) => s.stop()));
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("says in one line why when the cache folder cannot be used", async () => {
    const file = join(CACHE, "not-a-folder");
    writeFileSync(file, "");
    const r = await runCli(["serve", ROOT, "--port", "0", "--tls", "auto"], {
      env: { ...process.env, XDG_CACHE_HOME: file },
    });
    assert.notEqual(r.code, 0);
    assert.equal(
      r.stderr,
      `tcpkit: --tls auto cannot keep certificates in ${join(file, "tcpkit")}: a file is in the way (set XDG_CACHE_HOME to another folder)\n`,
    );
  });

  it("prints the CA with --print-ca; refuses it alone and --tls auto with --tls-cert", async () => {
    const r = await runCli(["serve", "--tls", "auto", "--print-ca"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^local CA: ${join(DIR, "ca.pem")}\n  SHA-256 fingerprint `));
    const alone = await runCli(["serve", "--print-ca"], { env });
    assert.equal(alone.code, 2);
    const both = await runCli(["serve", "--tls", "auto", "--tls-cert", "a", "--tls-key", "b"], {
      env,
    });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^tcpkit: --tls auto and --tls-cert exclude each other/);
  });
});
