/**
 * The one error class of the library. Callers branch on `code`, never on message text; the
 * message is one human line, fit for a CLI's stderr.
 */

/** Stable, machine-readable failure codes. Add a code here before throwing it. */
export type TcpkitErrorCode =
  | "ERR_ADDRESS_IN_USE"
  | "ERR_ADDRESS_NOT_AVAILABLE"
  | "ERR_LISTEN"
  | "ERR_CONNECT_REFUSED"
  | "ERR_HOST_NOT_FOUND"
  | "ERR_TIMEOUT"
  | "ERR_CONNECTION_CLOSED"
  | "ERR_NETWORK"
  | "ERR_ECHO_MISMATCH"
  | "ERR_TLS_CONFIG"
  | "ERR_INVALID_URL"
  | "ERR_HTTP_PROTOCOL"
  | "ERR_HTTP_STATUS"
  | "ERR_BODY_TOO_LARGE"
  | "ERR_TOO_MANY_REDIRECTS"
  | "ERR_REDIRECT_LOOP"
  | "ERR_REDIRECT_REFUSED"
  | "ERR_DIGEST_MISMATCH"
  | "ERR_INTERRUPTED"
  | "ERR_FILE"
  | "ERR_INVALID_ARGUMENT"
  | "ERR_WORKER";

export class TcpkitError extends Error {
  readonly code: TcpkitErrorCode;

  constructor(code: TcpkitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TcpkitError";
    this.code = code;
  }
}

/**
 * Maps a socket-level error from node:net or node:dns to a TcpkitError with a one-line message
 * naming the peer, e.g. "connection refused by 127.0.0.1:7007".
 */
export function toNetworkError(err: unknown, peer: string): TcpkitError {
  if (err instanceof TcpkitError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ECONNREFUSED":
      return new TcpkitError("ERR_CONNECT_REFUSED", `connection refused by ${peer}`, {
        cause: err,
      });
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return new TcpkitError("ERR_HOST_NOT_FOUND", `cannot resolve ${hostOf(peer)}`, {
        cause: err,
      });
    case "ETIMEDOUT":
      return new TcpkitError("ERR_TIMEOUT", `timed out connecting to ${peer}`, { cause: err });
    case "ECONNRESET":
    case "EPIPE":
      return new TcpkitError("ERR_CONNECTION_CLOSED", `connection reset by ${peer}`, {
        cause: err,
      });
    default: {
      const text = err instanceof Error ? err.message : String(err);
      return new TcpkitError("ERR_NETWORK", `network error with ${peer}: ${text}`, { cause: err });
    }
  }
}

/** "example.com" from "example.com:80", "::1" from "[::1]:8080": the name a lookup failed on. */
function hostOf(peer: string): string {
  const m = /^\[([^\]]*)\](?::\d+)?$/.exec(peer) ?? /^([^:]*)(?::\d+)?$/.exec(peer);
  return m?.[1] ?? peer;
}
