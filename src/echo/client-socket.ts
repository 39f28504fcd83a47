/**
 * Opening the echo client's connection: connect with a timeout, measure how long it took, and
 * turn every failure into one TcpkitError line (refused, unknown host, timeout).
 */
import { connect, type OnReadOpts, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { formatHostPort } from "../net/address.js";
import { dialOptions } from "../net/dial.js";
import { TcpkitError, toNetworkError } from "../util/tcpkit-error.js";

/** Options every echo client function takes. */
export interface EchoClientOptions {
  /** Server host name or address (default 127.0.0.1). */
  host?: string;
  /** Server port (default 7007). */
  port?: number;
  /** Limit for connecting and for waiting on each echo, in ms (default 10,000). */
  timeoutMs?: number;
  /** TCP_NODELAY on the client socket (default true: small payloads leave at once). */
  noDelay?: boolean;
}

export const DEFAULT_CLIENT_TIMEOUT_MS = 10_000;

/**
 * Default limit of bytes sent but not yet echoed, per connection, in the streaming modes. Large
 * enough not to limit loopback throughput; small enough to bound the client's memory.
 */
export const DEFAULT_WINDOW_BYTES = 4 * 1024 * 1024;

/** Resolved client options plus the "host:port" label used in messages. */
export interface EchoTarget {
  host: string;
  port: number;
  timeoutMs: number;
  noDelay: boolean;
  peer: string;
}

export function resolveTarget(options: EchoClientOptions): EchoTarget {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 7007;
  return {
    host,
    port,
    timeoutMs: options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS,
    noDelay: options.noDelay ?? true,
    peer: formatHostPort(host, port),
  };
}

export interface EchoConnection {
  socket: Socket;
  /** Time from the connect() call to the established connection (includes DNS), ms. */
  connectMs: number;
}

/**
 * Connects to the echo server; rejects with ERR_CONNECT_REFUSED, ERR_HOST_NOT_FOUND, ERR_TIMEOUT...
 * With `onread`, received bytes go to its callback instead of 'data' events (echo-lane.ts).
 */
export function connectEcho(target: EchoTarget, onread?: OnReadOpts): Promise<EchoConnection> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({
      host: target.host,
      port: target.port,
      noDelay: target.noDelay,
      allowHalfOpen: true,
      ...dialOptions(),
      ...(onread === undefined ? {} : { onread }),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TcpkitError("ERR_TIMEOUT", `timed out connecting to ${target.peer}`));
    }, target.timeoutMs);
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(toNetworkError(err, target.peer));
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      // Until the caller attaches its own: an error must never go unhandled.
      socket.on("error", () => {});
      resolve({ socket, connectMs: performance.now() - started });
    });
  });
}
