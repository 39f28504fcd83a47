/**
 * Opening the client's connection: TCP with node:net, or TLS with node:tls for https, within a
 * connect timeout that covers the TLS handshake too. Errors become one-line TcpkitErrors.
 */
import { connect as netConnect, isIP, type Socket } from "node:net";
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
  /** How to trust a refused certificate, for the error line (default: the --ca/--insecure flags). */
  readonly untrustedHint?: string;
}

/** When the connection's set-up phases ended (performance.now() milliseconds). */
export interface ConnectTimings {
  /** When connecting started. */
  start: number;
  /** The name was resolved (0: an IP literal, or not known). */
  lookupAt: number;
  /** TCP connected. */
  connectAt: number;
  /** TLS handshake done (0 for http). */
  secureAt: number;
  /** The address connected to, and its port. */
  remoteAddress: string;
  remotePort: number;
}

/** Bytes read per read on a plain TCP connection with a ReadTarget (one buffer, reused). */
export const READ_BUFFER_BYTES = 256 * 1024;

/**
 * Where a plain TCP connection's bytes go when it reads into one buffer of its own, reused for
 * every read (net.connect's `onread`): no allocation per read, so a long download does not churn
 * hundreds of megabytes of garbage. `onRead` gets a view of that buffer, valid only during the
 * call: whatever keeps bytes must copy them. TLS sockets cannot do this; they emit 'data'.
 */
export interface ReadTarget {
  onRead: ((chunk: Buffer) => void) | undefined;
  /** Set by openConnection when the socket reads into the shared buffer. */
  reusesBuffer: boolean;
}

/**
 * Connects to the URL's host and port; for https also completes the TLS handshake (SNI set for
 * host names, not for IP literals, as RFC 6066 §3 requires). Rejects with ERR_TIMEOUT after
 * `timeoutMs`, or the mapped network/TLS error. With a `target`, a plain TCP socket hands its
 * bytes to `target.onRead` instead of emitting 'data'.
 */
export async function openConnection(
  url: RequestUrl,
  timeoutMs: number,
  trust: TlsTrust,
  timings?: ConnectTimings,
  signal?: AbortSignal,
  target?: ReadTarget,
): Promise<Socket> {
  const peer = formatHostPort(url.host, url.port);
  // node:tls (and the crypto under it) only for https: loading it costs a plain download's
  // start-up about 10 ms.
  const tlsConnect = url.scheme === "https" ? (await import("node:tls")).connect : undefined;
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(interrupted(signal));
      return;
    }
    if (timings !== undefined) timings.start = performance.now();
    const socket: Socket =
      tlsConnect !== undefined
        ? tlsConnect({
            host: url.host,
            port: url.port,
            ...(isIP(url.host) === 0 ? { servername: url.host } : {}),
            ...(trust.ca !== undefined ? { ca: trust.ca } : {}),
            rejectUnauthorized: trust.insecure !== true,
            ALPNProtocols: ["http/1.1"],
            ...dialOptions(),
          })
        : netConnect({
            host: url.host,
            port: url.port,
            ...dialOptions(),
            ...(target === undefined ? {} : { onread: readInto(target) }),
          });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new TcpkitError(
          "ERR_TIMEOUT",
          `timed out connecting to ${peer} after ${seconds(timeoutMs)}`,
        ),
      );
    }, timeoutMs);
    const onAbort = (): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(interrupted(signal));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(tlsHint(toNetworkError(err, peer), url, trust.untrustedHint));
    };
    socket.once("error", onError);
    if (timings !== undefined) recordTimings(socket, timings);
    socket.once(url.scheme === "https" ? "secureConnect" : "connect", () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", onError);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

function readInto(target: ReadTarget): { buffer: Buffer; callback: (n: number) => boolean } {
  target.reusesBuffer = true;
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  return {
    buffer,
    callback: (n) => {
      target.onRead?.(buffer.subarray(0, n));
      return true;
    },
  };
}

/** Notes when the name was resolved, TCP connected and TLS finished, and the address used. */
function recordTimings(socket: Socket, timings: ConnectTimings): void {
  // With autoSelectFamily, 'lookup' fires once per name and 'connect' once for the winner.
  socket.once("lookup", () => (timings.lookupAt = performance.now()));
  socket.once("connect", () => {
    timings.connectAt = performance.now();
    timings.remoteAddress = socket.remoteAddress ?? "";
    timings.remotePort = socket.remotePort ?? 0;
  });
  socket.once("secureConnect", () => (timings.secureAt = performance.now()));
}

/**
 * TLS failures in one readable line: certificate problems with a hint at the flags that fix them
 * in a test setup, OpenSSL errors by their reason rather than OpenSSL's internal location.
 */
function tlsHint(err: TcpkitError, url: RequestUrl, untrustedHint?: string): TcpkitError {
  if (url.scheme !== "https" || err.code !== "ERR_NETWORK") return err;
  const peer = formatHostPort(url.host, url.port);
  const cause = err.cause as (NodeJS.ErrnoException & { reason?: string }) | undefined;
  const code = cause?.code ?? "";
  if (/CERT|SIGNATURE|ISSUER|SELF_SIGNED|HOSTNAME|ALTNAME/.test(code)) {
    return new TcpkitError(
      "ERR_NETWORK",
      `certificate of ${peer} not trusted: ${cause?.message ?? code} (${untrustedHint ?? "trust it with --ca FILE, or --insecure"})`,
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

/**
 * The error of work given up because its AbortSignal fired: the signal's reason when it is a
 * TcpkitError (the caller said why, e.g. stdout is gone), else "interrupted" (Ctrl-C).
 */
export function interrupted(signal?: AbortSignal): TcpkitError {
  const reason: unknown = signal?.reason;
  return reason instanceof TcpkitError ? reason : new TcpkitError("ERR_INTERRUPTED", "interrupted");
}

/** "30 s", "0.5 s". */
export function seconds(ms: number): string {
  return `${ms / 1000} s`;
}
