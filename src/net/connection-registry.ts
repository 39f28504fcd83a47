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
}

export class ConnectionRegistry<T extends TrackedConnection = TrackedConnection> {
  readonly #open = new Set<T>();
  readonly #draining = new AbortController();
  #onEmpty: (() => void) | undefined;
  #drained: Promise<void> | undefined;
  #isDraining = false;

  /** Connections open now. */
  get size(): number {
    return this.#open.size;
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
    this.#open.add(connection);
  }

  delete(connection: T): void {
    if (!this.#open.delete(connection)) return;
    if (this.#open.size === 0 && this.#onEmpty !== undefined) {
      const done = this.#onEmpty;
      this.#onEmpty = undefined;
      done();
    }
  }

  /** Calls `fn` for every open connection (the HTTP server's deadline sweep). */
  forEach(fn: (connection: T) => void): void {
    for (const connection of this.#open) fn(connection);
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
    if (this.#open.size === 0) return (this.#drained = Promise.resolve());
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
