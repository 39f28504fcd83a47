/**
 * One accepted connection of the HTTP server: a small state machine that reads request heads,
 * discards request bodies, calls the handler and transmits its plan, request after request.
 *
 * The life of a request (DESIGN §2):
 *  1. 'data' → bytes join the parser's buffer. The head deadline is armed only when a head
 *     does not complete in the bytes at hand (the first byte of a request starts the clock).
 *  2. parser.parse() → need-more (wait), error (canned reply, `Connection: close`, linger,
 *     close) or a head with its body framing.
 *  3. A body (Content-Length or chunked) is read and discarded within maxBodyBytes (413 past it);
 *     a GET's body must not be taken for the next request.
 *  4. The complete request waits for the next dispatch turn (dispatch-turn.ts): the requests
 *     read in one poll phase go to the handler together, in the check phase. Method policy:
 *     GET/HEAD/OPTIONS → the handler (sync or async); asterisk OPTIONS → Allow; other
 *     registered methods → 405; unknown → 501.
 *  5. The plan is framed by response-head.ts; head and a small body leave in one write; files
 *     are read in big chunks from an fd and written with 'drain' backpressure; streams likewise.
 *  6. Keep-alive decision. Pipelined bytes already buffered are parsed at once (in a loop, not
 *     by recursion); otherwise the connection is idle until its keep-alive deadline.
 *  While a response is in flight, parsing pauses: later pipelined requests wait in the buffer
 *  (the socket is paused past PIPELINE_BUFFER_BYTES), so responses leave in request order.
 *  Deadlines are plain numbers checked by the server's sweep timer, so no per-request timer.
 */
import type { Socket } from "node:net";
import {
  cannedBodyLength,
  cannedResponse,
  statusForFileError,
  type CannedStatus,
} from "./canned-responses.js";
import { ChunkedBodySkipper } from "./chunked-body-skipper.js";
import type { DispatchTurns, Dispatchable } from "./dispatch-turn.js";
import type { ExchangeRecord } from "./exchange-record.js";
import { getField } from "./header-lookup.js";
import type { HttpLimits } from "./limits.js";
import { classifyMethod, optionsPlan } from "./method-policy.js";
import { headAndBody, preparedResponse } from "./prepared-response.js";
import { RequestHeadParser, type ParsedHead } from "./request-head-parser.js";
import { frameResponse, requestAllowsKeepAlive, serializeResponseHead } from "./response-head.js";
import { ResponseBodyWriter, disposeStream, type BodySink } from "./response-body-writer.js";
import { formatTrace } from "./trace-format.js";
import type { DispatchTurn, Handler, RequestContext, RequestHead, ResponsePlan } from "./types.js";
import { displayAddress, formatHostPort } from "../net/address.js";

/** What all connections of one server share. */
export interface ServerContext {
  readonly handler: Handler;
  readonly limits: HttpLimits;
  readonly secure: boolean;
  /** Every open connection (the deadline sweep and graceful stop walk it). */
  readonly connections: Set<ServerConnection>;
  /** Set by a graceful stop: no new connection, no further keep-alive. */
  closing: boolean;
  /** Called when the last connection closes during a graceful stop. */
  onEmpty: (() => void) | undefined;
  readonly onExchange: ((record: ExchangeRecord) => void) | undefined;
  readonly trace: ((text: string) => void) | undefined;
  readonly onHandlerError: (err: unknown) => void;
  /** Requests read in one poll phase are dispatched together (dispatch-turn.ts). */
  readonly turns: DispatchTurns;
}

type ConnectionState =
  | "head" /* waiting for or reading a request head */
  | "body" /* discarding a request body */
  | "handling" /* the handler is deciding */
  | "sending" /* a file or stream body is being written */
  | "lingering" /* answered and closing: input is discarded until the peer closes */
  | "closed";

/** Bodies up to this size are copied behind the head so both leave in one write. */
const COALESCE_BYTES = 64 * 1024;
/** Unchanging bodies up to this size are sent from a prepared response (prepared-response.ts). */
const PREPARED_MAX_BYTES = 16 * 1024;
/** Pipelined bytes buffered while a response is in flight before the socket is paused. */
const PIPELINE_BUFFER_BYTES = 64 * 1024;
const CONTINUE = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
/** After an error reply, how long to keep reading (and discarding) before destroying. */
const LINGER_MS = 2_000;

