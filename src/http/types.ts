/**
 * The contract between the HTTP server (which parses and transmits) and handlers such as
 * serveStatic (which decide). A handler gets the parsed RequestHead and a RequestContext and
 * returns a ResponsePlan; it never writes to the socket. The server owns framing, HEAD,
 * keep-alive, backpressure and timeouts; the handler may read the request body, send interim
 * (1xx) responses, and take over the connection after a 101. docs/ARCHITECTURE.md shows each
 * capability with an example.
 */
import type { Socket } from "node:net";
import type { Readable } from "node:stream";

/** A parsed request head (RFC 9112 §3, §5). Built by the request-head parser, read-only after. */
export interface RequestHead {
  /** Method token exactly as sent; methods are case-sensitive (RFC 9110 §9.1). */
  readonly method: string;
  /** The request-target as sent, still percent-encoded (RFC 9112 §3.2). */
  readonly target: string;
  /** Path component of the target (absolute-form reduced to it), still percent-encoded. */
  readonly path: string;
  /** Query without the "?", or "" when absent. */
  readonly query: string;
  /** 10 for HTTP/1.0; 11 for HTTP/1.1 and other 1.x minors (RFC 9110 §6.2). */
  readonly version: 10 | 11;
  /**
   * Header fields as a flat list: name (lower-cased), value (trimmed), name, value, ... in the
   * order received. Use getField() to read one.
   */
  readonly fields: readonly string[];
}

/** A body the server sends from a file: bytes [start, end) of the file at `path`. */
export interface FileRange {
  readonly kind: "file";
  readonly path: string;
  readonly start: number;
  readonly end: number;
  /**
   * Opens the file instead of open(path, "r"): a handler that must check what was opened (a
   * file beneath a root, a regular file) does it here. Errors answer as file errors do.
   */
  readonly open?: (done: (err: NodeJS.ErrnoException | null, fd: number) => void) => void;
}

/** What a response carries. HEAD requests get the same plan; the server omits the body. */
export type ResponseBody =
  | { readonly kind: "none" }
  /** Bytes sent as they are when the response is written (a handler may reuse the buffer after). */
  | { readonly kind: "bytes"; readonly bytes: Buffer }
  | FileRange
  /** Several pieces in order, e.g. multipart/byteranges: literal bytes and file ranges. */
  | { readonly kind: "segments"; readonly segments: readonly (Buffer | FileRange)[] }
  /**
   * A stream of unknown or known length. With `length` the response is Content-Length framed;
   * without, chunked to HTTP/1.1 clients and close-delimited to HTTP/1.0 clients. A stream that
   * stays open (Server-Sent Events) is not timed out while nothing waits to be sent.
   */
  | {
      readonly kind: "stream";
      readonly stream: NodeJS.ReadableStream;
      readonly length?: number;
      /**
       * Stop when the client sends its FIN before the stream ends: the stream is destroyed and
       * the connection cut (the response is left incomplete, never ended as if whole). For a
       * stream worth stopping at its source, such as a back end's response (nginx's proxy and
       * Go's server stop there too): a half-close and a close look the same until a write
       * fails, and a source that writes nothing for a while would go on unseen. Without it, a
       * client that half-closed is still sent the whole stream.
       */
      readonly untilClientEnds?: boolean;
    }
  /**
   * A protocol switch (RFC 9110 §7.8), with status 101 and the Upgrade and Connection lines in
   * the plan's headers. Once the 101 head is written and the request body read, the server
   * forgets the connection and calls `onUpgrade` with the socket (paused, its HTTP listeners
   * removed) and the bytes the client sent after the request. The socket still counts for a
   * graceful stop, which destroys it at the drain deadline unless its owner closes it first
   * (RequestContext.draining says when to start).
   */
  | { readonly kind: "upgrade"; readonly onUpgrade: (socket: Socket, buffered: Buffer) => void };

