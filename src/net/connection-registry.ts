/**
 * Tracks a server's connected sockets and whether each is idle (between requests) or active,
 * so that a graceful stop can close idle ones at once and give active ones a bounded time to
 * finish (Go's ConnState idea, reduced to what tcpkit needs).
 */
import type { Socket } from "node:net";

/** The open connections of one server, each idle or active, for a graceful drain. */
export class ConnectionRegistry {
  /** socket → true while idle. */
  private readonly sockets = new Map<Socket, boolean>();
  private closing = false;
  private onEmpty: (() => void) | undefined;

  get size(): number {
    return this.sockets.size;
  }

  /** True once drain() has been called: new connections should be refused. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Registers a socket (active) and forgets it when it closes. */
  add(socket: Socket): void {
    this.sockets.set(socket, false);
    socket.once("close", () => this.remove(socket));
  }

  /** Marks a socket idle; during a drain an idle socket is closed at once. */
  markIdle(socket: Socket): void {
    if (!this.sockets.has(socket)) return;
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.sockets.set(socket, true);
  }

  markActive(socket: Socket): void {
    if (this.sockets.has(socket)) this.sockets.set(socket, false);
  }

  /**
   * Calls `fn` for every registered socket: for protocols with their own way of winding a
   * connection down before drain() (the echo server half-closes each one).
   */
  forEachSocket(fn: (socket: Socket) => void): void {
    for (const socket of [...this.sockets.keys()]) fn(socket);
  }

  /**
   * Closes idle sockets now, waits for active ones to finish, and destroys whatever is left
   * after `timeoutMs`. Resolves when no socket remains.
   */
  drain(timeoutMs: number): Promise<void> {
    this.closing = true;
    for (const [socket, idle] of this.sockets) if (idle) socket.destroy();
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const socket of this.sockets.keys()) socket.destroy();
      }, timeoutMs);
      timer.unref();
      this.onEmpty = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private remove(socket: Socket): void {
    this.sockets.delete(socket);
    if (this.sockets.size === 0 && this.onEmpty !== undefined) {
      const done = this.onEmpty;
      this.onEmpty = undefined;
      done();
    }
  }
}
