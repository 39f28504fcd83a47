/**
 * One accepted connection of the HTTP server: the state machine that reads request heads, hands
 * each to the handler and carries out its plan, request after request (the life of a request is
 * told in docs/ARCHITECTURE.md). Heads are parsed from the input buffer (the parser's) in a loop,
 * not by recursion; each request is an Exchange (exchange.ts) dispatched in the next dispatch
 * turn (dispatch-turn.ts); its body stays in the input buffer until the handler reads it
 * (request-body.ts) or this connection discards it; the response writer transmits the plan
 * (response-writer.ts); Exchange.shouldReuseConnection decides what follows. Later pipelined
 * requests wait in the buffer (the socket pauses past INPUT_BUFFER_BYTES), so responses leave in
 * order. Deadlines are numbers checked by the server's sweep timer: no timer per request.
 */
import type { Socket } from "node:net";
import { dispatchOrQueue, type Dispatchable } from "./dispatch-turn.js";
import { Exchange, Peer, traceLabel } from "./exchange.js";
import { handOver, RequestScope, type ScopeHost } from "./handler-context.js";
import {
  INPUT_BUFFER_BYTES,
  POST_RESPONSE_DRAIN_BYTES,
  RequestBodyReader,
  type BodyListener,
} from "./request-body.js";
import { RequestHeadParser, type ParsedHead, type RequestLine } from "./request-head-parser.js";
import { frameResponse } from "./response-head.js";
import { disposeStream, ResponseWriter, type WriterReport } from "./response-writer.js";
import type { ServerContext } from "./server-context.js";
import { errorPlan } from "../error-plan.js";
import type { RequestHead, ResponsePlan } from "../types.js";
import type { TrackedConnection } from "../../net/connection-registry.js";
import { resetSocket } from "../../net/reset-socket.js";

/** Where a connection is, and where it may go next. */
type ConnectionState =
  /** Waiting for or reading a request head → handling | lingering | closed. */
  | "head"
  /** The handler decides; the body may be read meanwhile → sending | lingering | closed. */
  | "handling"
  /** The writer transmits the plan → head | draining | lingering | upgraded | closed. */
  | "sending"
  /** Answered; the unread rest of the body is discarded (bounded) → head | lingering | closed. */
  | "draining"
  /** Answered and closing: input is discarded until the peer closes → closed. */
  | "lingering"
  /** Handed to the handler after a 101; only its closing is still watched → closed. */
  | "upgraded"
  | "closed";

/** After an error answer, how long to keep reading (and discarding) before destroying. */
const LINGER_MS = 2_000;

const CONNECTION = Symbol("tcpkit.connection");
type ConnectedSocket = Socket & { [CONNECTION]?: ServerConnection };

