/**
 * One probe's connection: raw bytes out, responses in, parsed by the client's wire parsers. Every
 * wait has a deadline, and memory stays bounded whatever the server sends: at most QUEUE_HIGH
 * bytes wait unread (the socket is paused past it), a response head is capped by the head
 * parser, and of a body only the first KEEP_BODY bytes are kept (the rest is counted, and
 * reading stops past MAX_BODY).
 */
import type { Socket } from "node:net";
import {
  BodyDecoder,
  decideFraming,
  openConnection,
  ResponseHeadParser,
  type RequestUrl,
  type ResponseHead,
  type TlsTrust,
} from "./wire.js";

/** Bytes of each response body kept for the probes' comparisons. */
export const KEEP_BODY = 64 * 1024;
/** A body longer than this is not read further: the probe reports it and the connection ends. */
export const MAX_BODY = 8 * 1024 * 1024;
/** Unread bytes held before the socket is paused. */
const QUEUE_HIGH = 256 * 1024;
/** Interim (1xx) responses accepted before one final response; a server may not send more. */
export const MAX_INTERIM = 16;
/** Bytes of each direction kept for the report (the wire log, not the parsed responses). */
export const LOG_BYTES = 4096;
/** Writes longer than this go out in slices of this size (see sendPaced). */
export const PACE_BYTES = 16 * 1024;

/** A complete response as the checker saw it. */
export interface SeenResponse {
  readonly head: ResponseHead;
  /** Interim (1xx) responses that came before it. */
  readonly interim: readonly ResponseHead[];
  /** The method of the request it answers, as assumed for framing. */
  readonly method: string;
  readonly framing: "none" | "length" | "chunked" | "close";
  readonly bodyLength: number;
  /** The first KEEP_BODY bytes of the body. */
  readonly body: Buffer;
}

/** What one wait for a response produced. */
export type ReadOutcome =
  | { readonly kind: "response"; readonly response: SeenResponse }
  /** The server closed (or reset) before sending any byte of a response. */
  | { readonly kind: "closed" }
  /** Nothing complete arrived in time; `detail` says how far it got. */
  | { readonly kind: "timeout"; readonly detail: string }
  /** Bytes arrived that are not a well-framed HTTP/1.x response. */
  | { readonly kind: "malformed"; readonly message: string };

type Next = Buffer | "closed" | "timeout";

