/**
 * One request to a back end on an UpstreamConnection: the head written, the request body piped
 * with backpressure both ways (the client's socket is read only as fast as the back end takes
 * the bytes; chunked when its length is unknown), interim responses passed on, and the response
 * body handed out as a Readable that pauses the back end's socket while the client is slow. The
 * response is framed by the client's parsers (response-head-parser.ts, body-decoder.ts), so a
 * back end that closes mid-body is an error on the stream (the server then cuts the client's
 * connection), never a short body that looks complete.
 */
import { Readable } from "node:stream";
import { BodyDecoder, decideFraming, unsupportedTransferCoding } from "../client/body-decoder.js";
import { ResponseHeadParser, type ResponseHead } from "../client/response-head-parser.js";
import { getField, hasToken } from "../http/header-lookup.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import type { ConnectionOwner, UpstreamConnection } from "./upstream-pool.js";

/** The back end's final response head, and how to get the rest. */
export interface UpstreamResponse {
  readonly head: ResponseHead;
  /**
   * The body (ends when the back end's framing says so); empty for HEAD, 204, 304. A Buffer when
   * the whole body came with the head (a small response): no stream to pump, and the server
   * sends it in one write with its own head.
   */
  readonly body: Readable | Buffer;
  /** Content-Length of the body when the back end framed it so (also for HEAD). */
  readonly length: number | undefined;
  /** After a 101: the bytes the back end sent after its head (the tunnel's first bytes). */
  readonly rest: Buffer;
}

export interface CallOptions {
  /** The request body to send (already framed as `chunked` says), or undefined for none. */
  readonly body: Readable | undefined;
  readonly chunked: boolean;
  /** Time for the response head, and the longest silence during its body (nginx: 60 s). */
  readonly readTimeoutMs: number;
  /** A 1xx other than 101 arrived (100 is left out: this server answers Expect itself). */
  readonly onInterim: (head: ResponseHead) => void;
  /** The connection may carry another request: its response ended cleanly. */
  readonly onReusable: (conn: UpstreamConnection) => void;
  /**
   * The client's exchange signal: when it aborts (the client went away) before the response
   * head came, the call stops and the connection is closed. Asked for only once the head is
   * slow to come (at the pool's first sweep after the request went out): an AbortController
   * and its listener per request cost more than the rest of a quick exchange's bookkeeping.
   * (Once the response streams, the server destroys its stream when the client goes.)
   */
  readonly clientSignal: () => AbortSignal;
}

const EMPTY = Buffer.alloc(0);

/**
 * Interim responses taken before the final one (Go's transport, under Caddy: 5). Each is passed
 * on as it comes, and a back end sending them without end would hold the request past its read
 * timeout (each one is a byte heard) and fill the client's socket buffers without backpressure.
 */
const MAX_INTERIM = 5;

/** Raised before any response byte arrived: a reused connection's request may be retried. */
export class NoResponseError extends TcpkitError {}

/** Sends `requestHead` (and the body) on `conn`; resolves with the final response head. */
export function callUpstream(
  conn: UpstreamConnection,
  method: string,
  requestHead: string,
  options: CallOptions,
): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    new UpstreamCall(conn, method, requestHead, options, resolve, reject);
  });
}

class UpstreamCall implements ConnectionOwner {
  private parser = new ResponseHeadParser();
  private decoder: BodyDecoder | undefined;
  private out: Readable | undefined;
  private received = 0;
  /** Interim responses received so far. */
  private interim = 0;
  private requestSent = false;
  private responseDone = false;
  private reusable = true;
  private settled = false;
  private readonly onAbort = (): void => this.aborted();
  /** The client's signal, once asked for. */
  private signal: AbortSignal | undefined;

  constructor(
    private readonly conn: UpstreamConnection,
    private readonly method: string,
    requestHead: string,
    private readonly options: CallOptions,
    private readonly resolve: (r: UpstreamResponse) => void,
    private readonly reject: (err: Error) => void,
  ) {
    conn.owner = this;
    conn.watch(options.readTimeoutMs);
    conn.socket.write(requestHead, "latin1");
    if (options.body === undefined) this.requestSent = true;
    else this.pumpBody(options.body);
  }

