/**
 * One request and its response on a connection (Go's `response`): what the request asked for,
 * what was answered, whether the connection is reused, and the record for the access log. One
 * object per connection, reused: begin() resets every per-request field in one place (where
 * darkhttpd's recycle_connection resets thirty by hand).
 */
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import type { ExchangeRecord } from "./exchange-record.js";
import type { RequestScope } from "./handler-context.js";
import { failedBody, type RequestBodyReader } from "./request-body.js";
import type { ParsedHead, RequestLine } from "./request-head-parser.js";
import {
  connectionLine,
  interimHead,
  requestAllowsKeepAlive,
  type ConnectionLine,
  type ResponseFraming,
} from "./response-head.js";
import type { ServerContext } from "./server-context.js";
import { getField } from "../header-lookup.js";
import { formatTrace } from "../trace-format.js";
import type { RequestHead } from "../types.js";
import { displayAddress, formatHostPort } from "../../net/address.js";

/** The peer's address, read from the socket on first use and kept (getpeername(2) is a call). */
export class Peer {
  #address: string | undefined;
  #port = 0;

  constructor(private readonly socket: Socket) {}

  get address(): string {
    if (this.#address === undefined) {
      this.#address = displayAddress(this.socket.remoteAddress);
      this.#port = this.socket.remotePort ?? 0;
    }
    return this.#address;
  }

  get port(): number {
    if (this.#address === undefined) void this.address;
    return this.#port;
  }

  /** This end's address (getsockname(2)); rarely asked, so not kept. */
  get localAddress(): string {
    return displayAddress(this.socket.localAddress);
  }

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }
}

/** Status in the record of an exchange that ended before any final response began. */
const CLIENT_CLOSED = 499;

export class Exchange {
  /** Counts the requests of the connection; a handler's RequestScope carries the id it was for. */
  id = 0;
  /** Undefined for a request that could not be parsed (a canned 400, 408, 431...). */
  head: RequestHead | undefined;
  version: 10 | 11 = 11;
  /** A HEAD request: the response has no body (RFC 9110 §9.3.2). */
  isHead = false;
  /** The client said this request is its last: `Connection: close`, or 1.0 without keep-alive. */
  clientCloses = false;
  /** A rule of ours ends the connection after this response (Go's closeAfterReply). */
  closeAfterReply = false;
  /** `Expect: 100-continue` (HTTP/1.1): the client may wait before sending the body. */
  expectsContinue = false;
  continueSent = false;
  /** The final response has been handed to the response writer: no interim response now. */
  answered = false;
  /** The verdict of shouldReuseConnection(), taken when the final head is written. */
  keepAlive = false;
  status = 0;
  /** Response body bytes handed to the socket. */
  bodyBytes = 0;
  headBytes = 0;
  /** The handler's view of this exchange, made at dispatch. */
  scope: RequestScope | undefined;
  #startMs = 0;
  #startPerf = 0;
  /** socket.bytesWritten when the exchange began, for bytesSent. */
  #writtenBefore = 0;
  #reported = true;
  /** The valid request line of a head refused later (a bad field...), for the record. */
  #rejectedLine: RequestLine | undefined;

  constructor(
    private readonly ctx: ServerContext,
    private readonly socket: Socket,
    readonly peer: Peer,
    /** The body reader and the input buffer it takes from (the parser's). */
    private readonly body: RequestBodyReader,
    private readonly input: { readonly bufferedBytes: number },
    /** "[ip:port]" for --trace lines; "" without --trace. */
    private readonly label: string,
  ) {}

