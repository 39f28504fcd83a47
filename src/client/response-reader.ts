/**
 * One response on a client connection: reads its heads (skipping 1xx interim responses, RFC 9110
 * §15.2), decides the body framing once, then streams the body with backpressure. Enforces the
 * first-byte, head and idle deadlines. The connection (client-connection.ts) feeds it bytes while
 * it is the response being read, and gets the connection back (with any bytes past the body)
 * when the body is complete.
 */
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { getField, hasToken } from "../http/header-lookup.js";
import {
  BodyDecoder,
  decideFraming,
  unsupportedTransferCoding,
  type BodyFraming,
} from "./body-decoder.js";
import { ResponseHeadParser, type ResponseHead } from "./response-head-parser.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { ReadDeadlines, type ReadTimeouts } from "./read-deadlines.js";

export type { ReadTimeouts };

/** The final (non-1xx) response, its body still to be read from `body`. */
export interface Exchange {
  readonly head: ResponseHead;
  readonly framing: BodyFraming;
  /**
   * The body bytes, de-chunked. Ends when the framing says the body is complete; errors with a
   * TcpkitError (ERR_HTTP_PROTOCOL, ERR_TIMEOUT, network codes) if it is cut short or malformed,
   * but only after every byte received before the failure has been read. Destroying it closes
   * the connection.
   */
  readonly body: Readable;
  /** When the first byte of the response arrived (performance.now() milliseconds). */
  readonly firstByteAt: number;
}

/** What a response needs besides the connection. */
export interface ExchangeRequest {
  readonly method: string;
  /** The request head, written as is. */
  readonly head: string;
  /** "host:port" for messages. */
  readonly peer: string;
  readonly timeouts: ReadTimeouts;
  /** Called with every response head, interim ones included (for -i and --trace). */
  readonly onHead?: (head: ResponseHead) => void;
  /** Called as the head is written (again if the request is sent again). */
  readonly onSent?: () => void;
  /**
   * Writes the request body after the head (request-body.ts), with backpressure. The response is
   * read meanwhile (interim heads, or a final one that comes early, e.g. 413), but its deadlines
   * start only once this resolves: a server need not say anything while a body is coming in.
   * A rejection fails the exchange and closes the connection.
   */
  readonly body?: (socket: Socket) => Promise<void>;
}

/** What a reader asks of the connection it reads from. */
export interface ReaderHost {
  /** The bytes handed to onData live in a buffer reused by the next read: copy what is kept. */
  readonly reusesBuffer: boolean;
  pause(): void;
  resume(): void;
  /** The body is complete; `rest` are bytes after it; `reusable`: the response allows reuse. */
  finished(rest: Buffer, reusable: boolean): void;
  /** The reader failed or was abandoned: the connection cannot be trusted any more. */
  abandon(): void;
}

/**
 * Interim (1xx) responses accepted before the final one. A server has no reason to send more
 * than a few (100 Continue, 103 Early Hints); an endless stream of them would otherwise keep the
 * client waiting forever, since each one resets the idle timer. Not counted: the progress 104s
 * of a resumable upload (Upload-Offset, no Location; draft-ietf-httpbis-resumable-upload §5)
 * while the request body is still being sent, whose length bounds them (tcpkit's server sends
 * one per 16 MiB: 64 for a 1 GiB upload).
 */
export const MAX_INTERIM_RESPONSES = 32;

type ReaderState = "waiting" | "head" | "body" | "done";

const unansweredErrors = new WeakSet<Error>();
const readers = new WeakMap<Readable, ResponseReader>();

/**
 * Lets a consumer that writes synchronously (a file, see file-sink.ts) take a response body's
 * bytes as they are decoded, without the Readable's buffering: `sink` is called with views that
 * are valid only during the call (the connection may reuse its read buffer). The Readable still
 * ends or errors as usual. Only before the body is first read; false if it cannot be arranged.
 */
export function takeBodyDirectly(body: Readable, sink: (chunk: Buffer) => void): boolean {
  return readers.get(body)?.takeDirectly(sink) ?? false;
}

/** Marks `err` as the failure of a request of which no response byte arrived. */
export function markUnanswered(err: TcpkitError): TcpkitError {
  unansweredErrors.add(err);
  return err;
}

/**
 * True when the request failed before any byte of its response arrived: on a connection that
 * had carried other requests (a kept-alive one the server closed meanwhile, or one pipelined
 * behind a response that ended the connection) it may be sent again on a fresh connection.
 */