const CONNECTION = Symbol("tcpkit.connection");
type ConnectedSocket = Socket & { [CONNECTION]?: ServerConnection };

export class ServerConnection implements BodySink, Dispatchable {
  private state: ConnectionState = "head";
  private readonly parser: RequestHeadParser;
  /** Made at the first request; the peer's address is looked up only if someone reads it. */
  private context: RequestContext | undefined;
  private readonly label: string;
  /** 0 = none; otherwise ms since the epoch, checked by the server's sweep. */
  deadline = 0;
  private processing = false;
  /** socket.writableLength at the last deadline, to tell a slow reader from a stalled one. */
  private lastPending = -1;
  private peerEnded = false;
  /** The next request waits for the socket to drain (a pipelining client that does not read). */
  private waitingDrain = false;
  private requestCount = 0;

  // The request in progress.
  private head: RequestHead | undefined;
  private keepAlive = false;
  /** The client said this request is its last (`Connection: close`, or 1.0 without keep-alive). */
  private clientCloses = false;
  private isHead = false;
  private bodyRemaining = 0;
  private skipper: ChunkedBodySkipper | undefined;
  private startMs = 0;
  private status = 0;
  private bodyBytes = 0;

  // Body transmission.
  private pendingHead = "";
  private bodyWriter: ResponseBodyWriter | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ServerContext,
  ) {
    this.parser = new RequestHeadParser(ctx.limits, ctx.trace !== undefined);
    // An access log or trace needs the peer's address, so it is read now, while the socket is
    // surely connected; otherwise getpeername(2) is a system call per connection nobody needs.
    if (ctx.onExchange !== undefined || ctx.trace !== undefined) {
      this.context = new PeerContext(socket, ctx);
      // Only --trace needs the label; formatting it (an IPv6 check) is not free per connection.
      this.label =
        ctx.trace === undefined
          ? ""
          : formatHostPort(this.context.remoteAddress, this.context.remotePort);
    } else {
      this.label = "";
    }
    (socket as ConnectedSocket)[CONNECTION] = this;
    socket.on("data", socketOnData);
    socket.on("drain", socketOnDrain);
    socket.on("end", socketOnEnd);
    socket.on("error", socketOnError);
    socket.on("close", socketOnClose);
    ctx.connections.add(this);
    this.enterIdle();
  }

  /** Called by the server's sweep when `deadline` has passed. */
  onDeadline(): void {
    this.deadline = 0;
    // A response still flushing to a client that reads slowly is not idle: while the buffered
    // bytes shrink between checks, wait longer; a client that reads nothing loses it.
    const pending = this.socket.writableLength;
    if (pending > 0 && this.state !== "closed") {
      if (pending !== this.lastPending) {
        this.lastPending = pending;
        this.deadline = Date.now() + this.ctx.limits.sendTimeoutMs;
      } else {
        this.socket.destroy();
      }
      return;
    }
    this.lastPending = -1;
    switch (this.state) {
      case "head":
        // Idle between requests: close silently. Part of a head received: 408 (RFC 9110
        // §15.5.9), the slowloris answer.
        if (this.parser.bufferedBytes === 0) this.closeGracefully();
        else this.replyCannedAndClose(408);
        return;
      case "body":
        this.replyCannedAndClose(408);
        return;
      case "lingering":
        this.socket.destroy();
        return;
      case "handling":
      case "sending":
      case "closed":
        return;
      default: {
        const never: never = this.state;
        return never;
      }
    }
  }

  /** Graceful stop: close now if idle, else after the response in flight (ctx.closing). */
  shutdown(): void {
    if (this.state === "head" && this.parser.bufferedBytes === 0 && !this.waitingDrain) {
      this.socket.destroy();
    }
  }

  /** The end of a graceful stop's grace period. */
  destroy(): void {
    this.socket.destroy();
  }

  onData(chunk: Buffer): void {
    switch (this.state) {
      case "head":
        if (this.parser.bufferedBytes === 0) {
          // The first byte of a request: the idle deadline ends, the head deadline may start.
          this.deadline = 0;
        }
        this.parser.push(chunk);
        if (!this.waitingDrain) this.processInput();
        else if (this.parser.bufferedBytes > PIPELINE_BUFFER_BYTES) this.socket.pause();
        return;
      case "body":
        this.parser.push(chunk);
        this.continueBody();
        return;
      case "handling":
      case "sending":
        this.parser.push(chunk);
        if (this.parser.bufferedBytes > PIPELINE_BUFFER_BYTES) this.socket.pause();
        return;
      case "lingering":
      case "closed":
        return;
      default: {
        const never: never = this.state;
        return never;
      }
    }
  }

  onDrain(): void {
    if (this.state === "sending") this.deadline = 0;
    if (this.bodyWriter?.onDrain() === true) return;
    if (this.waitingDrain) {
      this.waitingDrain = false;
      this.processInput();
    }
  }

  onEnd(): void {
    this.peerEnded = true;
    // Requests already buffered are still answered; then the connection closes.
    if (this.state === "head" && !this.waitingDrain) this.processInput();
    else if (this.state === "body") this.replyCannedAndClose(400);
    else if (this.state === "lingering") this.socket.destroy();
  }

  onClose(): void {
    this.state = "closed";
    this.deadline = 0;
    this.ctx.connections.delete(this);
    this.bodyWriter?.abort();
    if (this.ctx.onEmpty !== undefined && this.ctx.connections.size === 0) this.ctx.onEmpty();
  }

  /** Parses and answers buffered requests until one needs more bytes or goes asynchronous. */
  private processInput(): void {
    if (this.processing) return;
    this.processing = true;
    while (this.state === "head" && !this.waitingDrain && !this.socket.destroyed) {
      if (this.parser.bufferedBytes === 0) {
        this.enterIdle();
        break;
      }
      const result = this.parser.parse();
      if (result.kind === "need-more") {
        if (this.peerEnded) this.replyCannedAndClose(400);
        else if (this.deadline === 0) this.deadline = Date.now() + this.ctx.limits.headTimeoutMs;
        break;
      }
      if (result.kind === "error") {
        if (this.ctx.trace !== undefined) this.trace("received", `[rejected: ${result.reason}]`);
        this.replyCannedAndClose(result.status);
        break;
      }
      this.startRequest(result);
    }
    this.processing = false;
  }

  private enterIdle(): void {
    if (this.peerEnded || this.ctx.closing) {
      this.closeGracefully();
      return;
    }
    this.socket.resume();
    this.deadline = Date.now() + this.ctx.limits.keepAliveTimeoutMs;
  }

  private startRequest(parsed: ParsedHead): void {
    const head = parsed.head;
    this.head = head;
    this.requestCount++;
    this.isHead = head.method === "HEAD";
    this.clientCloses = !requestAllowsKeepAlive(
      head.version,
      parsed.wantsClose,
      parsed.wantsKeepAlive,
    );
    this.keepAlive =
      !this.clientCloses &&
      this.requestCount < this.ctx.limits.maxRequestsPerConnection &&
      !this.ctx.closing;
    this.bodyBytes = 0;
    if (this.ctx.onExchange !== undefined) this.startMs = Date.now();
    if (parsed.headText !== undefined) this.trace("received", parsed.headText);
    if (parsed.bodyKind === "none") {
      this.queueDispatch();
      return;
    }
    if (parsed.expectsContinue && this.parser.bufferedBytes === 0) {
      // RFC 9110 §10.1.1: the client waits before sending its body. A method tcpkit refuses
      // is refused now, without reading the body (so the connection closes); otherwise
      // "100 Continue" saves the client its wait.
      const decision = classifyMethod(head.method);
      if (decision !== "serve") {
        this.keepAlive = false;
        // The body may still be on its way: only a lingering close is safe.
        this.clientCloses = false;
        this.state = "handling";
        return this.replyCanned(decision === "not-allowed" ? 405 : 501);
      }
      if (parsed.bodyKind !== "length" || parsed.contentLength <= this.ctx.limits.maxBodyBytes) {
        this.socket.write(CONTINUE);
      }
    }
    if (parsed.bodyKind === "length") {
      if (parsed.contentLength > this.ctx.limits.maxBodyBytes) {
        this.replyCannedAndClose(413);
        return;
      }
      this.bodyRemaining = parsed.contentLength;
      this.skipper = undefined;
    } else {
      this.skipper = new ChunkedBodySkipper(this.ctx.limits.maxBodyBytes);
    }
    this.state = "body";
    this.continueBody();
  }

  private continueBody(): void {
    if (this.skipper === undefined) {
      this.bodyRemaining -= this.parser.consume(this.bodyRemaining).length;
      if (this.bodyRemaining > 0) return this.armBodyDeadline();
    } else {
      const result = this.skipper.push(this.parser.consume(Number.MAX_SAFE_INTEGER));
      if (result.kind === "need-more") return this.armBodyDeadline();
      if (result.kind === "error") return this.replyCannedAndClose(result.status);
      this.parser.unshift(result.rest);
      this.skipper = undefined;
    }
    // Pipelined requests after it are parsed once its response is done (finishResponse).
    this.queueDispatch();
  }

  /**
   * The request is complete: it goes to the handler in the current dispatch turn, or waits for
   * the next one (dispatch-turn.ts). Bytes arriving meanwhile are buffered as while handling.
   */
  private queueDispatch(): void {
    this.state = "handling";
    // The request is complete: no head or body deadline applies while it waits.
    this.deadline = 0;
    this.ctx.turns.dispatchOrQueue(this);
  }

  /** Dispatchable: the turn this request waited for has come. */
  dispatchQueued(): void {
    // The connection may have closed or failed while the request waited; a socket destroyed
    // in the poll phase reports 'close' only after this turn.
    if (this.socket.destroyed) this.state = "closed";
    if (this.state === "handling" && this.head !== undefined) this.dispatch();
  }

  private armBodyDeadline(): void {
    if (this.deadline === 0) this.deadline = Date.now() + this.ctx.limits.headTimeoutMs;
  }

  private dispatch(): void {
    const head = this.head as RequestHead;
    this.deadline = 0;
    this.state = "handling";
    switch (classifyMethod(head.method)) {
      case "serve":
        break;
      case "not-allowed":
        return this.replyCanned(405);
      case "not-implemented":
        return this.replyCanned(501);
    }
    if (head.path === "*") return this.respond(optionsPlan());
    let plan: ResponsePlan | Promise<ResponsePlan>;
    try {
      plan = this.ctx.handler(head, (this.context ??= new PeerContext(this.socket, this.ctx)));
    } catch (err) {
      return this.handlerFailed(err);
    }
    if (typeof (plan as Promise<ResponsePlan> | undefined)?.then === "function") {
      (plan as Promise<ResponsePlan>).then(
        (p) => this.respondSafely(p),
        (err: unknown) => this.handlerFailed(err),
      );
    } else {
      this.respondSafely(plan as ResponsePlan);
    }
  }

  /** respond(), with a malformed plan (null, an unknown body kind...) treated as a failure. */
  private respondSafely(plan: ResponsePlan): void {
    try {
      this.respond(plan);
    } catch (err) {
      this.handlerFailed(err);
    }
  }

  private handlerFailed(err: unknown): void {
    this.ctx.onHandlerError(err);
    if (this.state === "handling") this.replyCannedAndClose(500);
    else if (this.state === "sending") this.socket.destroy();
  }

  /** Transmits a handler's plan (DESIGN §1: handlers decide, connections transmit). */
  private respond(plan: ResponsePlan): void {
    const body = plan.body;
    if (this.state !== "handling") {
      if (body.kind === "stream") disposeStream(body.stream);
      return;
    }
    const status = plan.status;
    // A graceful stop may have begun while the request waited for its turn.
    if (plan.close === true || this.ctx.closing) this.keepAlive = false;
    const version = this.head?.version ?? 11;
    const { framing, length } = frameResponse(plan, this.isHead, version);
    // Close-delimited: the end of the body is the end of the connection.
    if (framing === "close") this.keepAlive = false;
    this.status = status;
    if (
      body.kind === "bytes" &&
      body.unchanging === true &&
      framing === "length" &&
      length > 0 &&
      length <= PREPARED_MAX_BYTES &&
      !this.isHead &&
      this.ctx.trace === undefined
    ) {
      // The hot path: a small body, head and body from one shared buffer in one write.
      this.bodyBytes = length;
      this.socket.write(
        preparedResponse(status, plan.headers, body.bytes, version, this.keepAlive),
      );
      return this.finishResponse();
    }
    const headText = serializeResponseHead(
      status,
      plan.headers,
      framing,
      length,
      version,
      this.keepAlive,
    );
    const sendsBody = !this.isHead && framing !== "none" && length !== 0;
    if (this.ctx.trace !== undefined) {
      this.trace("sent", headText, sendsBody ? (length >= 0 ? length : "stream") : 0);
    }
    if (!sendsBody) {
      if (body.kind === "stream") disposeStream(body.stream);
      this.socket.write(headText, "latin1");
      return this.finishResponse();
    }
    this.pendingHead = headText;
    switch (body.kind) {
      case "none":
        return this.finishResponse();
      case "bytes":
        this.writeBody(body.bytes);
        return this.finishResponse();
      case "file":
        this.state = "sending";
        return this.writer().sendParts([body]);
      case "segments":
        this.state = "sending";
        return this.writer().sendParts(body.segments);
      case "stream":
        this.state = "sending";
        // A stream may take its time: send the head now.
        this.socket.write(this.pendingHead, "latin1");
        this.pendingHead = "";
        return this.writer().sendStream(body.stream, framing === "chunked", length);
    }
  }

  private writer(): ResponseBodyWriter {
    return (this.bodyWriter ??= new ResponseBodyWriter(this.socket, this));
  }

  /** Writes body bytes, prefixed by the pending head if it has not gone out (BodySink). */
  writeBody(bytes: Buffer): boolean {
    this.bodyBytes += bytes.length;
    const head = this.pendingHead;
    if (head === "") return this.socket.write(bytes);
    this.pendingHead = "";
    if (bytes.length <= COALESCE_BYTES) return this.socket.write(headAndBody(head, bytes));
    this.socket.cork();
    this.socket.write(head, "latin1");
    const ok = this.socket.write(bytes);
    this.socket.uncork();
    return ok;
  }

  /** BodySink: the writer waits for 'drain'. */
  bodyWaiting(): void {
    this.armSendDeadline();
  }

  /** Arms the send deadline while a write waits for 'drain'. */
  private armSendDeadline(): void {
    this.deadline = Date.now() + this.ctx.limits.sendTimeoutMs;
    this.lastPending = this.socket.writableLength;
  }

  /** BodySink: the file or stream body is all written. */
  bodyDone(): void {
    if (this.state === "sending") this.finishResponse();
  }

  /** BodySink: a file or stream failed mid-way. */
  bodyFailed(err: NodeJS.ErrnoException | null | undefined): void {
    if (this.state !== "sending") return;
    if (this.pendingHead !== "" && err !== undefined) {
      // Nothing sent yet: a status can still tell the client (without OS text).
      this.pendingHead = "";
      this.state = "handling";
      this.replyCannedAndClose(statusForFileError(err));
    } else {
      // The head promised bytes that will not come: only closing tells the client.
      this.socket.destroy();
    }
  }

  /** Sends a canned response for the current request; the connection may stay open. */
  private replyCanned(status: CannedStatus): void {
    const head = this.head;
    const bytes = cannedResponse(status, !this.keepAlive, head?.version ?? 11, this.isHead);
    if (this.ctx.trace !== undefined) this.traceCanned(bytes);
    this.socket.write(bytes);
    this.status = status;
    this.bodyBytes = this.isHead ? 0 : cannedBodyLength(status);
    this.finishResponse();
  }

  /** Sends a canned error and closes: the byte stream after it cannot be trusted. */
  private replyCannedAndClose(status: CannedStatus): void {
    if (this.state === "lingering" || this.state === "closed") return;
    if (this.state === "sending" && this.pendingHead === "") {
      this.socket.destroy();
      return;
    }
    this.keepAlive = false;
    const version = this.head?.version ?? 11;
    const bytes = cannedResponse(status, true, version, false);
    if (this.ctx.trace !== undefined) this.traceCanned(bytes);
    this.socket.write(bytes);
    this.status = status;
    this.bodyBytes = cannedBodyLength(status);
    this.logExchange();
    this.head = undefined;
    this.closeGracefully();
  }

  private finishResponse(): void {
    this.logExchange();
    this.head = undefined;
    if (!this.keepAlive) {
      this.closeAfterResponse();
      return;
    }
    this.state = "head";
    this.socket.resume();
    if (this.socket.writableNeedDrain) {
      // A pipelining client that does not read: answer the next request once this one drains.
      this.waitingDrain = true;
      this.armSendDeadline();
      return;
    }
    this.processInput();
  }

  private logExchange(): void {
    const onExchange = this.ctx.onExchange;
    if (onExchange === undefined) return;
    try {
      this.reportExchange(onExchange);
    } catch (err) {
      // A failing log hook must not turn an answered request into a second (500) answer.
      this.ctx.onHandlerError(err);
    }
  }

  private reportExchange(onExchange: (record: ExchangeRecord) => void): void {
    const head = this.head;
    const now = Date.now();
    const peer = (this.context ??= new PeerContext(this.socket, this.ctx));
    onExchange({
      remoteAddress: peer.remoteAddress,
      remotePort: peer.remotePort,
      method: head?.method,
      target: head?.target,
      version: head?.version,
      status: this.status,
      bodyBytes: this.bodyBytes,
      referer: head === undefined ? undefined : getField(head, "referer"),
      userAgent: head === undefined ? undefined : getField(head, "user-agent"),
      startMs: head === undefined ? now : this.startMs,
      durationMs: head === undefined ? 0 : now - this.startMs,
    });
  }

  /**
   * Ends our side after what was written, then keeps reading and discarding until the peer
   * closes: closing with unread input would make the kernel send RST, and the client could
   * lose the response it has not read yet (the "lingering close" of Apache and nginx).
   */
  private closeGracefully(): void {
    if (this.state === "lingering" || this.state === "closed") return;
    this.state = "lingering";
    this.socket.resume();
    this.socket.end();
    this.deadline = Date.now() + LINGER_MS;
  }

  /**
   * Closes after a response the client expected to be the last (it sent `Connection: close`,
   * or used HTTP/1.0 without keep-alive). When its request was read to the end, nothing else is
   * buffered and the kernel holds every byte of the response, close(2) now: the kernel sends
   * the response, then FIN, and with no unread input there is no RST to lose it to — nginx's
   * lingering_close "on" makes the same choice. This saves a shutdown(2), a wait for the peer's
   * FIN and a linger state per connection. Anything else takes the lingering close.
   */
  private closeAfterResponse(): void {
    if (
      this.clientCloses &&
      // TLS holds ciphertext below the socket's writableLength and owes a close_notify.
      !this.ctx.secure &&
      this.parser.bufferedBytes === 0 &&
      this.socket.writableLength === 0
    ) {
      this.state = "lingering";
      this.deadline = 0;
      this.socket.destroy();
      return;
    }
    this.closeGracefully();
  }

  private traceCanned(bytes: Buffer): void {
    const text = bytes.toString("latin1");
    const end = text.indexOf("\r\n\r\n") + 4;
    this.trace("sent", text.slice(0, end), text.length - end);
  }

  private trace(direction: "sent" | "received", text: string, bodyBytes?: number | "stream"): void {
    const options =
      bodyBytes === undefined ? { label: this.label } : { label: this.label, bodyBytes };
    this.ctx.trace?.(formatTrace(direction, text, options));
  }
}

