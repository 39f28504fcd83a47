/**
 * One request/response exchange on a connected socket: writes the request head, reads response
 * heads (skipping 1xx interim responses, RFC 9110 §15.2), decides the body framing once, then
 * streams the body with backpressure. Enforces the first-byte and idle timeouts.
 */
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { BodyDecoder, decideFraming, type BodyFraming } from "./body-decoder.js";
import { ResponseHeadParser, type ResponseHead } from "./response-head-parser.js";
import { TcpkitError, toNetworkError } from "../util/tcpkit-error.js";
import { seconds } from "./connect.js";

/** Timeouts after the connection is open. */
export interface ReadTimeouts {
  /** From the end of the request head to the first response byte. */
  readonly firstByteMs: number;
  /** Longest silence between two reads once the response has started. */
  readonly idleMs: number;
}

/** The final (non-1xx) response, its body still to be read from `body`. */
export interface Exchange {
  readonly head: ResponseHead;
  readonly framing: BodyFraming;
  /**
   * The body bytes, de-chunked. Ends when the framing says the body is complete; errors with a
   * TcpkitError (ERR_HTTP_PROTOCOL, ERR_TIMEOUT, network codes) if it is cut short or malformed.
   * Destroying it closes the connection.
   */
  readonly body: Readable;
}

/** What an exchange needs besides the socket. */
export interface ExchangeRequest {
  readonly method: string;
  readonly head: string;
  /** "host:port" for messages. */
  readonly peer: string;
  readonly timeouts: ReadTimeouts;
  /** Called with every response head, interim ones included (for -i and --trace). */
  readonly onHead?: (head: ResponseHead) => void;
}

/**
 * Sends `request.head` on `socket` and resolves with the final response head and its body
 * stream. Rejects (and destroys the socket) on a network error, a timeout before the head is
 * complete, or a malformed head. The socket is never reused: it is closed when the body ends.
 */
export function exchange(socket: Socket, request: ExchangeRequest): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    new ResponseReader(socket, request, resolve, reject).start();
  });
}

type ReaderState = "head" | "body" | "done";

/**
 * Interim (1xx) responses accepted before the final one. A server has no reason to send more
 * than a few (100 Continue, 103 Early Hints); an endless stream of them would otherwise keep the
 * client waiting forever, since each one resets the idle timer.
 */
export const MAX_INTERIM_RESPONSES = 32;

class ResponseReader {
  private state: ReaderState = "head";
  private parser = new ResponseHeadParser();
  private decoder: BodyDecoder | undefined;
  private body: Readable | undefined;
  private timer: NodeJS.Timeout | undefined;
  private bytesSeen = 0;
  private interimResponses = 0;
  /** Body bytes that came with the head, kept until the consumer first reads. */
  private pendingRest: Buffer | undefined;
  /** An error that happened before the consumer first read (so no 'error' listener yet). */
  private pendingError: TcpkitError | undefined;
  private reading = false;
  /** The socket is paused until the consumer reads (backpressure, or before the first read). */
  private paused = false;
  private endedBeforeRead = false;

