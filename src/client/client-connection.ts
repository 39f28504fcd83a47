/**
 * One client connection carrying requests in turn: kept alive between responses when both sides
 * allow it (RFC 9112 §9.3), and pipelined when a caller queues a request before the previous
 * response has ended (§9.3.2: responses come back in request order). The connection owns the
 * socket's listeners and hands bytes to the response being read (response-reader.ts); bytes past
 * one response go to the next, and bytes nobody asked for end the connection.
 *
 * Life: open → (requests, each read in order) → idle (reusable, no request) → ... → closed. It
 * is closed as soon as anything makes the byte stream untrustworthy: a response that says
 * `Connection: close` or is close-delimited, an error, a body abandoned before its end, bytes
 * after a response that no request asked for.
 */
import type { Socket } from "node:net";
import { TcpkitError, toNetworkError } from "../util/tcpkit-error.js";
import { formatHostPort } from "../net/address.js";
import {
  interrupted,
  openConnection,
  type ConnectTimings,
  type ReadTarget,
  type TlsTrust,
} from "./connect.js";
import type { RequestUrl } from "./request-url.js";
import {
  ResponseReader,
  markUnanswered,
  type Exchange,
  type ExchangeRequest,
  type ReaderHost,
} from "./response-reader.js";

export class ClientConnection {
  /** Requests written, their responses not yet complete; the first is the one being read. */
  private readonly queue: ResponseReader[] = [];
  private closed = false;
  private ended = false;
  private reusable: boolean;
  /** Requests written on this connection so far. */
  requestCount = 0;
  /** Reads land in one reused buffer: a reader must copy the bytes it keeps. */
  readonly reusesBuffer: boolean;
  /** Called when the connection has no request in flight and may carry another one. */
  onIdle: ((connection: ClientConnection) => void) | undefined;
  /** Called once when the connection closes, whatever the reason. */
  onClose: ((connection: ClientConnection) => void) | undefined;

  constructor(
    private readonly socket: Socket,
    /** "host:port" for messages. */
    readonly peer: string,
    readonly timings: ConnectTimings,
    options: { reusable: boolean; reads?: ReadTarget | undefined },
  ) {
    this.reusable = options.reusable;
    const reads = options.reads;
    this.reusesBuffer = reads?.reusesBuffer === true;
    if (reads !== undefined && this.reusesBuffer) reads.onRead = (chunk) => this.onData(chunk);
    else socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("end", () => this.onEnd());
    socket.on("close", () => this.onEnd());
    socket.on("error", (err: Error) => this.onEnd(toNetworkError(err, peer)));
  }

  /**
   * True when a request may be written: the first one, or another behind a response that
   * allowed reuse (idle, or pipelining).
   */
  get open(): boolean {
    return !this.closed && !this.ended && (this.reusable || this.requestCount === 0);
  }

  /** Responses awaited on this connection (0 when idle). */
  get inFlight(): number {
    return this.queue.length;
  }

  /**
   * Writes `request.head` now, behind any request still in flight, and resolves with its
   * response's head and body once every earlier response has been read. Rejects with a
   * TcpkitError; an error marked unanswered (isUnanswered) means no byte of the response
   * arrived, so the request can be sent again on another connection.
   */
  request(request: ExchangeRequest, signal?: AbortSignal): Promise<Exchange> {
    if (signal === undefined) return this.send(request);
    if (signal.aborted) return Promise.reject(interrupted(signal));
    // Giving up on a response means giving up on the connection: close it (requests queued
    // behind fail as unanswered).
    const onAbort = (): void => this.close();
    signal.addEventListener("abort", onAbort, { once: true });
    return this.send(request).then(
      (exchange) => {
        signal.removeEventListener("abort", onAbort);
        return exchange;
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        throw signal.aborted ? interrupted(signal) : err;
      },
    );
  }

