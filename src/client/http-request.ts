/**
 * One request with a method and (optionally) a body, on a connection of its own: PUT, PATCH,
 * DELETE for uploads (upload.ts). The head goes out as httpGet's does (serializeRequestHead);
 * a body is announced with `Expect: 100-continue` (RFC 9110 §10.1.1) and sent once the server
 * says 100, or after a second of silence (as curl does, for servers that never say it), and not
 * at all when a final response comes first (a 409 or 413 spares sending a 1 GiB body). A final
 * response that comes while the body is going out stops it (RFC 9112 §9.5: a client monitors the
 * connection for an error response while it sends). No redirect is followed.
 */
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { getField } from "../http/header-lookup.js";
import { formatHostPort } from "../net/address.js";
import { dial } from "./client-connection.js";
import type { TlsTrust } from "./connect.js";
import {
  DEFAULT_TIMEOUT_MS,
  serializeRequestHead,
  type HttpGetOptions,
  type TraceEvent,
} from "./http-get.js";
import type { BodyWriteControl } from "./request-body.js";
import type { RequestUrl } from "./request-url.js";
import type { ResponseHead } from "./response-head-parser.js";
import type { ExchangeRequest } from "./response-reader.js";
import type { Readable } from "node:stream";

/** How long a body waits for `100 Continue` before it is sent anyway (curl's default). */
export const EXPECT_WAIT_MS = 1000;

/** Fields that frame a body: set by sendRequest, never taken from the caller. */
const FRAMING_FIELDS = new Set(["content-length", "transfer-encoding"]);

/** A request body: its length (undefined: sent chunked) and how to write it. */
export interface OutgoingBody {
  readonly length: number | undefined;
  write(socket: Socket, control: BodyWriteControl): Promise<void>;
}

/** Options of sendRequest: httpGet's connection, header, timeout and trace settings. */
export interface SendOptions extends TlsTrust {
  readonly httpVersion?: "1.0" | "1.1";
  /** The caller's request fields (after the defaults; a same name replaces). */
  readonly headers?: readonly (readonly [string, string])[];
  readonly timeouts?: HttpGetOptions["timeouts"];
  readonly signal?: AbortSignal;
  readonly onTrace?: (event: TraceEvent) => void;
  /** Body bytes the kernel has taken so far. */
  readonly onBytes?: (sent: number) => void;
  /** Every interim (1xx) head, as it comes. */
  readonly onInterim?: (head: ResponseHead) => void | Promise<void>;
  /** At most this many body bytes a second (0: no limit). */
  readonly bytesPerSecond?: number;
}

/** The final response: status, fields, and its body still to be read. */
export interface SentResponse {
  readonly status: number;
  readonly reason: string;
  readonly head: ResponseHead;
  header(name: string): string | undefined;
  readonly body: Readable;
}

/**
 * Sends `method` to `url` with `fields` (protocol fields; they win over the caller's) and
 * `body`, and resolves with the final response head. Rejects with TcpkitError (network codes,
 * ERR_TIMEOUT, ERR_HTTP_PROTOCOL, ERR_INTERRUPTED, a body writer's ERR_FILE).
 */
export async function sendRequest(
  method: string,
  url: RequestUrl,
  fields: readonly (readonly [string, string])[],
  body: OutgoingBody | undefined,
  options: SendOptions,
): Promise<SentResponse> {
  const peer = formatHostPort(url.host, url.port);
  const timeouts = options.timeouts ?? {};
  const framing: [string, string][] =
    body === undefined
      ? method === "PUT" || method === "PATCH" || method === "POST"
        ? [["Content-Length", "0"]]
        : []
      : body.length === undefined
        ? [["Transfer-Encoding", "chunked"]]
        : [["Content-Length", String(body.length)]];
  // Expect only where there is something to spare, and never to an HTTP/1.0 server (§10.1.1).
  const expect = body !== undefined && body.length !== 0 && options.httpVersion !== "1.0";
  if (expect) framing.push(["Expect", "100-continue"]);
  // The body's framing is the writer's alone: a caller's Content-Length or Transfer-Encoding
  // beside ours would make the request ambiguous (RFC 9112 §6.3), so it is dropped.
  const callerFields = (options.headers ?? []).filter(
    ([name]) => !FRAMING_FIELDS.has(name.toLowerCase()),
  );
  const head = serializeRequestHead(method, url, {
    httpVersion: options.httpVersion ?? "1.1",
    headers: [...callerFields, ...fields, ...framing],
  });
  // Stops the body writer: a final response came, or the caller gave up.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let continued: () => void = () => {};
  const gotContinue = new Promise<void>((resolve) => (continued = resolve));
  let interims: Promise<void> = Promise.resolve();
  const firstByteMs = timeouts.firstByteMs ?? DEFAULT_TIMEOUT_MS;
  const idleMs = timeouts.idleMs ?? DEFAULT_TIMEOUT_MS;
  const request: ExchangeRequest = {
    method,
    head,
    peer,
    timeouts: { firstByteMs, idleMs, headMs: timeouts.headMs ?? firstByteMs },
    onSent: () => options.onTrace?.({ direction: "sent", head, peer }),
    onHead: (response) => {
      options.onTrace?.({ direction: "received", head: response.raw, peer, response });
      if (response.status >= 200) stop.abort();
      else if (response.status === 100) continued();
      else if (options.onInterim !== undefined) {
        const handler = options.onInterim;
        interims = interims.then(() => handler(response));
      }
    },
    ...(body === undefined
      ? {}
      : {
          body: async (socket: Socket) => {
            if (expect) {
              await Promise.race([
                gotContinue,
                sleep(EXPECT_WAIT_MS, undefined, { signal: stop.signal }).catch(() => {}),
              ]);
            }
            // What an interim head started (saving an upload's Location) ends before any byte.
            await interims;
            if (stop.signal.aborted) return;
            await body.write(socket, {
              peer,
              stallMs: idleMs,
              signal: stop.signal,
              ...(options.onBytes !== undefined ? { onBytes: options.onBytes } : {}),
              ...(options.bytesPerSecond !== undefined
                ? { bytesPerSecond: options.bytesPerSecond }
                : {}),
            });
          },
        }),
  };
  try {
    const connection = await dial(
      url,
      {
        timeoutMs: timeouts.connectMs ?? DEFAULT_TIMEOUT_MS,
        trust: options,
        signal: options.signal,
      },
      false,
    );
    const exchange = await connection.request(request, options.signal);
    await interims;
    const responseHead = exchange.head;
    return {
      status: responseHead.status,
      reason: responseHead.reason,
      head: responseHead,
      header: (name) => getField(responseHead, name),
      body: exchange.body,
    };
  } finally {
    stop.abort();
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** Reads at most `limit` bytes of `body` as text and drops the rest; "" when it fails. */
export async function readShortBody(body: Readable, limit = 4096): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (length < limit) chunks.push(chunk.subarray(0, limit - length));
      length += chunk.length;
      if (length >= limit) break;
    }
  } catch {
    // The body of an answer is a courtesy: its status already said what happened.
  }
  body.destroy();
  return Buffer.concat(chunks).toString("utf8");
}
