/**
 * A resource server for the client's range, retry and conditional tests, on node:http (a peer,
 * not code under test): GET of one resource with ETag/Last-Modified, single byte ranges with
 * If-Range, If-None-Match and If-Modified-Since, an optional Repr-Digest, optional throttling,
 * and a hook that can answer any request itself (wrong Content-Range, 503, a reset...). It
 * counts connections, requests and the body bytes it wrote.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface RangeRequest {
  readonly n: number;
  readonly path: string;
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
  readonly ifNoneMatch: string | undefined;
  readonly ifModifiedSince: string | undefined;
  readonly at: number;
  /** The socket's number (1, 2, ...) in accept order. */
  readonly connection: number;
}

export interface RangeServerOptions {
  /** The current version's bytes (a function: it may change between requests). */
  body: () => Buffer;
  /** Its entity tag (default: a strong tag from the SHA-256 of the body). Undefined: none. */
  etag?: (body: Buffer) => string | undefined;
  /** Send Last-Modified (default: a fixed date in 2020). */
  lastModified?: string | undefined;
  /** Ignore Range (like python's http.server). */
  noRanges?: boolean;
  /** A Repr-Digest to send (default: none). */
  reprDigest?: (body: Buffer) => string | undefined;
  /** Bytes written per piece and the pause between pieces (default: all at once). */
  throttle?: { bytes: number; delayMs: number };
  /** Answers a request itself when it returns true (n: the request's number from 1). */
  intercept?: (request: RangeRequest, res: ServerResponse, socket: Socket) => boolean;
}

export interface RangeServer {
  readonly port: number;
  readonly requests: RangeRequest[];
  /** Body bytes written so far (ranges and whole responses), and connections accepted. */
  readonly bytesSent: () => number;
  readonly connections: () => number;
  url(path?: string): string;
  close(): Promise<void>;
}

export const FIXED_LAST_MODIFIED = "Wed, 01 Jan 2020 00:00:00 GMT";

/** A strong ETag of `body`'s SHA-256. */
export function sha256Etag(body: Buffer): string {
  return `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
}

/** `sha-256=:BASE64:` of `body` (RFC 9530). */
export function reprDigestOf(body: Buffer): string {
  return `sha-256=:${createHash("sha256").update(body).digest("base64")}:`;
}

export function startRangeServer(options: RangeServerOptions): Promise<RangeServer> {
  const requests: RangeRequest[] = [];
  let sent = 0;
  let accepted = 0;
  const sockets = new Set<Socket>();
  const numbers = new WeakMap<Socket, number>();
  const server: Server = createServer((req, res) => {
    const request: RangeRequest = {
      n: requests.length + 1,
      path: req.url ?? "/",
      range: header(req, "range"),
      ifRange: header(req, "if-range"),
      ifNoneMatch: header(req, "if-none-match"),
      ifModifiedSince: header(req, "if-modified-since"),
      at: Date.now(),
      connection: numbers.get(req.socket) ?? 0,
    };
    requests.push(request);
    if (options.intercept?.(request, res, req.socket) === true) return;
    void answer(request, res);
  });
  server.on("connection", (socket: Socket) => {
    numbers.set(socket, ++accepted);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function answer(request: RangeRequest, res: ServerResponse): Promise<void> {
    const body = options.body();
    const etag = (options.etag ?? sha256Etag)(body);
    const lastModified = "lastModified" in options ? options.lastModified : FIXED_LAST_MODIFIED;
    if (etag !== undefined) res.setHeader("ETag", etag);
    if (lastModified !== undefined) res.setHeader("Last-Modified", lastModified);
    const digest = options.reprDigest?.(body);
    if (digest !== undefined) res.setHeader("Repr-Digest", digest);
    if (request.ifNoneMatch !== undefined && request.ifNoneMatch === etag) {
      res.writeHead(304).end();
      return;
    }
    if (
      request.ifNoneMatch === undefined &&
      request.ifModifiedSince !== undefined &&
      lastModified !== undefined &&
      Date.parse(request.ifModifiedSince) >= Date.parse(lastModified)
    ) {
      res.writeHead(304).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d*)$/.exec(request.range ?? "");
    const validatorMatches =
      request.ifRange === undefined || request.ifRange === etag || request.ifRange === lastModified;
    if (m !== null && options.noRanges !== true && validatorMatches) {
      const start = Number(m[1]);
      const end = m[2] === "" ? body.length - 1 : Math.min(Number(m[2]), body.length - 1);
      if (start >= body.length) {
        res.writeHead(416, { "Content-Range": `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        "Content-Range": `bytes ${start}-${end}/${body.length}`,
        "Content-Length": end - start + 1,
      });
      await send(res, body.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { "Content-Length": body.length });
    await send(res, body);
  }

  async function send(res: ServerResponse, bytes: Buffer): Promise<void> {
    const throttle = options.throttle;
    if (throttle === undefined) {
      sent += bytes.length;
      res.end(bytes);
      return;
    }
    for (let at = 0; at < bytes.length; at += throttle.bytes) {
      if (res.destroyed) return;
      const piece = bytes.subarray(at, at + throttle.bytes);
      if (!res.write(piece)) await new Promise((r) => res.once("drain", r));
      sent += piece.length;
      await new Promise((r) => setTimeout(r, throttle.delayMs));
    }
    res.end();
  }

  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      resolve({
        port,
        requests,
        bytesSent: () => sent,
        connections: () => accepted,
        url: (path = "/file.bin") => `http://127.0.0.1:${port}${path}`,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}