  /** Starts the exchange of a parsed request, the `requests`-th on this connection. */
  begin(parsed: ParsedHead, requests: number): void {
    const head = parsed.head;
    this.#reset();
    this.head = head;
    this.version = head.version;
    this.isHead = head.method === "HEAD";
    this.clientCloses = !requestAllowsKeepAlive(
      head.version,
      parsed.wantsClose,
      parsed.wantsKeepAlive,
    );
    // --max-requests-per-connection: the last one allowed says `Connection: close`.
    this.closeAfterReply = requests >= this.ctx.limits.maxRequestsPerConnection;
    this.expectsContinue = parsed.expectsContinue;
    this.headBytes = parsed.headBytes;
    if (parsed.headText !== undefined) this.trace("received", parsed.headText);
  }

  /**
   * The exchange is over and the connection waits for its next request: lets go of the request
   * head and the handler's scope, so an idle keep-alive connection holds neither (~0.5 KiB each
   * of 10,000 idle connections, docs/BENCHMARKS.md). A handler still running sees its own head;
   * its scope no longer matches, so whatever it does later is ignored, as for any stale scope.
   */
  rest(): void {
    this.head = undefined;
    this.scope = undefined;
  }

  /** Starts the exchange of bytes that are no request (a parse error, a head timeout). */
  beginUnparsed(line: RequestLine | undefined, receivedBytes: number): void {
    this.#reset();
    this.#rejectedLine = line;
    this.headBytes = receivedBytes;
    this.closeAfterReply = true;
  }