  onData(chunk: Buffer): void {
    this.received += chunk.length;
    if (this.decoder !== undefined) return this.onBody(chunk);
    let input = chunk;
    for (;;) {
      const result = this.parser.push(input);
      if (result.kind === "need-more") return;
      if (result.kind === "error") return this.fail(`bad response head: ${result.message}`);
      const head = result.head;
      if (head.status >= 100 && head.status < 200 && head.status !== 101) {
        if (++this.interim > MAX_INTERIM)
          return this.fail(`more than ${MAX_INTERIM} interim (1xx) responses`);
        if (head.status !== 100) this.options.onInterim(head);
        this.parser = new ResponseHeadParser();
        input = result.rest;
        if (input.length === 0) return;
        continue;
      }
      return this.onHead(head, result.rest);
    }
  }

  private onHead(head: ResponseHead, rest: Buffer): void {
    if (head.status === 101) {
      // The tunnel takes the socket and these bytes; nothing here reads it any more.
      this.settled = true;
      this.unwatch();
      this.conn.owner = undefined;
      this.conn.socket.pause();
      return this.resolve({ head, body: EMPTY, length: undefined, rest });
    }
    const framing = decideFraming(this.method, head);
    if (framing.kind === "error") return this.fail(framing.message);
    // The client gets the body without transfer codings: one other than chunked is a 502.
    const coding = unsupportedTransferCoding(framing, head);
    if (coding !== undefined) return this.fail(coding);
    if (framing.kind === "close" || head.version === 10 || hasToken(head, "connection", "close"))
      this.reusable = false;
    // Both framings (chunked was used, RFC 9112 §6.3 item 3): whoever sent it may have meant
    // the Content-Length, and the next response would start inside this one's bytes.
    else if (framing.kind === "chunked" && getField(head, "content-length") !== undefined)
      this.reusable = false;
    const decoder = (this.decoder = new BodyDecoder(framing));
    let length: number | undefined;
    if (framing.kind === "length") length = framing.length;
    else if (framing.kind === "none" && this.method === "HEAD") {
      const cl = getField(head, "content-length");
      if (cl !== undefined && /^\d{1,15}$/.test(cl)) length = Number(cl);
    }
    const pieces: Buffer[] = [];
    if (framing.kind === "length" || framing.kind === "chunked") {
      const first = decoder.push(rest, (data) => pieces.push(data));
      if (first.kind === "error") return this.fail(`bad response body: ${first.message}`);
      if (first.kind === "done") {
        if (first.rest.length > 0) this.reusable = false; // bytes nobody asked for
        const body = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
        this.settled = true;
        this.responseDone = true;
        this.unwatch();
        this.resolve({ head, body, length: body.length, rest: EMPTY });
        return this.maybeRelease();
      }
      rest = EMPTY; // decoded: its body bytes are in `pieces`
    }
    const conn = this.conn;
    this.out = new Readable({
      read: () => conn.socket.resume(),
      destroy: (err, callback) => {
        // The client went away (or the server gave up): the rest of the body is unwanted.
        if (!this.responseDone) conn.destroy();
        callback(err);
      },
    });
    this.settled = true;
    this.resolve({ head, body: this.out, length, rest: EMPTY });
    for (const data of pieces) if (!this.out.push(data)) conn.socket.pause();
    this.onBody(rest);
  }

  private onBody(chunk: Buffer): void {
    const out = this.out as Readable;
    const result = (this.decoder as BodyDecoder).push(chunk, (data) => {
      if (!out.push(data)) this.conn.socket.pause();
    });
    if (result.kind === "error") return this.cut(`bad response body: ${result.message}`);
    if (result.kind === "done") {
      if (result.rest.length > 0) this.reusable = false; // bytes nobody asked for
      this.finishResponse();
    }
  }

