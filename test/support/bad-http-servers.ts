/**
 * Servers that get HTTP wrong on purpose, for the black-box tests of `tcpkit check`: a broken
 * HTTP/1.1 server (it ignores content on GET and HEAD, so smuggled canaries are answered; takes
 * the first Content-Length even beside Transfer-Encoding; ignores Host; sends a body on 304),
 * one that stops in the middle of a response, one that stops answering after a few connections,
 * one that closes every connection at once, one
 * that answers with endless header lines or an endless body, and one that refuses a large head
 * at once, as Node's server does. All on 127.0.0.1, port 0.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { getField, splitList } from "../../src/http/header-lookup.js";
import { DEFAULT_LIMITS } from "../../src/http/limits.js";
import { RequestHeadParser } from "../../src/http/server/request-head-parser.js";
import type { RequestHead } from "../../src/http/types.js";

export interface BadServer {
  readonly port: number;
  /** Bytes the server managed to hand to the kernel, for the endless servers. */
  readonly written: () => number;
  close(): Promise<void>;
}

function listen(server: Server, sockets: Set<Socket>, written: () => number): Promise<BadServer> {
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      resolve({
        port,
        written,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

const FILE = "0123456789abcdefghijklmnopqrstuvwxyz\n";
const ETAG = '"broken-1"';
const LAST_MODIFIED = "Thu, 01 Jan 2026 00:00:00 GMT";

/** The broken server's answer to a parsed head; `keepAlive` adds the 1.0 keep-alive field. */
function answer(head: RequestHead, keepAlive: boolean): { text: string; readsContent: boolean } {
  const date = `Date: ${new Date().toUTCString()}\r\n${keepAlive ? "Connection: keep-alive\r\n" : ""}`;
  const bodyFor = (text: string): string => (head.method === "HEAD" ? "" : text);
  if (head.method !== "GET" && head.method !== "HEAD") {
    const text = `HTTP/1.1 405 Method Not Allowed\r\n${date}Allow: GET, HEAD\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
    return { text, readsContent: true };
  }
  if (head.path === "/") {
    const body = '<a href="a.txt">a</a>\n';
    const text = `HTTP/1.1 200 OK\r\n${date}Content-Type: text/html\r\nContent-Length: ${body.length}\r\n\r\n${bodyFor(body)}`;
    return { text, readsContent: true };
  }
  if (head.path !== "/a.txt") {
    // Defect: an early answer that never reads the request's content (CL.0 on error paths).
    return {
      text: `HTTP/1.1 404 Not Found\r\n${date}Content-Length: 0\r\n\r\n`,
      readsContent: false,
    };
  }
  const validators = `ETag: ${ETAG}\r\nLast-Modified: ${LAST_MODIFIED}\r\n`;
  const inm = getField(head, "if-none-match");
  const ims = getField(head, "if-modified-since");
  const im = getField(head, "if-match");
  const ius = getField(head, "if-unmodified-since");
  if (
    (im !== undefined && im !== ETAG && im !== "*") ||
    (im === undefined && ius !== undefined && Date.parse(ius) < Date.parse(LAST_MODIFIED))
  ) {
    return {
      text: `HTTP/1.1 412 Precondition Failed\r\n${date}Content-Length: 0\r\n\r\n`,
      readsContent: true,
    };
  }
  const inmMatches =
    inm !== undefined && splitList(inm).some((t) => t === "*" || t.replace(/^W\//, "") === ETAG);
  if (inmMatches || (inm === undefined && ims === LAST_MODIFIED)) {
    // Defect: content on a 304.
    const text = `HTTP/1.1 304 Not Modified\r\n${date}${validators}Content-Length: ${FILE.length}\r\n\r\n${FILE}`;
    return { text, readsContent: true };
  }
  const text = `HTTP/1.1 200 OK\r\n${date}${validators}Content-Type: text/plain\r\nContent-Length: ${FILE.length}\r\n\r\n${bodyFor(FILE)}`;
  return { text, readsContent: true };
}

/**
 * The head as the broken server rewrites it before tcpkit's own parser sees it. Defects: every
 * Host line is dropped and one valid Host put in its place (Host is ignored), and
 * Transfer-Encoding lines are dropped when a Content-Length is present (CL wins over TE).
 */
function rewriteHead(head: string): string {
  const lines = head.replace(/^(\r\n)+/, "").split("\r\n");
  const hasLength = lines.some((l) => /^content-length:/i.test(l));
  const kept = lines.filter(
    (l, i) =>
      i === 0 || !(/^[ \t]*host[ \t]*:/i.test(l) || (hasLength && /^transfer-encoding:/i.test(l))),
  );
  return [kept[0], "Host: broken.example", ...kept.slice(1)].join("\r\n");
}

/**
 * Consumes a chunked body from `data` strictly enough for the probes (size line, extensions up
 * to CRLF, data, CRLF, trailers): the bytes it used, "more", or "bad".
 */
function chunkedLength(data: Buffer): number | "more" | "bad" {
  let i = 0;
  const line = (): string | "more" | "bad" => {
    const lf = data.indexOf(0x0a, i);
    if (lf < 0) return "more";
    if (lf === i || data[lf - 1] !== 0x0d) return "bad";
    const text = data.toString("latin1", i, lf - 1);
    i = lf + 1;
    return text;
  };
  for (;;) {
    const sizeLine = line();
    if (sizeLine === "more" || sizeLine === "bad") return sizeLine;
    const m = /^([0-9a-fA-F]{1,15})((?:;[\x20-\x7e]+)*)$/.exec(sizeLine);
    if (m === null) return "bad";
    const size = Number.parseInt(m[1] as string, 16);
    if (size === 0) {
      for (;;) {
        const trailer = line();
        if (trailer === "more" || trailer === "bad") return trailer;
        if (trailer === "") return i;
        if (!trailer.includes(":")) return "bad";
      }
    }
    if (data.length < i + size + 2) return "more";
    if (data.toString("latin1", i + size, i + size + 2) !== "\r\n") return "bad";
    i += size + 2;
  }
}

/**
 * The broken server: tcpkit's request-head parser (so it rejects what tcpkit rejects) behind
 * four defects: it ignores Host; it frames by Content-Length when Transfer-Encoding is there
 * too, and keeps the connection; a 404 never reads the request's content, so a request hidden
 * there is answered; and 304s carry content.
 */
export function startBrokenServer(): Promise<BadServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    let buffer = Buffer.alloc(0);
    const fail = (status: number): void => {
      socket.end(
        `HTTP/1.1 ${status} Error\r\nDate: ${new Date().toUTCString()}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
    };
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (!socket.writableEnded) {
        const end = buffer.indexOf("\r\n\r\n");
        const parser = new RequestHeadParser(DEFAULT_LIMITS);
        if (end < 0) {
          parser.push(buffer);
          const early = parser.parse();
          if (early.kind === "error") fail(early.status);
          return;
        }
        parser.push(
          Buffer.from(`${rewriteHead(buffer.toString("latin1", 0, end))}\r\n\r\n`, "latin1"),
        );
        const parsed = parser.parse();
        if (parsed.kind === "need-more") return fail(400);
        if (parsed.kind === "error") return fail(parsed.status);
        const rest = buffer.subarray(end + 4);
        const reply = answer(parsed.head, parsed.head.version === 10 && parsed.wantsKeepAlive);
        let used = 0;
        if (reply.readsContent && parsed.bodyKind === "length") {
          if (rest.length < parsed.contentLength) return;
          used = parsed.contentLength;
        } else if (reply.readsContent && parsed.bodyKind === "chunked") {
          const n = chunkedLength(rest);
          if (n === "more") return;
          if (n === "bad") return fail(400);
          used = n;
        }
        buffer = rest.subarray(used);
        socket.write(reply.text, "latin1");
        const closes =
          parsed.wantsClose ||
          /Connection: close/.test(reply.text) ||
          (parsed.head.version === 10 && !parsed.wantsKeepAlive);
        if (closes) socket.end();
      }
    });
  });
  return listen(server, sockets, () => 0);
}