  #reset(): void {
    this.id++;
    this.head = undefined;
    this.#rejectedLine = undefined;
    this.version = 11;
    this.isHead = false;
    this.clientCloses = false;
    this.closeAfterReply = false;
    this.expectsContinue = false;
    this.continueSent = false;
    this.answered = false;
    this.keepAlive = false;
    this.status = 0;
    this.bodyBytes = 0;
    this.headBytes = 0;
    this.scope = undefined;
    this.#reported = false;
    if (this.ctx.onExchange !== undefined) {
      this.#startMs = Date.now();
      // Durations from the monotonic clock: Date.now() has whole milliseconds, too coarse for
      // the metrics histogram's 0.5 ms and 1 ms buckets a static file is answered within.
      this.#startPerf = performance.now();
      this.#writtenBefore = this.socket.bytesWritten;
    }
  }

  /** --trace is on (the response head is wanted as text). */
  get tracing(): boolean {
    return this.ctx.trace !== undefined;
  }

  /** True between begin() and the exchange's record. */
  get open(): boolean {
    return !this.#reported;
  }

  /**
   * Whether the connection carries another request after this response (Go's
   * shouldReuseConnection), decided when the final head is written so that its Connection line
   * says it. `bodySettled` is false when the request body is unread and cannot be discarded
   * within the post-response bound (request-body.ts).
   */
  shouldReuseConnection(
    planClose: boolean,
    framing: ResponseFraming,
    bodySettled: boolean,
  ): boolean {
    // The client ends it: `Connection: close`, or HTTP/1.0 without keep-alive (RFC 9112 §9.3).
    if (this.clientCloses) return false;
    // Our own rule: an error after which the byte stream cannot be trusted, the request limit.
    if (this.closeAfterReply) return false;
    // The handler's plan asks for it.
    if (planClose) return false;
    // A graceful stop has begun: no further request.
    if (this.ctx.registry.isDraining) return false;
    // A close-delimited body ends with the connection (RFC 9112 §6.3 item 8).
    if (framing === "close") return false;
    // The request body cannot be read to its end: its bytes would be taken for a request.
    if (!bodySettled) return false;
    return true;
  }

  /** The Connection line of the response, from the verdict above. */
  get connectionLine(): ConnectionLine {
    return connectionLine(this.version, this.keepAlive);
  }

  /** The handler of `scope` reads the body (while the exchange is open). */
  readBody(scope: RequestScope, limit = this.ctx.limits.maxBodyBytes): Readable {
    if (scope !== this.scope || !this.open) {
      return failedBody("ERR_INVALID_ARGUMENT", "the request body is gone");
    }
    const stream = this.body.open(limit, () => this.continueIfAwaited());
    // The handler attaches its listeners first; then the buffered bytes flow.
    queueMicrotask(() => this.body.pump());
    return stream;
  }

  /**
   * Writes an interim response for `scope` (RFC 9110 §15.2) unless none may be sent: never to an
   * HTTP/1.0 client, never once the final response began. A second 100 is not sent twice.
   */
  sendInterim(scope: RequestScope | undefined, status: number, headers: string): boolean {
    if (scope !== this.scope || !this.open || this.answered || this.version !== 11) return false;
    if (status === 100) {
      if (this.continueSent) return true;
      this.continueSent = true;
    }
    const head = interimHead(status, headers);
    this.trace("sent", head);
    this.socket.write(head, "latin1");
    return true;
  }

  /**
   * Reading the body begins (the handler's, or the connection's to discard it): `100 Continue`
   * if the client waits for it (RFC 9110 §10.1.1); not when some of the body has come already.
   */
  continueIfAwaited(): void {
    if (this.expectsContinue && !this.continueSent && this.input.bufferedBytes === 0) {
      this.sendInterim(this.scope, 100, "");
    }
  }

  /**
   * After the client's last response (it sent `Connection: close`, or used HTTP/1.0 without
   * keep-alive): may the socket be closed at once rather than lingering? Yes when its request
   * was read to the end, nothing else is buffered and the kernel holds every byte of the
   * response: the kernel sends the response, then FIN, and with no unread input there is no RST
   * to lose it to (nginx's lingering_close "on" makes the same choice). This saves a
   * shutdown(2), a wait for the client's FIN and a linger state per connection.
   */
  closesAtOnce(requestFullyRead: boolean): boolean {
    return (
      this.clientCloses &&
      requestFullyRead &&
      // TLS holds ciphertext below the socket's writableLength and owes a close_notify.
      !this.ctx.secure &&
      this.socket.writableLength === 0
    );
  }

  /** The connection closed with the exchange open: the handler hears of it, the record says so. */
  abandon(bodyBytesReceived: number): void {
    if (!this.open) return;
    this.scope?.abort("ERR_CONNECTION_CLOSED", "the connection closed");
    this.report(false, bodyBytesReceived);
  }

  /** Emits the exchange's record, once; `complete` is false for a response cut short. */
  report(complete: boolean, bodyBytesReceived: number): void {
    if (this.#reported) return;
    this.#reported = true;
    const onExchange = this.ctx.onExchange;
    if (onExchange === undefined) return;
    const head = this.head;
    const line = head ?? this.#rejectedLine;
    const now = performance.now();
    try {
      onExchange({
        remoteAddress: this.peer.address,
        remotePort: this.peer.port,
        method: line?.method,
        target: line?.target,
        version: line?.version,
        status: this.answered ? this.status : CLIENT_CLOSED,
        bodyBytes: this.bodyBytes,
        bytesReceived: this.headBytes + bodyBytesReceived,
        bytesSent: this.socket.bytesWritten - this.#writtenBefore,
        complete: complete && this.answered,
        referer: head === undefined ? undefined : getField(head, "referer"),
        userAgent: head === undefined ? undefined : getField(head, "user-agent"),
        startMs: this.#startMs,
        durationMs: now - this.#startPerf,
      } satisfies ExchangeRecord);
    } catch (err) {
      // A failing log hook must not turn an answered request into a second (500) answer.
      this.ctx.onHandlerError(err);
    }
  }

  /** One --trace entry for this connection. */
  trace(direction: "sent" | "received", text: string, bodyBytes?: number | "stream"): void {
    const trace = this.ctx.trace;
    if (trace === undefined) return;
    const options =
      bodyBytes === undefined ? { label: this.label } : { label: this.label, bodyBytes };
    trace(formatTrace(direction, text, options));
  }
}

/** The --trace label of a connection ("" when there is no trace). */
export function traceLabel(ctx: ServerContext, peer: Peer): string {
  return ctx.trace === undefined ? "" : formatHostPort(peer.address, peer.port);
}
