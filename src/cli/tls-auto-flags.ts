/**
 * `serve --tls auto` and `--print-ca`: HTTPS on localhost without making certificates by hand.
 * local-cert.ts (node:crypto, @peculiar/x509) is loaded only with --tls auto.
 */
import { flag, type FlagValues } from "./flags.js";
import { UsageError } from "./usage-error.js";
import type { HttpServerOptions } from "../http/server/server.js";
import { isWorkerProcess } from "../net/workers.js";

export const TLS_AUTO_FLAGS = {
  tls: flag.choice(["auto"], {
    help: "HTTPS with a certificate from a local CA made once in ~/.cache/tcpkit (see --print-ca)",
  }),
  "print-ca": flag.bool({
    help: "with --tls auto: print the CA's path, fingerprint and how to trust it, and exit",
  }),
};

/**
 * With --tls auto: makes or reuses the certificate, sets it in `options`, and says on stderr
 * what was made and how to trust the CA. Returns the text to print and exit with for --print-ca.
 */
export async function applyTlsAuto(
  values: FlagValues<typeof TLS_AUTO_FLAGS> & { "tls-cert": string | undefined },
  options: Pick<HttpServerOptions, "tls">,
): Promise<string | undefined> {
  if (values.tls === undefined) {
    if (values["print-ca"]) throw new UsageError("--print-ca goes with --tls auto");
    return undefined;
  }
  if (values["tls-cert"] !== undefined)
    throw new UsageError("--tls auto and --tls-cert exclude each other");
  const { ensureLocalCertificate, trustAdvice } = await import("./local-cert.js");
  const local = await ensureLocalCertificate();
  options.tls = { cert: local.certPath, key: local.keyPath };
  if (values["print-ca"]) return trustAdvice(local);
  if (isWorkerProcess()) return undefined; // the primary said it
  if (local.made !== "") process.stderr.write(`tcpkit serve: made ${local.made} in ${local.dir}\n`);
  process.stderr.write(`tcpkit serve: ${trustAdvice(local)}`);
  return undefined;
}