/** Answers every connection's first bytes with a head and 3 of 100 body bytes, then nothing. */
export function startHangingServer(): Promise<BadServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    socket.once("data", () => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"));
  });
  return listen(server, sockets, () => 0);
}

/**
 * Answers the first request of each of its first `answered` connections with a short 200 and
 * closes; later connections are accepted and read, never answered (a server that wedged).
 */
export function startFallingSilentServer(answered: number): Promise<BadServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    if (connections > answered) return;
    socket.once("data", () =>
      socket.end(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n",
      ),
    );
  });
  return listen(server, sockets, () => 0);
}

/** Accepts and closes at once. */
export function startClosingServer(): Promise<BadServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => socket.destroy());
  return listen(server, sockets, () => 0);
}

/**
 * Answers with a status line and then `total` bytes of header lines (kind "head"), of a
 * close-delimited body (kind "body"), or of 100 Continue responses (kind "interim"), written
 * with backpressure.
 */
export function startEndlessServer(
  kind: "head" | "body" | "interim",
  total: number,
): Promise<BadServer> {
  const sockets = new Set<Socket>();
  let written = 0;
  const line =
    kind === "head"
      ? `X-Pad: ${"a".repeat(1000)}\r\n`
      : kind === "body"
        ? "b".repeat(1024)
        : "HTTP/1.1 100 Continue\r\n\r\n";
  const start = {
    head: "HTTP/1.1 200 OK\r\n",
    body: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
    interim: "",
  }[kind];
  const server = createServer((socket) => {
    socket.once("data", () => {
      socket.write(start);
      let sent = 0;
      const pump = (): void => {
        while (sent < total && !socket.destroyed) {
          sent += line.length;
          const more = socket.write(line, (err) => {
            if (err === undefined || err === null) written += line.length;
          });
          if (!more) {
            socket.once("drain", pump);
            return;
          }
        }
        if (!socket.destroyed) socket.end();
      };
      pump();
    });
  });
  return listen(server, sockets, () => written);
}

