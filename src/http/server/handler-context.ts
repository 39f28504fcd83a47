/**
 * The RequestContext a handler gets: one small object per request (the only per-request object
 * besides the parsed head), so that a handler that keeps it after its exchange can reach
 * neither the next request's body nor its interim responses: the connection answers only the
 * scope of the exchange in progress.
 */
import type { Socket } from "node:net";
import type { Readable } from "node:stream";
import type { Peer } from "./exchange.js";
import type { ServerContext } from "./server-context.js";
import type {
  BodyReadOptions,
  Handler,
  Next,
  RequestBody,
  RequestContext,
  RequestHead,
  ResponsePlan,
} from "../types.js";
import { TcpkitError, type TcpkitErrorCode } from "../../util/tcpkit-error.js";

/** What a scope asks its exchange; each call names the scope, so a stale one is refused. */
export interface ScopeExchange {
  readonly peer: Peer;
  readBody(scope: RequestScope, limit: number | undefined): Readable;
  sendInterim(scope: RequestScope, status: number, headers: string): boolean;
}

/** Where the handler's answer goes (the connection). */
export interface ScopeHost {
  /** The handler's plan for `scope` (sent if that exchange still waits for one). */
  respond(scope: RequestScope, plan: ResponsePlan): void;
  /** The handler threw or rejected (reported once; a 500 if nothing was answered). */
  handlerFailed(scope: RequestScope, err: unknown): void;
}

export class RequestScope implements RequestContext, RequestBody {
  #controller: AbortController | undefined;
  #abortReason: TcpkitError | undefined;

  constructor(
    private readonly host: ScopeHost,
    private readonly exchange: ScopeExchange,
    private readonly ctx: ServerContext,
    /** The body's Content-Length; undefined when chunked; 0 without a body. */
    readonly length: number | undefined,
  ) {}

  /** Calls `handler` for this request; its plan (or failure) goes back to the connection. */
  call(handler: Handler, head: RequestHead, next: Next): void {
    let plan: ResponsePlan | Promise<ResponsePlan>;
    try {
      plan = handler(head, this, next);
    } catch (err) {
      return this.host.handlerFailed(this, err);
    }
    if (typeof (plan as Promise<ResponsePlan> | undefined)?.then === "function") {
      (plan as Promise<ResponsePlan>).then(
        (p) => this.host.respond(this, p),
        (err: unknown) => this.host.handlerFailed(this, err),
      );
    } else {
      this.host.respond(this, plan as ResponsePlan);
    }
  }

  get remoteAddress(): string {
    return this.exchange.peer.address;
  }

  get remotePort(): number {
    return this.exchange.peer.port;
  }

  get localAddress(): string {
    return this.exchange.peer.localAddress;
  }

  get localPort(): number {
    return this.exchange.peer.localPort;
  }

  get secure(): boolean {
    return this.ctx.secure;
  }

  get draining(): AbortSignal {
    return this.ctx.registry.draining;
  }

  get body(): RequestBody {
    return this;
  }

  /** Made on first use: most handlers never ask, and an AbortController is not free. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#abortReason !== undefined) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** The exchange ended before its response was complete (the reason made only then). */
  abort(code: TcpkitErrorCode, message: string): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = new TcpkitError(code, message);
    this.#controller?.abort(this.#abortReason);
  }

  sendInterim(status: number, headers = ""): boolean {
    const valid = Number.isInteger(status) && status >= 100 && status < 200 && status !== 101;
    if (!valid) throw new TypeError(`not an interim status: ${status}`);
    return this.exchange.sendInterim(this, status, headers);
  }

  stream(options?: BodyReadOptions): Readable {
    return this.exchange.readBody(this, options?.limit);
  }

  async bytes(options?: BodyReadOptions): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of this.stream(options)) {
      chunks.push(chunk as Buffer);
      total += (chunk as Buffer).length;
    }
    return Buffer.concat(chunks, total);
  }
}

/**
 * After a 101: gives the socket (paused; the connection has removed its listeners but 'error'
 * and 'close') and the bytes that followed the request to the handler's `onUpgrade`.
 */
export function handOver(
  socket: Socket,
  buffered: Buffer,
  onUpgrade: (socket: Socket, buffered: Buffer) => void,
  onError: (err: unknown) => void,
): void {
  socket.pause();
  try {
    onUpgrade(socket, buffered);
  } catch (err) {
    onError(err);
    socket.destroy();
  }
}