  private finishResponse(): void {
    if (this.responseDone) return;
    this.responseDone = true;
    this.unwatch();
    this.out?.push(null);
    this.maybeRelease();
  }

  private maybeRelease(): void {
    if (!this.responseDone || !this.requestSent) return;
    if (this.conn.owner !== this) return;
    this.conn.owner = undefined;
    if (this.reusable) this.options.onReusable(this.conn);
    else this.conn.destroy();
  }

  onEnd(err: Error | undefined): void {
    this.options.body?.resume(); // nowhere to send it now: let the server read it to its end
    if (!this.settled) {
      const why = err?.message ?? `${this.conn.peer} closed the connection`;
      const Kind = this.received === 0 ? NoResponseError : TcpkitError;
      return this.rejectWith(new Kind("ERR_CONNECTION_CLOSED", why));
    }
    if (this.responseDone || this.decoder === undefined) return;
    // A reset or a failed read is no end of a close-delimited body, only a clean close is.
    if (err !== undefined) return this.cut(`${err.message} mid-response`);
    const result = this.decoder.end();
    if (result.kind === "done") return this.finishResponse();
    this.cut(`${this.conn.peer} closed the connection mid-response`);
  }

  onTimeout(): void {
    const message = `${this.conn.peer} sent nothing for ${this.options.readTimeoutMs / 1000} s`;
    if (!this.settled) {
      this.conn.destroy();
      return this.rejectWith(new TcpkitError("ERR_TIMEOUT", message));
    }
    if (!this.responseDone) this.cut(message);
  }

  /** The pool's sweep: the head is slow to come, so the client's leaving is worth hearing. */
  onSweep(): void {
    if (this.settled || this.signal !== undefined) return;
    const signal = (this.signal = this.options.clientSignal());
    if (signal.aborted) return this.aborted();
    signal.addEventListener("abort", this.onAbort, { once: true });
  }

  /** The client's exchange ended first: nobody wants the response any more. */
  private aborted(): void {
    const reason = (this.signal as AbortSignal).reason as Error | undefined;
    const why = `client gone: ${String(reason?.message)}`;
    if (!this.settled) return this.rejectWith(new TcpkitError("ERR_CONNECTION_CLOSED", why));
    if (!this.responseDone) this.cut(why);
  }

  private unwatch(): void {
    this.signal?.removeEventListener("abort", this.onAbort);
  }

  onDrain(): void {
    this.options.body?.resume();
  }

  private pumpBody(body: Readable): void {
    const socket = this.conn.socket;
    const chunked = this.options.chunked;
    body.on("data", (chunk: Buffer) => {
      if (this.conn.closed) return;
      this.conn.heard = true;
      let ok: boolean;
      if (chunked) {
        // every piece is written whatever write() returns: false only asks to pause after it
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`, "latin1");
        socket.write(chunk);
        ok = socket.write("\r\n", "latin1");
        socket.uncork();
      } else ok = socket.write(chunk);
      if (!ok) body.pause();
    });
    body.on("end", () => {
      if (chunked && !this.conn.closed) socket.write("0\r\n\r\n");
      this.requestSent = true;
      this.maybeRelease();
    });
    body.on("error", (err: Error) => {
      // The client stopped, went away or passed a limit: the server answers it; the back end's
      // request is incomplete, so its connection cannot be trusted any more.
      this.conn.destroy();
      if (!this.settled) this.rejectWith(err);
      else this.cut(err.message);
    });
  }

  private fail(message: string): void {
    this.conn.destroy();
    if (!this.settled) this.rejectWith(new TcpkitError("ERR_HTTP_PROTOCOL", message));
    else this.cut(message);
  }

  /** The response began but cannot end well: its stream errors, the client's connection is cut. */
  private cut(message: string): void {
    this.responseDone = true;
    this.unwatch();
    this.conn.owner = undefined;
    this.conn.destroy();
    this.out?.destroy(new TcpkitError("ERR_CONNECTION_CLOSED", message));
  }

  private rejectWith(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.unwatch();
    this.conn.owner = undefined;
    this.conn.destroy();
    this.reject(err);
  }
}