/**
 * A server that is right, and abrupt, about large heads, as Node's own: past 16 KiB of head it
 * answers 431 and closes at once, with the rest of the head unread (so the close is a reset);
 * a complete head gets 200 and a close.
 */
export function startEarly431Server(): Promise<BadServer> {
  const sockets = new Set<Socket>();
  const date = (): string => `Date: ${new Date().toUTCString()}\r\n`;
  const server = createServer((socket) => {
    let head = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      head += chunk;
      const end = head.indexOf("\r\n\r\n");
      if ((end < 0 ? head.length : end) > 16 * 1024) {
        socket.write(
          `HTTP/1.1 431 Request Header Fields Too Large\r\n${date()}Content-Length: 0\r\nConnection: close\r\n\r\n`,
        );
        socket.destroy();
      } else if (end >= 0) {
        socket.end(`HTTP/1.1 200 OK\r\n${date()}Content-Length: 2\r\nConnection: close\r\n\r\nok`);
      }
    });
  });
  return listen(server, sockets, () => 0);
}

/**
 * A reverse proxy that sends every client's requests over ONE shared keep-alive connection to
 * the back end at `backPort`, one at a time, as nginx does with `upstream { keepalive N; }`,
 * but without nginx's check for bytes beyond a response: it reads exactly one response per
 * request, so an answer the back end gives to bytes it was not sent as a request (a smuggled
 * canary) waits on the shared connection and is handed to the next request, whoever sends it.
 * Requests are framed with tcpkit's parser (errors: 400 and close); their Connection fields are
 * dropped (hop-by-hop, RFC 9110 §7.6.1) and their version made HTTP/1.1. Responses are framed
 * by Content-Length (none on HEAD); a back end that closes is dialled again.
 */
