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