export function isUnanswered(err: unknown): boolean {
  return err instanceof Error && unansweredErrors.has(err);
}

/**
 * Reads one response. Life: `waiting` (queued behind earlier responses on a pipelined
 * connection) → `head` (activate(): deadlines armed) → `body` (the promise resolved) → `done`.
 */
export class ResponseReader {
  private state: ReaderState = "waiting";
  private parser = new ResponseHeadParser();
  private decoder: BodyDecoder | undefined;
  private body: Readable | undefined;
  private readonly deadlines: ReadDeadlines;
  /** Takes body bytes as they are decoded, instead of the Readable (takeBodyDirectly). */
  private direct: ((chunk: Buffer) => void) | undefined;
  /** Response bytes received so far (head and body). */
  bytesSeen = 0;
  private firstByteAt = 0;
  private interimResponses = 0;
  /** Body bytes that came with the head, kept until the consumer first reads. */
  private pendingRest: Buffer | undefined;
  /** An error that happened before the consumer first read (so no 'error' listener yet). */
  private pendingError: TcpkitError | undefined;
  private reading = false;
  /** The socket is paused until the consumer reads (backpressure, or before the first read). */
  private paused = false;
  private endedBeforeRead = false;
  private reusable = false;

  constructor(
    private readonly host: ReaderHost,
    readonly request: ExchangeRequest,
    private readonly resolve: (exchange: Exchange) => void,
    private readonly reject: (err: TcpkitError) => void,
  ) {
    this.deadlines = new ReadDeadlines(
      request.timeouts,
      request.peer,
      (err) => this.fail(err),
      () => this.decoder?.received,
    );
  }

  /** The request body is still being written: the read deadlines wait for it (bodySent). */
  private bodyPending = false;

  /**
   * This response is now the one being read: the deadlines start, or, while `bodyPending`, only
   * when bodySent() says the request body is out.
   */
  activate(bodyPending = false): void {
    if (this.state !== "waiting") return;
    this.state = "head";
    this.bodyPending = bodyPending;
    if (!bodyPending) this.deadlines.start();
  }

  /** A resumable upload's progress report, while the body it reports on is still going out. */
  private isProgress(head: ResponseHead): boolean {
    return (
      this.bodyPending &&
      head.status === 104 &&
      getField(head, "upload-offset") !== undefined &&
      getField(head, "location") === undefined
    );
  }

  /** The request body is written: the response's deadlines start now (if it is still awaited). */
  bodySent(): void {
    if (!this.bodyPending) return;
    this.bodyPending = false;
    if (this.state === "head") this.deadlines.start();
  }

  /** Gives up on the exchange with `err` (the request body could not be sent). */
  abort(err: TcpkitError): void {
    this.bodyPending = false;
    this.fail(err);
  }

  /** Bytes from the connection (only while this reader is active). */
  onData(chunk: Buffer): void {
    if (this.state === "done" || this.state === "waiting") return;
    if (this.bytesSeen === 0) this.firstByteAt = performance.now();
    this.bytesSeen += chunk.length;
    if (!this.bodyPending) this.deadlines.activity();
    if (this.state === "head") this.readHead(chunk);
    else this.readBody(chunk);
  }

