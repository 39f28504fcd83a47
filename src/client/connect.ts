/**
 * Opening the client's connection: TCP with node:net, or TLS with node:tls for https, within a
 * connect timeout that covers the TLS handshake too. Errors become one-line TcpkitErrors.
 */
import { connect as netConnect, isIP, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { formatHostPort } from "../net/address.js";
import { dialOptions } from "../net/dial.js";
import { TcpkitError, toNetworkError } from "../util/tcpkit-error.js";
import type { RequestUrl } from "./request-url.js";

/** TLS trust settings for https URLs. */
export interface TlsTrust {
  /** Extra CA certificates (PEM) to trust, e.g. a test server's self-signed certificate. */
  readonly ca?: string | Buffer;
  /** Skip certificate verification entirely (like curl -k). Only for testing. */
  readonly insecure?: boolean;
}

/**
 * Connects to the URL's host and port; for https also completes the TLS handshake (SNI set for
 * host names, not for IP literals, as RFC 6066 §3 requires). Rejects with ERR_TIMEOUT after
 * `timeoutMs`, or the mapped network/TLS error.
 */
export function openConnection(
  url: RequestUrl,
  timeoutMs: number,
  trust: TlsTrust,
): Promise<Socket> {
  const peer = formatHostPort(url.host, url.port);
  return new Promise((resolve, reject) => {
    const socket: Socket =
      url.scheme === "https"
        ? tlsConnect({
            host: url.host,
            port: url.port,
            ...(isIP(url.host) === 0 ? { servername: url.host } : {}),
            ...(trust.ca !== undefined ? { ca: trust.ca } : {}),
            rejectUnauthorized: trust.insecure !== true,
            ALPNProtocols: ["http/1.1"],
            ...dialOptions(),
          })
        : netConnect({ host: url.host, port: url.port, ...dialOptions() });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new TcpkitError(
          "ERR_TIMEOUT",
          `timed out connecting to ${peer} after ${seconds(timeoutMs)}`,
        ),
      );
    }, timeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(tlsHint(toNetworkError(err, peer), url));
    };
    socket.once("error", onError);
    socket.once(url.scheme === "https" ? "secureConnect" : "connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/**
 * TLS failures in one readable line: certificate problems with a hint at the flags that fix them
 * in a test setup, OpenSSL errors by their reason rather than OpenSSL's internal location.
 */
function tlsHint(err: TcpkitError, url: RequestUrl): TcpkitError {
  if (url.scheme !== "https" || err.code !== "ERR_NETWORK") return err;
  const peer = formatHostPort(url.host, url.port);
  const cause = err.cause as (NodeJS.ErrnoException & { reason?: string }) | undefined;
  const code = cause?.code ?? "";
  if (/CERT|SIGNATURE|ISSUER|SELF_SIGNED|HOSTNAME|ALTNAME/.test(code)) {
    return new TcpkitError(
      "ERR_NETWORK",
      `certificate of ${peer} not trusted: ${cause?.message ?? code} (trust it with --ca FILE, or --insecure)`,
      { cause },
    );
  }
  if (code.startsWith("ERR_SSL_")) {
    const reason = cause?.reason ?? code;
    const hint = code === "ERR_SSL_WRONG_VERSION_NUMBER" ? " (is it an http:// server?)" : "";
    return new TcpkitError("ERR_NETWORK", `TLS handshake with ${peer} failed: ${reason}${hint}`, {
      cause,
    });
  }
  return err;
}

/** "30 s", "0.5 s". */
export function seconds(ms: number): string {
  return `${ms / 1000} s`;
}
