/**
 * The contract between the HTTP server (which parses and transmits) and handlers such as
 * serveStatic (which decide). A handler gets a parsed RequestHead and returns a ResponsePlan; it
 * never touches the socket. The server owns framing, HEAD, keep-alive and backpressure.
 */

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
}

/** What a response carries. HEAD requests get the same plan; the server omits the body. */
export type ResponseBody =
  | { readonly kind: "none" }
  | {
      readonly kind: "bytes";
      readonly bytes: Buffer;
      /**
       * The handler promises never to change these bytes (a cached file, a fixed error page):
       * the server may then keep the whole response prebuilt and reuse it. Without it, the
       * bytes are copied as they are at the time of the response.
       */
      readonly unchanging?: boolean;
    }
  | FileRange
  /** Several pieces in order, e.g. multipart/byteranges: literal bytes and file ranges. */
  | { readonly kind: "segments"; readonly segments: readonly (Buffer | FileRange)[] }
  /**
   * A stream of unknown or known length. With `length` the response is Content-Length framed;
   * without, chunked to HTTP/1.1 clients and close-delimited to HTTP/1.0 clients.
   */
  | {
      readonly kind: "stream";
      readonly stream: NodeJS.ReadableStream;
      readonly length?: number;
    };

/** A handler's decision. The server adds Date, Content-Length/Transfer-Encoding, Connection. */
export interface ResponsePlan {
  readonly status: number;
  /**
   * Header lines, each "Name: value\r\n", already validated. A string so that handlers can keep
   * prebuilt blocks per file (DESIGN §8) and the server can write the head in one piece.
   */
  readonly headers: string;
  readonly body: ResponseBody;
  /** Close the connection after this response (for example after an error). */
  readonly close?: boolean;
}

/**
 * A dispatch turn (dispatch-turn.ts): every request the server hands to its handler while
 * `active` was received completely before the turn began, and nothing is read while it runs.
 */
export interface DispatchTurn {
  readonly active: boolean;
}

/** Per-request facts a handler may want beyond the head. */
export interface RequestContext {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly secure: boolean;
  /**
   * The turn this call belongs to, undefined outside one. While `turn.active`, observations
   * made for another request of the same turn (a file's stat) are fresh enough for this one.
   */
  readonly turn?: DispatchTurn | undefined;
}

/** Decides a response. May return synchronously (the fast path for cached files). */
export type Handler = (
  head: RequestHead,
  context: RequestContext,
) => ResponsePlan | Promise<ResponsePlan>;
