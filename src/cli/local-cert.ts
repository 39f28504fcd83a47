/**
 * `serve --tls auto`: a local certificate authority and a certificate for this machine, made once
 * with the openssl command and kept in the user's cache folder ($XDG_CACHE_HOME/tcpkit, else
 * ~/.cache/tcpkit). The openssl binary rather than hand-written ASN.1 or a new dependency: it is
 * on every system that has a browser to trust the CA with, its X.509 code is the reference, and
 * node:crypto's X509Certificate reads the results back (expiry, names, issuer) for the checks.
 *
 * The CA (ca.pem, ca-key.pem) lives 10 years; the leaf (localhost.pem, localhost-key.pem) 397
 * days (browsers refuse more than 398, CA/Browser Forum BR §6.3.2), with subjectAltName for
 * localhost, 127.0.0.1, ::1 and the host name (CN alone is ignored by browsers, RFC 6125 §6.4.4).
 * Either is made again when missing, within 30 days of expiry, or (the leaf) not issued by the
 * CA or not naming this machine. Keys are written with mode 0600 in a 0700 folder.
 */
import { spawnSync } from "node:child_process";
import { createHash, randomBytes, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { TcpkitError } from "../util/tcpkit-error.js";

/** `openssl req` arguments for a new unencrypted P-256 key, written to the path that follows. */
const NEW_EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout"];

export interface LocalCertificate {
  readonly dir: string;
  /** The CA certificate to trust (PEM file). */
  readonly caPath: string;
  /** SHA-256 fingerprint of the CA certificate, AB:CD:... */
  readonly caFingerprint: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** What was made this time ("" when both were reused). */
  readonly made: string;
}

const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/** The cache folder: $XDG_CACHE_HOME/tcpkit or ~/.cache/tcpkit. */
export function certificateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== ""
      ? env.XDG_CACHE_HOME
      : join(homedir(), ".cache");
  return join(base, "tcpkit");
}

/** The names the leaf must carry. */
export function localNames(): string[] {
  const names = ["DNS:localhost", "IP:127.0.0.1", "IP:::1"];
  const host = hostname().toLowerCase();
  if (/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(host) && host !== "localhost")
    names.push(`DNS:${host}`);
  return names;
}

/** Ensures the CA and the leaf exist and are fit; makes what is missing. Throws TcpkitError. */
export function ensureLocalCertificate(dir = certificateDir()): LocalCertificate {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caPath = join(dir, "ca.pem");
  const caKeyPath = join(dir, "ca-key.pem");
  const certPath = join(dir, "localhost.pem");
  const keyPath = join(dir, "localhost-key.pem");
  const made: string[] = [];
  let ca = readCert(caPath);
  if (ca === undefined || !existsSync(caKeyPath) || expiresSoon(ca)) {
    const host = hostname()
      .replace(/[^A-Za-z0-9.-]/g, "")
      .slice(0, 40);
    openssl(
      [
        "req",
        "-x509",
        "-new",
        ...NEW_EC_KEY,
        caKeyPath,
        "-out",
        caPath,
        "-days",
        "3650",
        "-sha256",
        "-subj",
        `/O=tcpkit local CA/CN=tcpkit local CA ${host}`,
        "-addext",
        "basicConstraints=critical,CA:TRUE,pathlen:0",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ],
      dir,
    );
    chmodSync(caKeyPath, 0o600);
    ca = readCert(caPath) as X509Certificate;
    rmSync(certPath, { force: true }); // issued by the old CA
    made.push("a local CA");
  }
  const leaf = readCert(certPath);
  const names = localNames();
  if (
    leaf === undefined ||
    !existsSync(keyPath) ||
    expiresSoon(leaf) ||
    !leaf.checkIssued(ca) ||
    !namesAll(leaf, names)
  ) {
    const csr = join(dir, "localhost.csr");
    const ext = join(dir, "localhost.ext");
    writeFileSync(
      ext,
      `subjectAltName=${names.join(",")}\nbasicConstraints=critical,CA:FALSE\n` +
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    );
    try {
      openssl(["req", "-new", ...NEW_EC_KEY, keyPath, "-out", csr, "-subj", "/CN=localhost"], dir);
      chmodSync(keyPath, 0o600);
      openssl(
        [
          "x509",
          "-req",
          "-in",
          csr,
          "-CA",
          caPath,
          "-CAkey",
          caKeyPath,
          "-days",
          "397",
          "-sha256",
          "-set_serial",
          `0x${randomBytes(16).toString("hex")}`,
          "-extfile",
          ext,
          "-out",
          certPath,
        ],
        dir,
      );
    } finally {
      rmSync(csr, { force: true });
      rmSync(ext, { force: true });
    }
    made.push("a certificate for localhost");
  }
  return {
    dir,
    caPath,
    caFingerprint: fingerprint(ca),
    certPath,
    keyPath,
    made: made.join(" and "),
  };
}

/** How to trust the CA, for the start-up message and --print-ca. */
export function trustAdvice(c: LocalCertificate): string {
  const p = c.caPath;
  return (
    `local CA: ${p}\n` +
    `  SHA-256 fingerprint ${c.caFingerprint}\n` +
    `  curl --cacert ${p} ...; tcpkit get --ca ${p} ...\n` +
    `  browsers: import ${p} as a certificate authority in the browser's certificate settings,\n` +
    `  or system-wide (Debian, Ubuntu): sudo cp ${p} /usr/local/share/ca-certificates/tcpkit-local-ca.crt && sudo update-ca-certificates\n`
  );
}

function readCert(path: string): X509Certificate | undefined {
  try {
    return new X509Certificate(readFileSync(path));
  } catch {
    return undefined;
  }
}

function expiresSoon(cert: X509Certificate): boolean {
  return Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS;
}

function namesAll(cert: X509Certificate, names: readonly string[]): boolean {
  const have = (cert.subjectAltName ?? "").split(", ").map((n) => n.replace(/^IP Address:/, "IP:"));
  // node prints IPv6 SANs expanded or compressed depending on version: compare by address
  const norm = (n: string): string => (n === "IP:0:0:0:0:0:0:0:1" ? "IP:::1" : n);
  return names.every((n) => have.map(norm).includes(n));
}

function fingerprint(cert: X509Certificate): string {
  const hex = createHash("sha256").update(cert.raw).digest("hex").toUpperCase();
  return hex.match(/../g)?.join(":") ?? hex;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8", timeout: 30_000 });
  if (r.error !== undefined) {
    const missing = (r.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new TcpkitError(
      "ERR_TLS_CONFIG",
      missing
        ? "--tls auto needs the openssl command (install openssl)"
        : `openssl: ${r.error.message}`,
    );
  }
  if (r.status !== 0) {
    const line = (r.stderr ?? "").trim().split("\n")[0] ?? "";
    throw new TcpkitError("ERR_TLS_CONFIG", `openssl ${args[0] ?? ""} failed: ${line}`);
  }
}