export function startSharedConnectionProxy(backPort: number): Promise<BadServer> {
  const sockets = new Set<Socket>();
  let back: { socket: Socket; buffer: Buffer; closed: boolean } | undefined;
  let queue: Promise<void> = Promise.resolve();
  const dial = (): NonNullable<typeof back> => {
    const socket = connect(backPort, "127.0.0.1");
    const b = { socket, buffer: Buffer.alloc(0), closed: false };
    socket.on("data", (chunk: Buffer) => {
      b.buffer = Buffer.concat([b.buffer, chunk]);
      socket.emit("more");
    });
    socket.on("close", () => {
      b.closed = true;
      socket.emit("more");
    });
    socket.on("error", () => {});
    return b;
  };
  /** One response from the shared connection, or undefined when it closes or is silent 2 s. */
  const readResponse = (b: NonNullable<typeof back>, head: boolean): Promise<Buffer | undefined> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), 2000);
      const done = (r: Buffer | undefined): void => {
        clearTimeout(timer);
        b.socket.off("more", check);
        resolve(r);
      };
      const check = (): void => {
        const end = b.buffer.indexOf("\r\n\r\n");
        if (end >= 0) {
          const text = b.buffer.toString("latin1", 0, end);
          const length = head ? 0 : Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? 0);
          if (b.buffer.length >= end + 4 + length) {
            const r = b.buffer.subarray(0, end + 4 + length);
            b.buffer = b.buffer.subarray(end + 4 + length);
            return done(Buffer.from(r));
          }
        }
        if (b.closed) done(undefined);
      };
      b.socket.on("more", check);
      check();
    });
  const forward = (bytes: Buffer, head: boolean): Promise<Buffer | undefined> => {
    const result = queue.then(async () => {
      if (back === undefined || back.closed) back = dial();
      const b = back;
      b.socket.write(bytes);
      const r = await readResponse(b, head);
      if (r === undefined || /\r\nconnection:\s*close/i.test(r.toString("latin1"))) {
        b.socket.destroy();
        if (back === b) back = undefined;
      }
      return r;
    });
    queue = result.then(() => undefined);
    return result;
  };
  const server = createServer((socket) => {
    let buffer = Buffer.alloc(0);
    let busy = false;
    const fail = (): void => {
      socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    };
    const next = async (): Promise<void> => {
      while (!busy && !socket.writableEnded) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const parser = new RequestHeadParser(DEFAULT_LIMITS);
        parser.push(buffer.subarray(0, end + 4));
        const parsed = parser.parse();
        if (parsed.kind !== "head") return fail();
        const rest = buffer.subarray(end + 4);
        let used = 0;
        if (parsed.bodyKind === "length") {
          if (rest.length < parsed.contentLength) return;
          used = parsed.contentLength;
        } else if (parsed.bodyKind === "chunked") {
          const n = chunkedLength(rest);
          if (n === "more") return;
          if (n === "bad") return fail();
          used = n;
        }
        const lines = buffer
          .toString("latin1", 0, end)
          .split("\r\n")
          .filter((l, i) => i === 0 || !/^connection\s*:/i.test(l));
        lines[0] = (lines[0] as string).replace(/HTTP\/1\.0$/, "HTTP/1.1");
        const request = Buffer.concat([
          Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"),
          rest.subarray(0, used),
        ]);
        buffer = rest.subarray(used);
        busy = true;
        const response = await forward(request, parsed.head.method === "HEAD");
        busy = false;
        if (response === undefined) {
          socket.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
          return;
        }
        socket.write(response);
        const keep = parsed.head.version === 11 ? !parsed.wantsClose : parsed.wantsKeepAlive;
        if (!keep) socket.end();
      }
    };
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      void next();
    });
  });
  return listen(server, sockets, () => 0);
}