  /** The peer closed the connection (or it failed: `err`). */
  onEnd(err?: TcpkitError): void {
    if (this.state === "done") return;
    if (err !== undefined) {
      this.fail(err);
      return;
    }
    if (this.state === "head" || this.state === "waiting") {
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
    // Cut short by the peer closing: a network failure (worth a retry), not a malformed body.
    if (result.kind === "error") this.fail(this.bodyError(result.message, "ERR_CONNECTION_CLOSED"));
    else this.finishBody(Buffer.alloc(0));
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
      if (!this.isProgress(head) && ++this.interimResponses > MAX_INTERIM_RESPONSES) {
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
    const coding = unsupportedTransferCoding(framing, head);
    if (coding !== undefined) {
      this.badResponse(coding);
      return;
    }
    this.deadlines.headDone();
    this.reusable = allowsReuse(head, framing);
    this.state = "body";
    this.decoder = new BodyDecoder(framing);
    this.body = new Readable({
      highWaterMark: 256 * 1024,
      read: () => this.onBodyRead(),
      destroy: (err, callback) => {
        if (this.state !== "done") {
          this.state = "done";
          this.deadlines.stop();
          this.host.abandon();
        }
        callback(err);
      },
    });
    // Nothing more is read until the consumer asks: an error or the end of the body must not be
    // emitted on a stream nobody listens to yet.
    this.paused = true;
    this.host.pause();
    this.deadlines.stop();
    this.pendingRest = this.host.reusesBuffer ? Buffer.from(rest) : rest;
    readers.set(this.body, this);
    this.resolve({ head, framing, body: this.body, firstByteAt: this.firstByteAt });
  }

  /** See takeBodyDirectly. */
  takeDirectly(sink: (chunk: Buffer) => void): boolean {
    if (this.state !== "body" || this.reading || (this.body?.readableLength ?? 1) > 0) return false;
    this.direct = sink;
    return true;
  }

  private readBody(chunk: Buffer): void {
    const decoder = this.decoder as BodyDecoder;
    const result = decoder.push(chunk, (data) => this.deliver(data));
    if (result.kind === "done") this.finishBody(result.rest);
    else if (result.kind === "error") this.fail(this.bodyError(result.message));
  }

  private deliver(data: Buffer): void {
    if (this.state !== "body") return;
    if (this.direct !== undefined) {
      this.direct(data);
      return;
    }
    // Backpressure: stop reading the socket until the consumer asks for more; the idle timer is
    // off meanwhile, since the wait is ours, not the server's.
    if (this.body?.push(this.host.reusesBuffer ? Buffer.from(data) : data) === false) {
      this.paused = true;
      this.host.pause();
      this.deadlines.stop();
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
    this.host.resume();
    this.deadlines.activity();
  }

  private finishBody(rest: Buffer): void {
    if (this.state === "done") return;
    this.state = "done";
    this.deadlines.stop();
    this.body?.push(null);
    this.host.finished(rest, this.reusable);
  }

  /** A malformed head or framing: "bad response from HOST:PORT: what". */
  private badResponse(message: string): void {
    this.fail(
      new TcpkitError("ERR_HTTP_PROTOCOL", `bad response from ${this.request.peer}: ${message}`),
    );
  }

  private bodyError(
    message: string,
    code: "ERR_HTTP_PROTOCOL" | "ERR_CONNECTION_CLOSED" = "ERR_HTTP_PROTOCOL",
  ): TcpkitError {
    return new TcpkitError(code, `${message} from ${this.request.peer}`);
  }

  /**
   * Ends the exchange with an error: rejects before the head; after it, errors the body stream
   * once the consumer has read every byte received before the failure (so a partial file holds
   * all of them), or, if the consumer has not read yet, keeps the error until it does.
   */
  private fail(err: TcpkitError): void {
    if (this.state === "done") return;
    const hadBody = this.state === "body";
    if (hadBody && !this.reading) {
      this.pendingError ??= err;
      this.deadlines.stop();
      this.host.abandon();
      return;
    }
    const unanswered = !hadBody && this.bytesSeen === 0;
    this.state = "done";
    this.deadlines.stop();
    this.host.abandon();
    if (hadBody) destroyAfterBuffered(this.body as Readable, err);
    else this.reject(unanswered ? markUnanswered(err) : err);
  }
}

/**
 * Errors `body` once its buffer has been read: destroying it at once would drop up to a
 * highWaterMark of bytes that arrived before the failure (issue 18 item 11). 'data' is emitted
 * in flowing and paused mode alike, so the listener sees the buffer empty whichever the consumer
 * uses.
 */
function destroyAfterBuffered(body: Readable, err: Error): void {
  if (body.readableLength === 0) {
    body.destroy(err);
    return;
  }
  const check = (): void => {
    if (body.readableLength > 0) return;
    body.off("data", check);
    // After the consumer's own 'data' handler for the last chunk has run.
    queueMicrotask(() => body.destroy(err));
  };
  body.on("data", check);
}

/**
 * Whether the connection may carry another request after this response (RFC 9112 §9.3): an
 * HTTP/1.1 response without `Connection: close` whose body ends by its framing (not by the
 * connection closing). tcpkit never asks an HTTP/1.0 server to keep a connection.
 */
function allowsReuse(head: ResponseHead, framing: BodyFraming): boolean {
  return head.version === 11 && framing.kind !== "close" && !hasToken(head, "connection", "close");
}
