/**
 * createHttpServer(options, handler): an HTTP/1.0 + HTTP/1.1 server on node:net (or node:tls)
 * sockets with tcpkit's own parser. It owns listening, the connection limit, deadlines (one
 * sweep timer for all connections), accept errors and the graceful stop (through the
 * connection registry); each connection is a ServerConnection.
 */
import { readFileSync } from "node:fs";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import type { SecureContext } from "node:tls";
import { ServerConnection } from "./connection.js";
import type { ExchangeRecord } from "./exchange-record.js";
import { prebuiltResponse } from "./prebuilt-response.js";
import type { ServerContext } from "./server-context.js";
import { errorBody, errorPlan } from "../error-plan.js";
import { resolveLimits, type HttpLimits } from "../limits.js";
import { MethodPolicy } from "../method-policy.js";
import type { Handler } from "../types.js";
import { ConnectionRegistry } from "../../net/connection-registry.js";
import { listen, type BoundAddress } from "../../net/listen.js";
import { guardDescriptors } from "../../net/descriptor-guard.js";
import { reportServerError } from "../../net/server-errors.js";
import { nodeTls } from "../../net/node-tls.js";
import { TlsHandshakes } from "../../net/tls-handshakes.js";
import { enableReadBufferReclaim } from "../../util/runtime-tuning.js";
import { TcpkitError } from "../../util/tcpkit-error.js";

/** TLS material: file paths, or the PEM contents themselves. */
export interface HttpTlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

export interface HttpServerOptions {
  /** Address to listen on (default 127.0.0.1; "::1" or "::" for IPv6). */
  host?: string;
  /** Port (default 8080; 0 picks a free one, see listen()'s result). */
  port?: number;
  /** Limits; anything left out takes DEFAULT_LIMITS (see limits.ts). */
  limits?: Partial<HttpLimits>;
  /** Serve HTTPS with this certificate and key (node:tls). */
  tls?: HttpTlsOptions;
  /** Called after each response is handed to the socket (access logs). */
  onExchange?: (record: ExchangeRecord) => void;
  /** Receives --trace text: every request and response head, direction-marked. */
  trace?: (text: string) => void;
  /**
   * Called once for each handler that throws or rejects (the client gets a canned 500).
   * Default: one line on stderr.
   */
  onHandlerError?: (err: unknown) => void;
  /**
   * Called for each error of the listening socket after listen(), such as an accept failure
   * (EMFILE: out of file descriptors); the server keeps accepting. Default: one line on stderr.
   */
  onServerError?: (err: Error) => void;
  /**
   * Free socket read buffers early with a young-generation GC every MiB of request body read:
   * keeps peak memory tens of MiB lower while large bodies stream in (util/runtime-tuning.ts).
   * Default false: it exposes V8's gc() process-wide, a choice for the process owner (the CLI
   * turns it on), not for a library embedded in someone else's program.
   */
  reclaimReadBuffers?: boolean;
  /**
   * Header lines ("Name: value\r\n" each) added to every answer the server makes itself rather
   * than the handler: 405/501 and `OPTIONS *`, 400/408/413/414/431/505 to bad or slow requests,
   * 500 for a failed handler, 503 past maxConnections. What they mean is the caller's business
   * (serve's --secure-headers puts its fields here, so they cover every answer). Not added to the
   * plain-text 400 to plain HTTP sent to an HTTPS port: that answer does not go over TLS. Set once;
   * default none, at no cost per request.
   */
  ownAnswerHeaders?: string;
}

export interface HttpServer {
  /** Binds and starts accepting; resolves with the real address. */
  listen(): Promise<BoundAddress>;
  /** Stops accepting, lets in-flight responses finish within a bound, closes idle connections. */
  close(): Promise<void>;
  /** Connections currently open. */
  readonly connectionCount: number;
  /** Connections accepted since listen() (refused ones included), for metrics. */
  readonly connectionsAccepted: number;
  /** True when serving HTTPS. */
  readonly secure: boolean;
}

/**
 * Creates a server that answers each request with `handler`'s plan. TLS certificate problems
 * (unreadable files, a key that does not match) throw ERR_TLS_CONFIG here, not at the first
 * connection.
 */
