/**
 * The open connections of one server and its graceful stop, shared by the HTTP and echo servers
 * (Go's trackConn and Shutdown, reduced to what tcpkit needs): a drain tells every connection
 * that the server is stopping, so each winds down in its protocol's way (an idle HTTP connection
 * closes at once, a busy one after its response; an echo connection half-closes after what it
 * has queued); whatever is still open at the deadline is destroyed.
 */
import type { Socket } from "node:net";

/** A connection as the registry sees it. */
export interface TrackedConnection {
  readonly socket: Socket;
  /** A graceful stop has begun: close when idle, or after the work in flight. */
  shutdown(): void;
  /** Where the registry keeps it: -1 when not registered. Only the registry writes it. */
  registryIndex: number;
}

/**
 * The open connections are an array, each connection holding its index (removal swaps the last
 * one into its place), not a Set: V8 rebuilds a Set's table as it grows and shrinks and leaves
 * each outgrown table pointing to its successor, so a table that lived long enough to reach the
 * old generation kept every later one, and the connections they held, alive through young
 * collections (a connection closed in microseconds was copied and promoted; HTTP/1.0 at 7,000
 * connections/s promoted 150-300 KB per scavenge, against 0-4 KB with the array: see
 * docs/BENCHMARKS.md, "HTTP/1.0 and the young generation").
 */
export class ConnectionRegistry<T extends TrackedConnection = TrackedConnection> {
  readonly #open: T[] = [];
  readonly #draining = new AbortController();
  #onEmpty: (() => void) | undefined;
  #drained: Promise<void> | undefined;
  #isDraining = false;

  /** Connections open now. */
  get size(): number {
    return this.#open.length;
  }

  /** Aborted once drain() has begun: no new connection, no further work on open ones. */
  get draining(): AbortSignal {
    return this.#draining.signal;
  }

  /** draining.aborted, read on every request: a plain field is cheaper than AbortSignal's getter. */
  get isDraining(): boolean {
    return this.#isDraining;
  }

  /** Registers an accepted connection; its owner calls delete() when the socket closes. */
  add(connection: T): void {
    if (connection.registryIndex >= 0) return;
    connection.registryIndex = this.#open.length;
    this.#open.push(connection);
  }

  delete(connection: T): void {
    const open = this.#open;
    const i = connection.registryIndex;
    if (i < 0 || open[i] !== connection) return;
    connection.registryIndex = -1;
    const last = open.pop() as T;
    if (last !== connection) {
      open[i] = last;
      last.registryIndex = i;
    }
    if (open.length === 0 && this.#onEmpty !== undefined) {
      const done = this.#onEmpty;
      this.#onEmpty = undefined;
      done();
    }
  }

  /** Calls `fn` for every open connection (the HTTP server's deadline sweep). */
  forEach(fn: (connection: T) => void): void {
    // From the end: `fn` may close the connection it is given (its place then takes one already
    // visited), and a connection accepted meanwhile waits for the next call.
    const open = this.#open;
    for (let i = open.length - 1; i >= 0; i--) {
      if (i < open.length) fn(open[i] as T);
    }
  }

  /**
   * Graceful stop: tells every connection (shutdown), waits for them to close, and destroys the
   * sockets still open after `timeoutMs`. Resolves when none is left.
   */
  drain(timeoutMs: number): Promise<void> {
    if (this.#drained !== undefined) return this.#drained;
    this.#isDraining = true;
    this.#draining.abort();
    for (const connection of [...this.#open]) connection.shutdown();
    if (this.#open.length === 0) return (this.#drained = Promise.resolve());
    return (this.#drained = new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const connection of [...this.#open]) connection.socket.destroy();
      }, timeoutMs);
      timer.unref();
      this.#onEmpty = () => {
        clearTimeout(timer);
        resolve();
      };
    }));
  }
}
