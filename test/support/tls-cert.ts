/** A throw-away self-signed certificate for TLS tests, made with the openssl CLI. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runTool } from "./tools.js";

/**
 * Writes cert.pem and key.pem (CN=localhost, 2 days) into `dir` and returns their paths. The
 * subjectAltName covers 127.0.0.1, ::1 and localhost, so verifying clients (tcpkit get --ca)
 * accept it for any loopback URL.
 */
export async function makeSelfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const r = await runTool("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-keyout",
    key,
    "-out",
    cert,
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost",
    "-days",
    "2",
    "-nodes",
  ]);
  assert.equal(r.code, 0, r.stderr);
  return { cert, key };
}

/** A private CA (ca.pem, ca-key.pem in `dir`), as a company or a test setup has one. */
export function makeCa(dir: string): Promise<{ cert: string; key: string }> {
  return ecCertificate(dir, "ca", "tcpkit test CA", [
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
}

/** A server certificate `name`.pem / `name`-key.pem issued by `ca` for the subjectAltName `san`. */
export function makeLeaf(
  dir: string,
  ca: { cert: string; key: string },
  name: string,
  san: string,
): Promise<{ cert: string; key: string }> {
  return ecCertificate(dir, name, name, [
    "-addext",
    `subjectAltName=${san}`,
    "-addext",
    "extendedKeyUsage=serverAuth",
    "-CA",
    ca.cert,
    "-CAkey",
    ca.key,
  ]);
}

/** `name`.pem and `name`-key.pem (ECDSA P-256, 2 days, CN=`cn`) with openssl req's `extra`. */
async function ecCertificate(
  dir: string,
  name: string,
  cn: string,
  extra: string[],
): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  const r = await runTool("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-keyout",
    key,
    "-out",
    cert,
    "-subj",
    `/CN=${cn}`,
    ...extra,
    "-days",
    "2",
    "-nodes",
  ]);
  assert.equal(r.code, 0, r.stderr);
  return { cert, key };
}
