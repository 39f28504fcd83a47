/**
 * An in-process tcpkit HTTP server with a tiny handler whose answers depend on the path, for
 * http-wire tests of the protocol machinery (the static handler has its own tests).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  createHttpServer,
  type HttpServer,
  type HttpServerOptions,
} from "../../src/http/server/server.js";
import { optionsPlan } from "../../src/http/method-policy.js";
import type { Handler, ResponsePlan } from "../../src/http/types.js";

export const FILE_BYTES = Buffer.from(
  "0123456789abcdefghijklmnopqrstuvwxyz\n".repeat(100),
  "latin1",
);

/** A directory with `data.bin` (FILE_BYTES), shared by the test servers of one process. */
export const FIXTURE_DIR = mkdtempSync(join(tmpdir(), "tcpkit-wire-"));
export const FIXTURE_FILE = join(FIXTURE_DIR, "data.bin");
writeFileSync(FIXTURE_FILE, FILE_BYTES);

const TEXT = "Content-Type: text/plain\r\n";
/** Rewritten before each /scratch response: a handler may reuse a buffer it does not mark. */
const scratch = Buffer.alloc(8);
let scratchCount = 0;
const FIXED = Buffer.from("fixed body\n", "latin1");

/**
 * Paths: /echo... (200 "METHOD path?query vVERSION"), /file, /segments, /stream, /stream-len,
 * /scratch (one buffer rewritten per request), /fixed (an unchanging body), /204, /304, /throw,
 * /reject, /async, /missing-file; OPTIONS gets optionsPlan().
 */
export const testHandler: Handler = (head) => {
  if (head.method === "OPTIONS") return optionsPlan();
  const text = (s: string, status = 200): ResponsePlan => ({
    status,
    headers: TEXT,
    body: { kind: "bytes", bytes: Buffer.from(s, "latin1") },
  });
  switch (head.path) {
    case "/file":
      return {
        status: 200,
        headers: TEXT,
        body: { kind: "file", path: FIXTURE_FILE, start: 0, end: FILE_BYTES.length },
      };
    case "/missing-file":
      return {
        status: 200,
        headers: TEXT,
        body: { kind: "file", path: join(FIXTURE_DIR, "nope"), start: 0, end: 10 },
      };
    case "/segments":
      return {
        status: 206,
        headers: TEXT,
        body: {
          kind: "segments",
          segments: [
            Buffer.from("<"),
            { kind: "file", path: FIXTURE_FILE, start: 0, end: 10 },
            Buffer.from("|"),
            { kind: "file", path: FIXTURE_FILE, start: 37, end: 41 },
            Buffer.from(">"),
          ],
        },
      };
    case "/stream":
      return {
        status: 200,
        headers: TEXT,
        body: { kind: "stream", stream: Readable.from([Buffer.from("ab"), Buffer.from("cde")]) },
      };
    case "/stream-len":
      return {
        status: 200,
        headers: TEXT,
        body: {
          kind: "stream",
          stream: Readable.from([Buffer.from("ab"), Buffer.from("cde")]),
          length: 5,
        },
      };
    case "/scratch":
      scratch.write(String(++scratchCount).padStart(7, "0") + "\n", "latin1");
      return { status: 200, headers: TEXT, body: { kind: "bytes", bytes: scratch } };
    case "/fixed":
      return { status: 200, headers: TEXT, body: { kind: "bytes", bytes: FIXED } };
    case "/204":
      return { status: 204, headers: "", body: { kind: "none" } };
    case "/304":
      return { status: 304, headers: 'ETag: "x"\r\n', body: { kind: "none" } };
    case "/bad-plan":
      return null as unknown as ResponsePlan;
    case "/bad-async-plan":
      return Promise.resolve({
        status: 200,
        headers: "",
        body: { kind: "nope" },
      } as unknown as ResponsePlan);
    case "/throw":
      throw new Error("test handler throws");
    case "/reject":
      return Promise.reject(new Error("test handler rejects"));
    case "/async":
      return new Promise((resolve) => setTimeout(() => resolve(text("async\n")), 5));
    default:
      return text(
        `${head.method} ${head.path}${head.query === "" ? "" : "?" + head.query} v${head.version}\n`,
      );
  }
};

export interface TestServer {
  readonly server: HttpServer;
  readonly port: number;
  readonly handlerErrors: unknown[];
  close(): Promise<void>;
}

/** Starts a test server on 127.0.0.1 and a free port. */
export async function startTestServer(
  options: Omit<HttpServerOptions, "host" | "port"> = {},
  handler: Handler = testHandler,
): Promise<TestServer> {
  const handlerErrors: unknown[] = [];
  const server = createHttpServer(
    { onHandlerError: (e) => handlerErrors.push(e), ...options, host: "127.0.0.1", port: 0 },
    handler,
  );
  const bound = await server.listen();
  return { server, port: bound.port, handlerErrors, close: () => server.close() };
}
