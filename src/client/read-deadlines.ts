/**
 * The deadlines of one response being read (response-reader.ts): the first byte, the whole head
 * (1xx included: a head dripped a byte at a time never idles out), and the silence between two
 * reads. The idle deadline is noted on every read but armed once: when its timer fires it waits
 * again for whatever is left, rather than a timer being re-armed per read.
 */
import { TcpkitError } from "../util/tcpkit-error.js";
import { seconds } from "./connect.js";

/** Deadlines after the request is written. */
export interface ReadTimeouts {
  /** From the moment this response is awaited to its first byte. */
  readonly firstByteMs: number;
  /** Longest silence between two reads once the response has started. */
  readonly idleMs: number;
  /** From the moment this response is awaited to its complete final head (default firstByteMs). */
  readonly headMs?: number;
}

export class ReadDeadlines {
  private timer: NodeJS.Timeout | undefined;
  private headTimer: NodeJS.Timeout | undefined;
  private idleArmed = false;
  /** When bytes last arrived (Date.now()). */
  private lastActivity = 0;

  constructor(
    private readonly timeouts: ReadTimeouts,
    private readonly peer: string,
    /** Called with the error when a deadline passes. */
    private readonly expire: (err: TcpkitError) => void,
    /** Body bytes received so far, once the body has started (for the idle message). */
    private readonly bodyBytes: () => number | undefined,
  ) {}

  /** The response is awaited: the first-byte and whole-head deadlines start. */
  start(): void {
    const { firstByteMs, headMs = firstByteMs } = this.timeouts;
    this.stop();
    this.timer = setTimeout(() => {
      this.expire(
        new TcpkitError(
          "ERR_TIMEOUT",
          `no response from ${this.peer} within ${seconds(firstByteMs)}`,
        ),
      );
    }, firstByteMs);
    this.headTimer = setTimeout(() => {
      this.expire(
        new TcpkitError(
          "ERR_TIMEOUT",
          `no complete response head from ${this.peer} within ${seconds(headMs)}`,
        ),
      );
    }, headMs);
  }

  /** The final head is in: only the idle deadline is left. */
  headDone(): void {
    clearTimeout(this.headTimer);
    this.headTimer = undefined;
  }

  /** Bytes arrived: the idle deadline runs from now. */
  activity(): void {
    this.lastActivity = Date.now();
    if (!this.idleArmed) this.armIdle(this.timeouts.idleMs);
  }

  /** The wait is ours (the consumer is slow) or the response is over: no deadline runs. */
  stop(): void {
    clearTimeout(this.timer);
    clearTimeout(this.headTimer);
    this.timer = undefined;
    this.headTimer = undefined;
    this.idleArmed = false;
  }

  private armIdle(ms: number): void {
    clearTimeout(this.timer);
    this.idleArmed = true;
    this.timer = setTimeout(() => {
      const idle = this.timeouts.idleMs;
      const left = this.lastActivity + idle - Date.now();
      if (left > 0) {
        this.armIdle(left);
        return;
      }
      const received = this.bodyBytes();
      const after = received === undefined ? "" : ` (after ${received} body bytes)`;
      this.expire(
        new TcpkitError("ERR_TIMEOUT", `${this.peer} sent nothing for ${seconds(idle)}${after}`),
      );
    }, ms);
  }
}