/**
 * The RequestContext of a connection. The peer's address is read from the socket on first use
 * and kept (a handler that never asks costs no getpeername(2)).
 */
class PeerContext implements RequestContext {
  #address: string | undefined;
  #port = 0;
  readonly secure: boolean;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ServerContext,
  ) {
    this.secure = ctx.secure;
  }

  get turn(): DispatchTurn | undefined {
    return this.ctx.turns.current;
  }

  get remoteAddress(): string {
    if (this.#address === undefined) {
      this.#address = displayAddress(this.socket.remoteAddress);
      this.#port = this.socket.remotePort ?? 0;
    }
    return this.#address;
  }

  get remotePort(): number {
    if (this.#address === undefined) void this.remoteAddress;
    return this.#port;
  }
}

function socketOnData(this: ConnectedSocket, chunk: Buffer): void {
  this[CONNECTION]?.onData(chunk);
}

function socketOnDrain(this: ConnectedSocket): void {
  this[CONNECTION]?.onDrain();
}

function socketOnEnd(this: ConnectedSocket): void {
  this[CONNECTION]?.onEnd();
}

function socketOnError(this: ConnectedSocket): void {
  // ECONNRESET, EPIPE...: nothing more can be said to this peer.
  this.destroy();
}

function socketOnClose(this: ConnectedSocket): void {
  this[CONNECTION]?.onClose();
}