/** A handler's decision. The server adds Date, Content-Length/Transfer-Encoding, Connection. */
export interface ResponsePlan {
  readonly status: number;
  /**
   * Header lines, each "Name: value\r\n", already validated. A string so that handlers can keep
   * prebuilt blocks per file (DESIGN §8) and the server can write the head in one piece.
   */
  readonly headers: string;
  readonly body: ResponseBody;
  /**
   * Close the connection after this response (for example after an error). A request body the
   * handler has not read is then not read at all: with `Expect: 100-continue` the client is
   * spared sending it (RFC 9110 §10.1.1).
   */
  readonly close?: boolean;
}

/** How much of a request body to accept. */
export interface BodyReadOptions {
  /**
   * At most this many body bytes (default: the server's maxBodyBytes limit). A longer body, or a
   * Content-Length above it, gets 413 and the connection closes (RFC 9110 §15.5.14).
   */
  readonly limit?: number;
}

/**
 * The request body, decoded (Content-Length or chunked). Reading it is the handler's choice: the
 * first read answers `Expect: 100-continue`. A body the handler leaves unread is read and
 * discarded by the server before the response is sent (within maxBodyBytes: 413 past it), or,
 * when the plan says `close`, not read at all. The stream errors with a TcpkitError when the
 * client stops sending (ERR_TIMEOUT), goes away (ERR_CONNECTION_CLOSED), breaks the chunked
 * syntax (ERR_HTTP_PROTOCOL) or passes the limit (ERR_BODY_TOO_LARGE); the server answers the
 * client itself (408, 400, 413) when no response has begun. A handler may open the stream and
 * read it later: an error in between is kept for it (never an unheard 'error' event).
 */
export interface RequestBody {
  /** Content-Length; undefined for a chunked body; 0 when the request has no body. */
  readonly length: number | undefined;
  /**
   * The body as a stream, with backpressure: while the handler does not read, the server stops
   * reading the socket. Call at most once per request.
   */
  stream(options?: BodyReadOptions): Readable;
  /** The whole body in one Buffer (at most `limit` bytes). */
  bytes(options?: BodyReadOptions): Promise<Buffer>;
}

/** Per-request facts and capabilities a handler may want beyond the head. */
export interface RequestContext {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The server's end of the connection: the address and port the client reached. */
  readonly localAddress: string;
  readonly localPort: number;
  /** True on an HTTPS (node:tls) connection. */
  readonly secure: boolean;
  readonly body: RequestBody;
  /**
   * Aborted when this exchange ends before its response is complete: the client went away, or
   * the server gave up on it (send timeout, a body past its limit). A handler stops its work
   * then (a Server-Sent Events source, an upstream request).
   */
  readonly signal: AbortSignal;
  /**
   * Aborted when the server begins a graceful stop: a health endpoint answers 503 while
   * `draining.aborted`; a long-lived response or an upgraded connection ends itself on 'abort'
   * rather than being destroyed at the drain deadline. Shared by every request of the server.
   */
  readonly draining: AbortSignal;
  /**
   * Sends an interim response (RFC 9110 §15.2: 100, 102, 103, 104, ...; not 101, which is an
   * upgrade plan) ahead of the final one. Returns false when none may be sent: the request is
   * HTTP/1.0, the final response has begun, or the exchange is over.
   */
  sendInterim(status: number, headers?: string): boolean;
}

/**
 * The rest of a handler chain: what the handlers after this one (or the server) answer. A
 * wrapper may pass a changed head on (live reload asks for a page without the request's
 * conditions, to evaluate them against its own variant); without one, the same head goes on.
 */
export type Next = (head?: RequestHead) => ResponsePlan | Promise<ResponsePlan>;

/**
 * Decides a response; may return synchronously (the fast path for cached files). `next` asks
 * the handlers after this one in a chain (see chain()); at the end of a chain it answers 404.
 */
export interface Handler {
  (head: RequestHead, context: RequestContext, next: Next): ResponsePlan | Promise<ResponsePlan>;
  /**
   * The methods this handler answers (default GET, HEAD, OPTIONS). The server answers other
   * registered methods with 405 and an Allow of these, and unknown ones with 501, without
   * calling it. A wrapper that answers no method of its own (auth, a log) leaves it undefined.
   */
  readonly methods?: readonly string[];
}
