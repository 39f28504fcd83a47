/**
 * A raw node:net server for client tests (undici's pattern): it reads each request head and
 * answers with exactly the bytes a test gives, optionally split in two writes at a chosen offset,
 * so every byte the client sees is under the test's control.
 */
import { createServer, type Server, type Socket } from "node:net";

/** A request head as the canned server received it. */
export interface CannedRequest {
  /** The head text, request line to blank line, as received. */
  readonly raw: string;
  readonly method: string;
  /** The request-target exactly as sent. */
  readonly target: string;
  /** The version on the request line, "HTTP/1.1" or "HTTP/1.0". */
  readonly version: string;
  /** The value of a field (case-insensitive name), or undefined. */
  field(name: string): string | undefined;
}

/** Decides what to send for one request: bytes (written then the socket ends), or does it itself. */
export type CannedResponder = (
  request: CannedRequest,
  socket: Socket,
) => string | Buffer | undefined | Promise<string | Buffer | undefined>;

export interface CannedServer {
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: CannedRequest[];
  /** "http://HOST:PORT" + path (IPv6 hosts in brackets). */
  url(path: string): string;
  close(): Promise<void>;
}

/** Starts a canned server on `host` (default 127.0.0.1) and a free port. */
export function startCannedServer(
  respond: CannedResponder,
  host = "127.0.0.1",
): Promise<CannedServer> {
  const requests: CannedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buffered = "";
    let answered = false;
    socket.on("data", (chunk: Buffer) => {
      if (answered) return;
      buffered += chunk.toString("latin1");
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      answered = true;
      const request = parseRequest(buffered.slice(0, end + 4));
      requests.push(request);
      Promise.resolve(respond(request, socket)).then(
        (bytes) => {
          if (bytes !== undefined) socket.end(bytes);
        },
        () => socket.destroy(),
      );
    });
  });
  server.on("error", () => {});
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      resolve({
        port,
        requests,
        url: (path) => `http://${host.includes(":") ? `[${host}]` : host}:${port}${path}`,
        close: () =>
          new Promise((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}

function parseRequest(raw: string): CannedRequest {
  const lines = raw.split("\r\n");
  const [method = "", target = "", version = ""] = (lines[0] ?? "").split(" ");
  const fields = lines.slice(1).filter((l) => l !== "");
  return {
    raw,
    method,
    target,
    version,
    field(name) {
      const want = name.toLowerCase();
      const line = fields.find((l) => l.slice(0, l.indexOf(":")).toLowerCase() === want);
      return line === undefined ? undefined : line.slice(line.indexOf(":") + 1).trim();
    },
  };
}

/**
 * Writes `bytes` in two pieces split at `at`, with a pause between so the client reads them
 * separately, then ends the socket (or leaves it open with keepOpen).
 */
export async function writeSplit(
  socket: Socket,
  bytes: string | Buffer,
  at: number,
  options: { gapMs?: number; keepOpen?: boolean } = {},
): Promise<void> {
  const b = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
  socket.setNoDelay(true);
  socket.write(b.subarray(0, at));
  await new Promise((r) => setTimeout(r, options.gapMs ?? 2));
  if (socket.destroyed) return;
  if (options.keepOpen === true) socket.write(b.subarray(at));
  else socket.end(b.subarray(at));
}