export class ServerConnection
  implements TrackedConnection, Dispatchable, WriterReport, BodyListener, ScopeHost
{
  private state: ConnectionState = "head";
  private readonly parser: RequestHeadParser;
  private readonly exchange: Exchange;
  private readonly body: RequestBodyReader;
  private readonly writer: ResponseWriter;
  /** 0 = none; otherwise ms since the epoch, checked by the server's sweep. */
  deadline = 0;
  registryIndex = -1;
  /** socket.writableLength at the last deadline, to tell a slow reader from a stalled one. */
  private lastPending = -1;
  private processing = false;
  private peerEnded = false;
  /** The next request waits for the socket to drain (a pipelining client that does not read). */
  private waitingDrain = false;
  /** Between requests, under the keep-alive deadline, until a byte of the next one comes. */
  private idle = false;
  private requests = 0;
  /** A plan waiting for the unread body to be discarded before it is sent. */
  private pendingPlan: ResponsePlan | undefined;

  constructor(
    readonly socket: Socket,
    private readonly ctx: ServerContext,
  ) {
    this.parser = new RequestHeadParser(ctx.limits, ctx.trace !== undefined);
    const peer = new Peer(socket);
    // The access log and --trace need the address: read it while the socket is surely connected.
    if (ctx.onExchange !== undefined || ctx.trace !== undefined) void peer.address;
    this.body = new RequestBodyReader(this.parser, socket, ctx.limits.headTimeoutMs, this);
    const label = traceLabel(ctx, peer);
    this.exchange = new Exchange(ctx, socket, peer, this.body, this.parser, label);
    this.writer = new ResponseWriter(socket, this);
    (socket as ConnectedSocket)[CONNECTION] = this;
    socket.on("data", socketOnData);
    socket.on("drain", socketOnDrain);
    socket.on("end", socketOnEnd);
    socket.on("error", socketOnError);
    socket.on("close", socketOnClose);
    ctx.registry.add(this);
    this.enterIdle();
  }

  /** Called by the server's sweep timer: acts on a deadline that has passed. */
  onSweep(now: number): void {
    if (this.body.deadline !== 0 && now >= this.body.deadline) this.body.timedOut();
    if (this.deadline === 0 || now < this.deadline) return;
    this.deadline = 0;
    // A response still flushing to a client that reads slowly is not idle: while the buffered
    // bytes shrink between checks, wait longer; a client that reads nothing loses it.
    const pending = this.socket.writableLength;
    if (pending > 0 && this.state !== "closed" && this.state !== "upgraded") {
      if (pending === this.lastPending) return void this.socket.destroy();
      return this.responseStalled();
    }
    this.lastPending = -1;
    if (this.state === "lingering") this.socket.destroy();
    // Idle between requests: close silently. Part of a head received: 408 (RFC 9110 §15.5.9),
    // the slowloris answer. (The body's deadline is the reader's; a handler may take its time.)
    else if (this.state === "head") {
      if (this.parser.bufferedBytes === 0) this.closeGracefully();
      else this.replyUnparsed(408);
    }
  }

  /** Graceful stop (the registry): close now if idle, else after the response in flight. */
  shutdown(): void {
    if (this.state === "head" && this.parser.bufferedBytes === 0 && !this.waitingDrain) {
      this.socket.destroy();
    }
  }

  onData(chunk: Buffer): void {
    if (this.state === "head") {
      // The first byte of a request: the idle deadline ends, the head deadline may start. Not
      // "the parser holds nothing": empty lines before a request line are consumed as they
      // come (RFC 9112 §2.2), and a client sending CRLF every second restarted the deadline
      // each time and held the connection forever.
      if (this.idle) {
        this.idle = false;
        this.deadline = 0;
      }
      this.parser.push(chunk);
      if (!this.waitingDrain) this.processInput();
      else if (this.parser.bufferedBytes > INPUT_BUFFER_BYTES) this.socket.pause();
    } else if (this.state === "handling" || this.state === "sending" || this.state === "draining") {
      this.parser.push(chunk);
      this.body.pump();
    }
  }

  /** The socket drained: the writer resumes, or the next pipelined request is answered. */
  onWritable(): void {
    if (this.state === "sending") this.deadline = 0;
    if (this.writer.onDrain()) return;
    if (this.waitingDrain) {
      this.waitingDrain = false;
      this.deadline = 0;
      this.processInput();
    }
  }

  onEnd(): void {
    this.peerEnded = true;
    // Requests already buffered are still answered; then the connection closes.
    if (this.state === "head" && !this.waitingDrain) this.processInput();
    else if (this.state === "lingering") this.socket.destroy();
    else if (this.state !== "upgraded" && this.state !== "closed") {
      this.body.inputEnded = true;
      this.body.pump();
      if (this.state === "sending") this.writer.clientEnded();
    }
  }

  onClose(): void {
    const wasOpen = this.state !== "closed";
    this.state = "closed";
    this.deadline = 0;
    this.ctx.registry.delete(this);
    if (!wasOpen) return;
    this.writer.abort();
    this.body.cut("ERR_CONNECTION_CLOSED", "the connection closed");
    this.dropPendingPlan();
    this.exchange.abandon(this.body.wireBytes);
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
        if (this.peerEnded) this.replyUnparsed(400);
        else if (this.deadline === 0) this.deadline = Date.now() + this.ctx.limits.headTimeoutMs;
        break;
      }
      if (result.kind === "error") {
        this.replyUnparsed(result.status, result.reason, result.requestLine);
        break;
      }
      this.startRequest(result);
    }
    this.processing = false;
  }

  private enterIdle(): void {
    if (this.peerEnded || this.ctx.registry.isDraining) return this.closeGracefully();
    this.socket.resume();
    this.idle = true;
    this.deadline = Date.now() + this.ctx.limits.keepAliveTimeoutMs;
  }

  private startRequest(parsed: ParsedHead): void {
    this.exchange.begin(parsed, ++this.requests);
    this.body.begin(parsed.bodyKind, parsed.contentLength);
    this.state = "handling";
    // The request is complete as far as dispatch goes: no head deadline while it waits.
    this.deadline = 0;
    const refusal = this.ctx.methods.refusal(parsed.head.method, parsed.head);
    // RFC 9110 §10.1.1: a client waiting for 100 Continue is refused without its body.
    if (refusal !== undefined) return this.answer(refusal, parsed.expectsContinue);
    if (parsed.head.path === "*") return this.answer(this.ctx.methods.optionsAsterisk);
    // The last request of its connection (HTTP/1.0, `Connection: close`) has no later request
    // to share a turn's stat with, and its wait for the check phase cost the HTTP/1.0 workload
    // 6-10 µs of server CPU per connection (docs/BENCHMARKS.md): it runs at once.
    dispatchOrQueue(this, this.exchange.clientCloses);
  }

  /** Dispatchable: the turn this request waited for has come. */
  dispatchQueued(): void {
    // The connection may have closed or failed while the request waited; a socket destroyed
    // in the poll phase reports 'close' only after this turn.
    if (this.socket.destroyed || this.state !== "handling") return;
    const x = this.exchange;
    x.scope = new RequestScope(this, x, this.ctx, this.body.length);
    x.scope.call(this.ctx.handler, x.head as RequestHead, this.ctx.fallback);
  }

  /** ScopeHost: the handler's plan for `scope`, if that exchange still waits for one. */
  respond(scope: RequestScope, plan: ResponsePlan): void {
    if (scope === this.exchange.scope && this.state === "handling") return this.answer(plan);
    if (plan?.body?.kind === "stream") disposeStream(plan.body.stream);
  }

  /**
   * Sends `plan` now, or once the body the handler left unread has been discarded, so the next
   * request is read from the right byte (413 past the limit). With `close` (the plan's, or a
   * refusal of a client waiting for 100 Continue) the body is not read at all.
   */
  private answer(plan: ResponsePlan, close = plan?.close === true): void {
    const unread = this.body.unread || (plan?.body?.kind === "upgrade" && !this.body.complete);
    if (!unread || close) return this.transmit(plan, close);
    this.pendingPlan = plan;
    if (this.body.exceeds(this.ctx.limits.maxBodyBytes)) return this.replyError(413);
    this.exchange.continueIfAwaited();
    this.body.discard(this.ctx.limits.maxBodyBytes);
    this.body.pump();
  }

  /** Frames `plan`, takes the keep-alive verdict and hands the plan to the writer. */
  private transmit(plan: ResponsePlan, close = plan?.close === true): void {
    const x = this.exchange;
    let framed: ReturnType<typeof frameResponse>;
    try {
      framed = frameResponse(plan, x.isHead, x.version);
    } catch (err) {
      return this.handlerFailed(x.scope, err);
    }
    const settled = this.body.complete || (!this.body.unread && this.body.drainable);
    x.keepAlive = x.shouldReuseConnection(close, framed.framing, settled);
    x.answered = true;
    this.state = "sending";
    this.writer.send(plan, framed.framing, framed.length, x);
    if (this.peerEnded && this.state === "sending") this.writer.clientEnded();
  }

  /** ScopeHost: the handler threw or rejected; also a plan the writer cannot frame. */
  handlerFailed(scope: RequestScope | undefined, err: unknown): void {
    if (scope !== undefined && scope !== this.exchange.scope) return;
    this.ctx.onHandlerError(err);
    if (this.state === "handling") this.replyError(500);
    else if (this.state === "sending") this.socket.destroy();
  }

  /** WriterReport: the response is handed to the socket. */
  responseSent(onUpgrade?: (socket: Socket, buffered: Buffer) => void): void {
    if (this.state !== "sending") return;
    this.exchange.report(true, this.body.wireBytes);
    if (onUpgrade !== undefined) return this.handOver(onUpgrade);
    if (!this.exchange.keepAlive) {
      return this.closeGracefully(this.body.complete && this.parser.bufferedBytes === 0);
    }
    if (this.body.complete) return this.nextRequest();
    // The handler answered without reading all of the body: discard the rest (bounded) first.
    this.state = "draining";
    this.body.discard(this.body.received + POST_RESPONSE_DRAIN_BYTES);
    this.body.pump();
  }

  /** WriterReport: a write waits for 'drain': the send deadline runs while it does. */
  responseStalled(): void {
    this.deadline = Date.now() + this.ctx.limits.sendTimeoutMs;
    this.lastPending = this.socket.writableLength;
  }

  /** WriterReport: the body failed mid-way; `status` when nothing was sent yet. */
  responseFailed(status: 403 | 404 | 500 | undefined, closeDelimited: boolean): void {
    if (this.state !== "sending") return;
    if (status === undefined)
      return void (closeDelimited ? resetSocket(this.socket) : this.socket.destroy());
    this.state = "handling";
    this.replyError(status);
  }

  /** BodyListener: the body was read to its end. */
  bodyDone(): void {
    const plan = this.pendingPlan;
    this.pendingPlan = undefined;
    if (plan !== undefined && this.state === "handling") return this.transmit(plan);
    if (this.state === "draining") this.nextRequest();
  }

  /** BodyListener: the body cannot be completed; answer `status` if nothing was, then close. */
  bodyFailed(status: 400 | 408 | 413, reason: string): void {
    this.exchange.trace("received", `[body: ${reason}]`);
    this.exchange.scope?.abort("ERR_HTTP_PROTOCOL", `request body: ${reason}`);
    if (this.state === "handling") this.replyError(status);
    else if (this.state === "sending") this.socket.destroy();
    else if (this.state === "draining") this.closeGracefully();
  }

  /** Sends an error answer for the current request and closes (the byte stream is suspect). */
  private replyError(status: number): void {
    this.dropPendingPlan();
    this.body.cut("ERR_HTTP_PROTOCOL", `answered ${status} before the body was read`);
    this.exchange.closeAfterReply = true;
    const own = this.ctx.ownAnswerHeaders;
    this.transmit(own === "" ? errorPlan(status) : errorPlan(status, own));
  }

  /** An error answer to bytes that are no request (parse error, head timeout). */
  private replyUnparsed(status: number, reason = "timeout", line?: RequestLine): void {
    // What the refused head took on the wire so far (a 431 of 20 KiB is not 0 bytes received).
    this.exchange.beginUnparsed(line, this.parser.bufferedBytes);
    this.exchange.trace("received", `[rejected: ${reason}]`);
    this.state = "handling";
    this.replyError(status);
  }

  private dropPendingPlan(): void {
    if (this.pendingPlan?.body?.kind === "stream") disposeStream(this.pendingPlan.body.stream);
    this.pendingPlan = undefined;
  }

  /** After a 101: the handler takes the socket and the bytes that followed the request. */
  private handOver(onUpgrade: (socket: Socket, buffered: Buffer) => void): void {
    this.state = "upgraded";
    this.deadline = 0;
    this.socket.off("data", socketOnData);
    this.socket.off("drain", socketOnDrain);
    this.socket.off("end", socketOnEnd);
    const buffered = Buffer.from(this.parser.consume(Number.MAX_SAFE_INTEGER));
    handOver(this.socket, buffered, onUpgrade, this.ctx.onHandlerError);
  }

  private nextRequest(): void {
    this.state = "head";
    this.deadline = 0;
    this.exchange.rest();
    this.socket.resume();
    if (this.socket.writableNeedDrain) {
      // A pipelining client that does not read: answer the next request once this one drains.
      this.waitingDrain = true;
      return this.responseStalled();
    }
    this.processInput();
  }

  /**
   * Ends our side after what was written, then keeps reading and discarding until the peer
   * closes: closing with unread input would make the kernel send RST, and the client could lose
   * the response it has not read yet (the "lingering close" of Apache and nginx). After the
   * client's last request, read to its end (`requestRead`), the socket may instead close at
   * once when that loses nothing (Exchange.closesAtOnce).
   */
  private closeGracefully(requestRead = false): void {
    if (this.state === "lingering" || this.state === "closed") return;
    this.state = "lingering";
    if (requestRead && this.exchange.closesAtOnce(true)) {
      this.deadline = 0;
      return void this.socket.destroy();
    }
    this.socket.resume();
    this.socket.end();
    this.deadline = Date.now() + LINGER_MS;
  }
}

function socketOnData(this: ConnectedSocket, chunk: Buffer): void {
  this[CONNECTION]?.onData(chunk);
}

function socketOnDrain(this: ConnectedSocket): void {
  this[CONNECTION]?.onWritable();
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