/** A raw client connection for one probe. */
export class ProbeConnection {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private paused = false;
  private wake: (() => void) | undefined;
  /** The server reset the connection (ECONNRESET) rather than closing it. */
  reset = false;
  private sentLog = "";
  private receivedLog = "";
  private sentTotal = 0;
  private receivedTotal = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly trace: ((direction: "sent" | "received", bytes: Buffer) => void) | undefined,
  ) {
    socket.on("data", (chunk: Buffer) => {
      this.receivedTotal += chunk.length;
      if (this.receivedLog.length < LOG_BYTES) {
        this.receivedLog += chunk
          .subarray(0, LOG_BYTES - this.receivedLog.length)
          .toString("latin1");
      }
      this.queue.push(chunk);
      this.queued += chunk.length;
      if (this.queued > QUEUE_HIGH && !this.paused) {
        this.paused = true;
        socket.pause();
      }
      this.wake?.();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNRESET" || err.code === "EPIPE") this.reset = true;
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake?.();
    });
  }

  /** Connects (TLS for https) within timeoutMs; rejects with a TcpkitError on failure. */
  static async open(
    url: RequestUrl,
    timeoutMs: number,
    trust: TlsTrust,
    trace?: (direction: "sent" | "received", bytes: Buffer) => void,
  ): Promise<ProbeConnection> {
    const socket = await openConnection(url, timeoutMs, trust);
    return new ProbeConnection(socket, trace);
  }

  /** True once the server closed or reset and every received byte has been read. */
  get finished(): boolean {
    return this.ended && this.queue.length === 0;
  }

  /** Bytes received and not yet parsed. */
  get unread(): number {
    return this.queued;
  }

  /** Bytes sent and received so far (capped), for the report. */
  log(): { sent: string; received: string; sentTotal: number; receivedTotal: number } {
    return {
      sent: this.sentLog,
      received: this.receivedLog,
      sentTotal: this.sentTotal,
      receivedTotal: this.receivedTotal,
    };
  }

  /** Writes bytes as they are; a write to a closed connection is ignored (the reads tell). */
  send(bytes: Buffer, written: () => void = () => {}): void {
    this.sentTotal += bytes.length;
    if (this.sentLog.length < LOG_BYTES) {
      this.sentLog += bytes.subarray(0, LOG_BYTES - this.sentLog.length).toString("latin1");
    }
    this.trace?.("sent", bytes);
    if (this.socket.destroyed || this.socket.writableEnded) return written();
    this.socket.write(bytes, () => written());
  }

  /**
   * Writes a large request in PACE_BYTES slices, each once the one before has reached the
   * kernel, and stops as soon as the server has begun to answer or has closed (or at
   * `deadline`). A server that refuses an oversized head answers at once and closes with our
   * bytes unread, which resets the connection (RFC 9112 §9.6); a write after that fails, and
   * Node destroys the socket before the answer is read, so the answer must stop the writing.
   * Resolves true when every byte was written, false when the rest was left unsent.
   */
  async sendPaced(bytes: Buffer, deadline: number): Promise<boolean> {
    for (let at = 0; at < bytes.length; at += PACE_BYTES) {
      if (this.queued > 0 || this.ended || this.socket.destroyed) return false;
      let flushed = false;
      this.send(bytes.subarray(at, at + PACE_BYTES), () => {
        flushed = true;
        this.wake?.();
      });
      while (!flushed) {
        if (this.queued > 0 || this.ended) return false;
        if (!(await this.waitEvent(deadline))) return false;
      }
      // A write callback runs before the same turn's reads: one turn of the loop lets an answer
      // that has already arrived be read before the next slice is written.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return true;
  }

  /** Waits up to `ms` (bytes keep arriving into the queue meanwhile). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /**
   * Reads the next final response to a `method` request (interim 1xx responses are collected on
   * the way), within `waitMs`.
   */
  async readResponse(method: string, waitMs: number): Promise<ReadOutcome> {
    const deadline = Date.now() + waitMs;
    const interim: ResponseHead[] = [];
    for (;;) {
      const parser = new ResponseHeadParser();
      let started = false;
      let head: ResponseHead | undefined;
      while (head === undefined) {
        const chunk = await this.next(deadline);
        if (chunk === "timeout") {
          return { kind: "timeout", detail: started ? "a response head cut short" : "nothing" };
        }
        if (chunk === "closed") {
          if (started || interim.length > 0) {
            return { kind: "malformed", message: "connection closed inside a response head" };
          }
          return { kind: "closed" };
        }
        started = true;
        const r = parser.push(chunk);
        if (r.kind === "error") return { kind: "malformed", message: r.message };
        if (r.kind === "head") {
          head = r.head;
          this.unshift(r.rest);
        }
      }
      this.trace?.("received", Buffer.from(head.raw, "latin1"));
      if (head.status < 200 && head.status !== 101) {
        if (interim.length === MAX_INTERIM) {
          return { kind: "malformed", message: `more than ${MAX_INTERIM} interim responses` };
        }
        interim.push(head);
        continue;
      }
      return this.readBody(head, interim, method, deadline);
    }
  }

  private async readBody(
    head: ResponseHead,
    interim: readonly ResponseHead[],
    method: string,
    deadline: number,
  ): Promise<ReadOutcome> {
    const framing = head.status === 101 ? { kind: "none" as const } : decideFraming(method, head);
    if (framing.kind === "error") return { kind: "malformed", message: framing.message };
    const decoder = new BodyDecoder(framing);
    const kept: Buffer[] = [];
    let keptBytes = 0;
    const onData = (data: Buffer): void => {
      if (keptBytes >= KEEP_BODY) return;
      const take = data.subarray(0, KEEP_BODY - keptBytes);
      kept.push(Buffer.from(take));
      keptBytes += take.length;
    };
    const done = (): ReadOutcome => {
      if (decoder.received > 0)
        this.trace?.("received", Buffer.from(`[body ${decoder.received} bytes]`));
      return {
        kind: "response",
        response: {
          head,
          interim,
          method,
          framing: framing.kind,
          bodyLength: decoder.received,
          body: Buffer.concat(kept),
        },
      };
    };
    let result = decoder.push(Buffer.alloc(0), onData);
    for (;;) {
      if (result.kind === "done") {
        this.unshift(result.rest);
        return done();
      }
      if (result.kind === "error") return { kind: "malformed", message: result.message };
      if (decoder.received > MAX_BODY) {
        this.destroy();
        return {
          kind: "malformed",
          message: `response body over ${MAX_BODY} bytes; stopped reading`,
        };
      }
      const chunk = await this.next(deadline);
      if (chunk === "timeout") {
        const want = framing.kind === "length" ? ` of ${framing.length}` : "";
        return {
          kind: "timeout",
          detail: `${head.status} and ${decoder.received}${want} body bytes, then silence`,
        };
      }
      if (chunk === "closed") {
        const end = decoder.end();
        if (end.kind === "error") return { kind: "malformed", message: end.message };
        return done();
      }
      result = decoder.push(chunk, onData);
    }
  }

  /**
   * Waits until the server closes, reading and counting (not keeping) whatever arrives meanwhile;
   * resolves with whether it closed within `waitMs` and how many bytes came before.
   */
  async drainUntilClosed(waitMs: number): Promise<{ closed: boolean; bytes: number }> {
    const deadline = Date.now() + waitMs;
    let bytes = 0;
    for (;;) {
      const chunk = await this.next(deadline);
      if (chunk === "closed") return { closed: true, bytes };
      if (chunk === "timeout") return { closed: false, bytes };
      bytes += chunk.length;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private unshift(rest: Buffer): void {
    if (rest.length === 0) return;
    this.queue.unshift(rest);
    this.queued += rest.length;
  }

  private async next(deadline: number): Promise<Next> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk !== undefined) {
        this.queued -= chunk.length;
        if (this.paused && this.queued < QUEUE_HIGH / 2) {
          this.paused = false;
          this.socket.resume();
        }
        return chunk;
      }
      if (this.ended) return "closed";
      if (!(await this.waitEvent(deadline))) return "timeout";
    }
  }

  /** Resolves true on the next data or close event, false at the deadline. */
  private waitEvent(deadline: number): Promise<boolean> {
    const left = deadline - Date.now();
    if (left <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(false);
      }, left);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(true);
      };
    });
  }
}