  private send(request: ExchangeRequest): Promise<Exchange> {
    return new Promise((resolve, reject) => {
      if (!this.open) {
        reject(markUnanswered(closedError(this.peer)));
        return;
      }
      const reader: ResponseReader = new ResponseReader(
        this.hostFor(() => reader),
        request,
        resolve,
        reject,
      );
      const body = request.body;
      if (body !== undefined && this.queue.length > 0) {
        // A body behind a pipelined response would hold the deadlines of the one before it.
        reject(new TcpkitError("ERR_INVALID_ARGUMENT", "a request with a body is not pipelined"));
        return;
      }
      this.queue.push(reader);
      this.requestCount++;
      request.onSent?.();
      // One character per byte (serializeRequestHead): an ETag's obs-text bytes go back as sent.
      this.socket.write(request.head, "latin1");
      if (this.queue.length === 1) {
        reader.activate(body !== undefined);
        this.socket.resume();
      }
      if (body !== undefined) this.sendBody(reader, body);
    });
  }

  /**
   * Writes a request body while its response is read. A body cut short leaves the connection
   * unusable for another request (the server may still be reading it).
   */
  private sendBody(reader: ResponseReader, body: (socket: Socket) => Promise<void>): void {
    body(this.socket).then(
      () => reader.bodySent(),
      (err: unknown) => {
        this.reusable = false;
        reader.abort(toNetworkError(err, this.peer));
      },
    );
  }

  /** Closes the connection; responses still awaited fail as unanswered. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    for (const reader of this.queue.splice(0)) reader.onEnd(closedError(this.peer));
    this.onClose?.(this);
  }

  private hostFor(reader: () => ResponseReader): ReaderHost {
    return {
      reusesBuffer: this.reusesBuffer,
      pause: () => this.socket.pause(),
      resume: () => this.socket.resume(),
      finished: (rest, reusable) => this.finished(reader(), rest, reusable),
      abandon: () => this.close(),
    };
  }

  private finished(reader: ResponseReader, rest: Buffer, reusable: boolean): void {
    if (this.queue[0] !== reader) return;
    this.queue.shift();
    if (!reusable) this.reusable = false;
    const next = this.queue[0];
    if (this.ended || (!this.reusable && next !== undefined)) {
      this.close();
      return;
    }
    if (next === undefined) {
      // Bytes nobody asked for: the stream can no longer be trusted to line up with requests.
      if (rest.length > 0 || !this.reusable) {
        this.close();
        return;
      }
      this.socket.resume();
      this.onIdle?.(this);
      return;
    }
    next.activate();
    this.socket.resume();
    if (rest.length > 0) next.onData(rest);
  }

  private onData(chunk: Buffer): void {
    const reader = this.queue[0];
    if (reader === undefined) {
      this.close();
      return;
    }
    reader.onData(chunk);
  }

  private onEnd(err?: TcpkitError): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    // The response being read decides whether the close ended its body properly; those behind
    // it were never answered.
    this.queue.shift()?.onEnd(err);
    this.close();
  }
}

/**
 * Opens a connection to `url`'s origin (openConnection: TCP or TLS within the connect timeout,
 * plain TCP reading into a buffer of its own) and wraps it. `reusable`: whether it may carry more
 * than one request.
 */
export async function dial(
  url: RequestUrl,
  connect: { timeoutMs: number; trust: TlsTrust; signal?: AbortSignal | undefined },
  reusable: boolean,
): Promise<ClientConnection> {
  const timings: ConnectTimings = {
    start: 0,
    lookupAt: 0,
    connectAt: 0,
    secureAt: 0,
    remoteAddress: "",
    remotePort: 0,
  };
  const reads: ReadTarget = { onRead: undefined, reusesBuffer: false };
  const socket = await openConnection(
    url,
    connect.timeoutMs,
    connect.trust,
    timings,
    connect.signal,
    reads,
  );
  return new ClientConnection(socket, formatHostPort(url.host, url.port), timings, {
    reusable,
    reads,
  });
}

function closedError(peer: string): TcpkitError {
  return new TcpkitError(
    "ERR_CONNECTION_CLOSED",
    `${peer} closed the connection without a response`,
  );
}
