/**
 * `serve --tls auto`: a local certificate authority and a certificate for this machine, made once
 * and kept in the user's cache folder ($XDG_CACHE_HOME/tcpkit, else ~/.cache/tcpkit).
 *
 * Certificates are built with @peculiar/x509 (a maintained X.509 library over WebCrypto) and the
 * keys made by the runtime's WebCrypto, in process: no ASN.1 of tcpkit's own, and no openssl
 * command to find (it is missing on Windows and differs on macOS). node:crypto's X509Certificate
 * reads the results back for the checks (expiry, names, issuer, key match).
 *
 * The CA (ca.pem, ca-key.pem) lives 10 years; the leaf (localhost.pem, localhost-key.pem) 397
 * days (browsers refuse more than 398, CA/Browser Forum BR §6.3.2), with subjectAltName for
 * localhost, 127.0.0.1, ::1 and the host name (CN alone is ignored by browsers, RFC 6125 §6.4.4).
 * Either is made again when missing, unreadable, not matching its key, within 30 days of expiry,
 * or (the leaf) not issued by the CA or not naming this machine. Keys are written with mode 0600
 * in a 0700 folder, every file whole (temporary name, then rename), and a lock file keeps two
 * tcpkit processes starting at once from mixing the key of one with the certificate of the other.
 */
import "reflect-metadata"; // @peculiar/x509's dependency injection needs it loaded first
import * as x509 from "@peculiar/x509";
import {
  createHash,
  createPrivateKey,
  randomBytes,
  webcrypto,
  X509Certificate,
  type KeyObject,
} from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { open, unlink } from "node:fs/promises";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TcpkitError } from "../util/tcpkit-error.js";
import { writeWhole } from "../util/write-whole.js";

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

const DAY_MS = 24 * 3600 * 1000;
const RENEW_BEFORE_MS = 30 * DAY_MS;
const CA_DAYS = 3650;
const LEAF_DAYS = 397;
/** P-256 ECDSA: small, fast, accepted by every browser and TLS stack that matters. */
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
/** A lock older than this was left by a process that died while making certificates. */
const STALE_LOCK_MS = 30_000;

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

