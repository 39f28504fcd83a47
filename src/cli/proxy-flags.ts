/**
 * The reverse-proxy flags of `tcpkit serve` (docs/front-end.md) and the handler they enable. The
 * proxy's modules (and node:tls, node:crypto) are loaded only when --proxy is given: a server
 * without it does not hold them (about 3 MiB of its resting memory).
 */
import { readCa } from "./client-flags.js";
import { errorLine } from "./error-line.js";
import { checkedBy, flag, section, type FlagValues } from "./flags.js";
import type { Handler } from "../http/types.js";
import { parseProxyRoute } from "../proxy/proxy-route.js";
import { UsageError } from "./usage-error.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** The proxy's flags, spread into the serve command's flag table. */
export const PROXY_FLAGS = section("Reverse proxy", {
  proxy: flag.list({
    metavar: "PREFIX=URL",
    help: "send requests under PREFIX (e.g. /api) to the back end at URL (http or https), WebSockets included",
    convert: (text, name) => checkedBy(name, () => parseProxyRoute(text)),
  }),
  "proxy-keep-host": flag.bool({
    help: "send the client's Host to the back end (default: the back end's)",
  }),
  "proxy-ca": flag.text({
    metavar: "FILE",
    help: "trust the CA certificate(s) in FILE (PEM) for https back ends, besides the system's",
  }),
  "proxy-connect-timeout": flag.seconds({
    default: 10_000,
    help: "to connect to a back end, TLS handshake included; past it 504 (refused: 502 at once)",
  }),
  "proxy-timeout": flag.seconds({
    default: 60_000,
    help: "for a back end's response head, and any silence in its body; past it 504 (or a cut)",
  }),
  "trust-proxy": flag.bool({
    help: "keep the client's X-Forwarded-*, X-Real-IP and Forwarded fields and append to them (a proxy is in front); redirects use its scheme and host",
  }),
});

/** The proxy handler, or undefined when no --proxy is given. */
export async function proxyHandler(
  values: FlagValues<typeof PROXY_FLAGS>,
): Promise<Handler | undefined> {
  const ca = values["proxy-ca"];
  if (values.proxy.length === 0) {
    if (ca !== undefined) throw new UsageError("--proxy-ca goes with --proxy");
    return undefined;
  }
  // Verification stays on: the file is trusted besides the system's CAs, never instead of checks.
  const hint = "trust its CA with --proxy-ca FILE";
  const [{ reverseProxy }, { rootCertificates }] = await Promise.all([
    import("../proxy/reverse-proxy.js"),
    import("node:tls"),
  ]);
  const extraCa = ca === undefined ? undefined : await readCaCertificates(ca);
  return reverseProxy({
    routes: values.proxy,
    keepHost: values["proxy-keep-host"],
    trustForwarded: values["trust-proxy"],
    readTimeoutMs: values["proxy-timeout"],
    connectTimeoutMs: values["proxy-connect-timeout"],
    trust:
      extraCa === undefined
        ? { untrustedHint: hint }
        : { ca: `${rootCertificates.join("\n")}\n${extraCa}`, untrustedHint: hint },
    onError: (line) => process.stderr.write(errorLine(line)),
  });
}

/**
 * The --proxy-ca file, checked to hold certificates: node:tls ignores a CA file without any,
 * which would leave the user wondering why the back end is still refused.
 */
async function readCaCertificates(path: string): Promise<string> {
  const pem = readCa(path, "--proxy-ca");
  const { X509Certificate } = await import("node:crypto");
  try {
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new Error("no PEM certificate in it");
    new X509Certificate(pem);
  } catch (err) {
    throw new TcpkitError("ERR_TLS_CONFIG", `--proxy-ca ${path}: ${(err as Error).message}`);
  }
  return pem;
}
