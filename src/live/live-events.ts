/**
 * The Server-Sent Events side of live reload (WHATWG HTML §9.2): one stream per listening
 * browser (one per origin where the page can share it between tabs), an event to all of them at
 * once, a comment every 15 s so that neither the server nor anything in between takes an idle
 * stream for dead (and a page that left is noticed by the failed write), and the end of every
 * stream on a graceful stop. Each stream holds a few hundred bytes.
 *
 * Every event carries the state: this server's start (random) and a count of the batches sent,
 * `hello` on connecting and then with each event. A page compares it with the one it last saw,
 * so a page that reconnects after a restart, or after a time without a stream, reloads only
 * when something changed.
 */
import { randomBytes } from "node:crypto";
import { PassThrough } from "node:stream";

const HEARTBEAT_MS = 15_000;

export class LiveEvents {
  private readonly streams = new Set<PassThrough>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly start = randomBytes(4).toString("hex");
  private batches = 0;

  /** What a page compares: this server's start and the batches sent since. */
  get state(): string {
    return `${this.start}.${this.batches}`;
  }

  /** Open pages. */
  get size(): number {
    return this.streams.size;
  }

  /** A new stream for one page, dropped when `signal` aborts (the page went away). */
  open(signal: AbortSignal): PassThrough {
    // retry: how soon EventSource reconnects after a lost connection (a restart)
    const stream = new PassThrough();
    stream.write(`retry: 500\n: tcpkit live reload\nevent: hello\ndata: ${this.state}\n\n`);
    if (this.closed) {
      stream.end();
      return stream;
    }
    this.streams.add(stream);
    const drop = (): void => {
      this.streams.delete(stream);
      stream.destroy();
    };
    signal.addEventListener("abort", drop, { once: true });
    stream.once("close", () => this.streams.delete(stream));
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.send(": beat\n\n"), HEARTBEAT_MS);
      this.timer.unref();
    }
    return stream;
  }

  /** Sends `event` (one word) to every page, with the state it brings the page to. */
  broadcast(event: string): void {
    this.batches++;
    this.send(`event: ${event}\ndata: ${this.state}\n\n`);
  }

  /** Ends every stream (a graceful stop); new ones end at once. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  private send(text: string): void {
    // A page that reads nothing keeps at most one event queued: events say "something changed".
    for (const stream of this.streams) if (stream.writableLength < 4096) stream.write(text);
  }
}