interface Paths {
  readonly caPath: string;
  readonly caKeyPath: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/** Ensures the CA and the leaf exist and are fit; makes what is missing. Throws TcpkitError. */
export async function ensureLocalCertificate(dir = certificateDir()): Promise<LocalCertificate> {
  makeFolder(dir);
  const paths: Paths = {
    caPath: join(dir, "ca.pem"),
    caKeyPath: join(dir, "ca-key.pem"),
    certPath: join(dir, "localhost.pem"),
    keyPath: join(dir, "localhost-key.pem"),
  };
  const names = localNames();
  let fit = check(paths, names);
  let made = "";
  if (fit.ca === undefined || !fit.leaf) {
    const release = await lock(dir);
    try {
      fit = check(paths, names); // another process may have made them while we waited
      made = await make(paths, names, fit.ca);
      fit = check(paths, names);
    } catch (err) {
      throw err instanceof TcpkitError ? err : fileError(dir, err);
    } finally {
      await release();
    }
    if (fit.ca === undefined || !fit.leaf)
      throw new TcpkitError("ERR_TLS_CONFIG", `--tls auto: the certificates in ${dir} are unfit`);
  }
  return { dir, ...paths, caFingerprint: fingerprint(fit.ca), made };
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

/** The fit CA (undefined when it must be made) and whether the leaf is fit. */
function check(p: Paths, names: readonly string[]): { ca?: X509Certificate; leaf: boolean } {
  const ca = readPair(p.caPath, p.caKeyPath);
  if (ca === undefined || ca.ca !== true) return { leaf: false };
  const leaf = readPair(p.certPath, p.keyPath);
  const leafFit =
    leaf !== undefined &&
    leaf.checkIssued(ca) &&
    leaf.verify(ca.publicKey) &&
    namesAll(leaf, names);
  return { ca, leaf: leafFit };
}

/** Makes what check() found unfit; says what it made. */
async function make(p: Paths, names: readonly string[], fitCa?: X509Certificate): Promise<string> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const made: string[] = [];
  let caKeys: webcrypto.CryptoKeyPair;
  let caName: x509.Name;
  if (fitCa === undefined) {
    caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
    const host = hostname()
      .replace(/[^A-Za-z0-9.-]/g, "")
      .slice(0, 40);
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=tcpkit local CA ${host}, O=tcpkit local CA`,
      ...validity(CA_DAYS),
      signingAlgorithm: ALGORITHM,
      keys: caKeys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    });
    // the key first: a certificate on disk always has its key beside it
    await writeWhole(p.caKeyPath, await privatePem(caKeys.privateKey), 0o600);
    await writeWhole(p.caPath, ca.toString("pem"));
    caName = ca.subjectName;
    made.push("a local CA");
  } else {
    const der = createPrivateKey(readFileSync(p.caKeyPath)).export({
      format: "der",
      type: "pkcs8",
    });
    const privateKey = await webcrypto.subtle.importKey("pkcs8", der, ALGORITHM, true, ["sign"]);
    caKeys = { privateKey, publicKey: await publicOf(fitCa) };
    // the issuer field copies the CA's subject as encoded, so every verifier matches the two
    caName = new x509.X509Certificate(fitCa.raw).subjectName;
  }
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "CN=localhost",
    issuer: caName,
    ...validity(LEAF_DAYS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names.map(generalName)),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writeWhole(p.keyPath, await privatePem(keys.privateKey), 0o600);
  await writeWhole(p.certPath, leaf.toString("pem"));
  made.push("a certificate for localhost");
  return made.join(" and ");
}

/** The certificate at `certPath` when it parses, matches the key at `keyPath` and is not near expiry. */
function readPair(certPath: string, keyPath: string): X509Certificate | undefined {
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(readFileSync(certPath));
    key = createPrivateKey(readFileSync(keyPath));
  } catch {
    return undefined; // missing or garbled: make it again
  }
  if (!cert.checkPrivateKey(key)) return undefined;
  if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return undefined;
  return cert;
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  // an hour back, so a client whose clock lags a little does not see "not yet valid"
  const notBefore = new Date(Date.now() - 3600 * 1000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + days * DAY_MS) };
}

/** 16 random bytes, positive and without a leading zero byte (RFC 5280 §4.1.2.2). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString("hex");
}

function generalName(name: string): x509.JsonGeneralName {
  return name.startsWith("IP:")
    ? { type: "ip", value: name.slice(3) }
    : { type: "dns", value: name.slice(4) };
}

async function privatePem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" })
    .export({ format: "pem", type: "pkcs8" })
    .toString();
}

async function publicOf(cert: X509Certificate): Promise<webcrypto.CryptoKey> {
  const spki = cert.publicKey.export({ format: "der", type: "spki" });
  return webcrypto.subtle.importKey("spki", spki, ALGORITHM, true, ["verify"]);
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

/** The cache folder, made 0700; a clear error when it cannot be (a file in the way, no rights). */
function makeFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error(""), { code: "ENOTDIR" });
  } catch (err) {
    throw fileError(dir, err);
  }
}

function fileError(dir: string, err: unknown): TcpkitError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === "ENOTDIR" || code === "EEXIST"
      ? "a file is in the way"
      : code === "EACCES" || code === "EPERM"
        ? "permission denied"
        : code === "EROFS"
          ? "read-only file system"
          : code === "ENOSPC"
            ? "no space left"
            : (code ?? (err as Error).message);
  return new TcpkitError(
    "ERR_TLS_CONFIG",
    `--tls auto cannot keep certificates in ${dir}: ${why} (set XDG_CACHE_HOME to another folder)`,
    { cause: err },
  );
}

/**
 * Holds `dir`/.lock (created exclusively) while certificates are made, so two processes started
 * at once do not interleave their files. Waits for another holder up to a little over
 * STALE_LOCK_MS, then takes over a lock its holder must have left behind by dying.
 */
async function lock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, ".lock");
  const deadline = Date.now() + STALE_LOCK_MS + 5000;
  for (;;) {
    try {
      await (await open(path, "wx", 0o600)).close();
      return () => unlink(path).catch(() => {});
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw fileError(dir, err);
    }
    let age = 0;
    try {
      age = Date.now() - statSync(path).mtimeMs;
    } catch {
      continue; // released meanwhile: try again
    }
    if (age > STALE_LOCK_MS || Date.now() > deadline) rmSync(path, { force: true });
    else await sleep(50);
  }
}