  constructor(
    private readonly socket: Socket,
    private readonly request: ExchangeRequest,
    private readonly resolve: (exchange: Exchange) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  start(): void {
    const socket = this.socket;
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("end", () => this.onEnd());
    socket.on("close", () => this.onEnd());
    socket.on("error", (err: Error) => this.fail(toNetworkError(err, this.request.peer)));
    socket.write(this.request.head);
    this.arm(this.request.timeouts.firstByteMs, () => {
      return new TcpkitError(
        "ERR_TIMEOUT",
        `no response from ${this.request.peer} within ${seconds(this.request.timeouts.firstByteMs)}`,
      );
    });
  }

  private onData(chunk: Buffer): void {
    if (this.state === "done") return;
    this.bytesSeen += chunk.length;
    this.armIdle();
    if (this.state === "head") this.readHead(chunk);
    else this.readBody(chunk);
  }

  private readHead(input: Buffer): void {
    let chunk = input;
    for (;;) {
      const result = this.parser.push(chunk);
      if (result.kind === "need-more") return;
      if (result.kind === "error") {
        this.badResponse(result.message);
        return;
      }
      const head = result.head;
      this.request.onHead?.(head);
      if (head.status >= 200) {
        this.startBody(head, result.rest);
        return;
      }
      // We never ask to upgrade, so 101 is a protocol error; other 1xx are interim (RFC 9110 §15.2).
      if (head.status === 101) {
        this.badResponse("unexpected 101 Switching Protocols");
        return;
      }
      if (++this.interimResponses > MAX_INTERIM_RESPONSES) {
        this.badResponse(`more than ${MAX_INTERIM_RESPONSES} interim (1xx) responses`);
        return;
      }
      this.parser = new ResponseHeadParser();
      chunk = result.rest;
      if (chunk.length === 0) return;
    }
  }

  private startBody(head: ResponseHead, rest: Buffer): void {
    const framing = decideFraming(this.request.method, head);
    if (framing.kind === "error") {
      this.badResponse(framing.message);
      return;
    }
    this.state = "body";
    this.decoder = new BodyDecoder(framing);
    this.body = new Readable({
      highWaterMark: 256 * 1024,
      read: () => this.onBodyRead(),
      destroy: (err, callback) => {
        this.state = "done";
        this.close();
        callback(err);
      },
    });
    // Nothing more is read until the consumer asks: an error or the end of the body must not be
    // emitted on a stream nobody listens to yet.
    this.paused = true;
    this.socket.pause();
    this.disarm();
    this.pendingRest = rest;
    this.resolve({ head, framing, body: this.body });
  }

  private readBody(chunk: Buffer): void {
    const decoder = this.decoder as BodyDecoder;
    const result = decoder.push(chunk, (data) => this.deliver(data));
    if (result.kind === "done") this.finishBody();
    else if (result.kind === "error") this.fail(this.bodyError(result.message));
  }

  private deliver(data: Buffer): void {
    // Backpressure: stop reading the socket until the consumer asks for more; the idle timer is
    // off meanwhile, since the wait is ours, not the server's.
    if (this.body?.push(data) === false) {
      this.paused = true;
      this.socket.pause();
      this.disarm();
    }
  }

  private onBodyRead(): void {
    if (!this.reading) {
      // First read: decode the bytes that came with the head, then report what happened while
      // nobody was listening (an error, or the peer closing), in that order.
      this.reading = true;
      this.paused = false;
      const rest = this.pendingRest ?? Buffer.alloc(0);
      this.pendingRest = undefined;
      this.readBody(rest);
      if (this.state !== "body") return;
      if (this.pendingError !== undefined) {
        this.fail(this.pendingError);
        return;
      }
      if (this.endedBeforeRead) {
        this.onEnd();
        return;
      }
      if (this.paused) return;
    } else {
      if (this.state !== "body" || !this.paused) return;
      this.paused = false;
    }
    this.socket.resume();
    this.armIdle();
  }

  private onEnd(): void {
    if (this.state === "done") return;
    if (this.state === "head") {
      const what =
        this.bytesSeen === 0 ? "without a response" : "before the end of the response head";
      this.fail(
        new TcpkitError(
          "ERR_CONNECTION_CLOSED",
          `${this.request.peer} closed the connection ${what}`,
        ),
      );
      return;
    }
    if (!this.reading) {
      // The rest of the body that came with the head has not been decoded yet.
      this.endedBeforeRead = true;
      return;
    }
    const result = (this.decoder as BodyDecoder).end();
    if (result.kind === "error") this.fail(this.bodyError(result.message));
    else this.finishBody();
  }

  private finishBody(): void {
    if (this.state === "done") return;
    this.state = "done";
    this.close();
    this.body?.push(null);
  }

  /** A malformed head or framing: "bad response from HOST:PORT: what". */
  private badResponse(message: string): void {
    this.fail(
      new TcpkitError("ERR_HTTP_PROTOCOL", `bad response from ${this.request.peer}: ${message}`),
    );
  }

  private bodyError(message: string): TcpkitError {
    return new TcpkitError("ERR_HTTP_PROTOCOL", `${message} from ${this.request.peer}`);
  }

  /**
   * Ends the exchange with an error: rejects before the head; after it, errors the body stream,
   * or, if the consumer has not read yet, keeps the error until it does (so the bytes that came
   * with the head still reach it first, and no 'error' is emitted with nobody listening).
   */
  private fail(err: TcpkitError): void {
    if (this.state === "done") return;
    if (this.state === "body" && !this.reading) {
      this.pendingError ??= err;
      this.close();
      return;
    }
    const hadBody = this.state === "body";
    this.state = "done";
    this.close();
    if (hadBody) this.body?.destroy(err);
    else this.reject(err);
  }

  /** Stops timers and closes the socket (never reused). */
  private close(): void {
    this.disarm();
    this.socket.destroy();
  }

  private armIdle(): void {
    const ms = this.request.timeouts.idleMs;
    this.arm(ms, () => {
      const after =
        this.decoder === undefined ? "" : ` (after ${this.decoder.received} body bytes)`;
      return new TcpkitError(
        "ERR_TIMEOUT",
        `${this.request.peer} sent nothing for ${seconds(ms)}${after}`,
      );
    });
  }

  private arm(ms: number, makeError: () => TcpkitError): void {
    this.disarm();
    this.timer = setTimeout(() => this.fail(makeError()), ms);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