export function createHttpServer(options: HttpServerOptions, handler: Handler): HttpServer {
  const limits = resolveLimits(options.limits);
  if (options.reclaimReadBuffers === true) enableReadBufferReclaim();
  const secure = options.tls !== undefined;
  const registry = new ConnectionRegistry<ServerConnection>();
  const notFound = errorPlan(404);
  const own = checkedHeaderLines(options.ownAnswerHeaders ?? "");
  const ctx: ServerContext = {
    handler,
    methods: new MethodPolicy(handler.methods, own),
    ownAnswerHeaders: own,
    limits,
    secure,
    registry,
    onExchange: options.onExchange,
    trace: options.trace,
    onHandlerError: options.onHandlerError ?? defaultHandlerError,
    fallback: () => notFound,
  };

  let accepted = 0;
  const onSocket = (socket: Socket): void => {
    accepted++;
    if (registry.isDraining) {
      socket.on("error", ignoreError);
      socket.destroy();
      return;
    }
    if (registry.size >= limits.maxConnections) {
      refuse(socket, own);
      return;
    }
    // TCP_NODELAY is already on: the server below passes noDelay, applied at accept.
    new ServerConnection(socket, ctx);
  };

  // With TLS, a socket counts toward maxConnections from accept, not from the end of its
  // handshake, and an unfinished handshake ends within headTimeoutMs (net/tls-handshakes.ts).
  let handshakes: TlsHandshakes | undefined;
  if (options.tls !== undefined) {
    handshakes = new TlsHandshakes(
      loadTlsMaterial(options.tls),
      limits.headTimeoutMs,
      onSocket,
      () => prebuiltResponse(400, TEXT_PLAIN, PLAIN_HTTP_BODY, "Connection: close\r\n"),
    );
  }
  const onAccept = (socket: Socket): void => {
    if (handshakes === undefined) return onSocket(socket);
    if (registry.isDraining) return onSocket(socket);
    // Full: a handshake still unfinished gives its slot up before a client is turned away.
    if (registry.size + handshakes.size >= limits.maxConnections && !handshakes.evictOldest()) {
      // No plain-text 503 can be read by a TLS client: just close.
      socket.on("error", ignoreError);
      socket.destroy();
      return;
    }
    handshakes.begin(socket);
  };
  // Nagle's algorithm must not hold the handshake's writes or a response's.
  const server: Server = createNetServer({ allowHalfOpen: true, noDelay: true }, onAccept);
  const onServerError = options.onServerError ?? reportServerError("HTTP server");
  // Descriptors kept for files being sent: past them a file answers 503, said on stderr.
  guardDescriptors(server, { name: "HTTP server", headroom: 64 });

  const sweepMs = Math.max(
    50,
    Math.min(
      1000,
      Math.floor(
        Math.min(limits.headTimeoutMs, limits.keepAliveTimeoutMs, limits.sendTimeoutMs) / 4,
      ),
    ),
  );
  let sweepTimer: NodeJS.Timeout | undefined;
  const sweep = (): void => {
    const now = Date.now();
    registry.forEach((conn) => conn.onSweep(now));
  };

  return {
    get connectionCount() {
      return registry.size;
    },
    get connectionsAccepted() {
      return accepted;
    },
    secure,
    async listen() {
      const bound = await listen(server, {
        host: options.host ?? "127.0.0.1",
        port: options.port ?? 8080,
      });
      // Listening errors reject listen(); from now on an error is an accept failure.
      server.on("error", onServerError);
      sweepTimer = setInterval(sweep, sweepMs);
      sweepTimer.unref();
      return bound;
    },
    async close() {
      handshakes?.closeAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await registry.drain(limits.drainTimeoutMs);
      if (sweepTimer !== undefined) clearInterval(sweepTimer);
      await closed;
    },
  };
}

/** Past maxConnections: a canned 503 and close, so the client learns why (RFC 9110 §15.6.4). */
function refuse(socket: Socket, own: string): void {
  socket.on("error", ignoreError);
  socket.end(prebuiltResponse(503, TEXT_PLAIN + own, errorBody(503), "Connection: close\r\n"));
  socket.setTimeout(2000, () => socket.destroy());
  socket.resume();
}

/** ownAnswerHeaders must be whole header lines: a stray CR or LF would split the response. */
function checkedHeaderLines(lines: string): string {
  if (!/^(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t\x20-\x7e]*\r\n)*$/.test(lines)) {
    throw new TypeError("ownAnswerHeaders: not header lines ending in CRLF");
  }
  return lines;
}

function loadTlsMaterial(tls: HttpTlsOptions): SecureContext {
  const cert = readPem(tls.cert, "certificate");
  const key = readPem(tls.key, "key");
  try {
    return nodeTls().createSecureContext({ cert, key });
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const why = /mismatch/i.test(text)
      ? "the key does not match the certificate"
      : `not a usable PEM certificate and key (${text})`;
    throw new TcpkitError("ERR_TLS_CONFIG", `TLS: ${why}`, { cause: err });
  }
}

function readPem(source: string | Buffer, what: string): Buffer {
  if (Buffer.isBuffer(source)) return source;
  if (source.includes("-----BEGIN")) return Buffer.from(source);
  try {
    return readFileSync(source);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code;
    throw new TcpkitError("ERR_TLS_CONFIG", `TLS: cannot read ${what} file ${source}: ${why}`, {
      cause: err,
    });
  }
}

/** The default onHandlerError: one line on stderr. */
export function defaultHandlerError(err: unknown): void {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`tcpkit: handler error: ${text.split("\n")[0] ?? text}\n`);
}

function ignoreError(): void {}

const TEXT_PLAIN = errorPlan(503).headers;
/** To plain HTTP sent to the HTTPS port (nginx: "The plain HTTP request was sent to HTTPS port"). */
const PLAIN_HTTP_BODY = Buffer.from(
  "400 Bad Request: plain HTTP was sent to an HTTPS port; use https://\n",
  "latin1",
);
