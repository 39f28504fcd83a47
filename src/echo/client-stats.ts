/**
 * Per-client statistics of the echo server: the open connections with when each began, so that
 * a report (SIGUSR1, --stats-interval) can list the busiest clients with their bytes each way
 * while they are still connected, and a closing connection can say how long it lasted. The byte
 * counts are the socket's own (bytesRead, bytesWritten): nothing is counted per chunk.
 */
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { displayAddress } from "../net/address.js";

/** One open connection, as a report lists it. */
export interface EchoClientSnapshot {
  remoteAddress: string;
  remotePort: number;
  /** Bytes received from the client so far. */
  bytesReceived: number;
  /** Bytes sent back so far. */
  bytesSent: number;
  /** How long the connection has been open, ms. */
  durationMs: number;
}

export class ClientStats {
  /** socket → performance.now() when accepted. */
  private readonly openedAt = new Map<Socket, number>();

  /** Starts tracking an accepted socket; returns its accept time. */
  add(socket: Socket): number {
    const now = performance.now();
    this.openedAt.set(socket, now);
    return now;
  }

  /** Stops tracking `socket`; returns how long it was open, ms. */
  remove(socket: Socket): number {
    const at = this.openedAt.get(socket);
    this.openedAt.delete(socket);
    return at === undefined ? 0 : performance.now() - at;
  }

  /** The `n` open connections that moved the most bytes (both ways), busiest first. */
  top(n: number): EchoClientSnapshot[] {
    const now = performance.now();
    const all: EchoClientSnapshot[] = [];
    for (const [socket, at] of this.openedAt) {
      all.push({
        remoteAddress: displayAddress(socket.remoteAddress),
        remotePort: socket.remotePort ?? 0,
        bytesReceived: socket.bytesRead,
        bytesSent: socket.bytesWritten,
        durationMs: now - at,
      });
    }
    all.sort((a, b) => b.bytesReceived + b.bytesSent - (a.bytesReceived + a.bytesSent));
    return all.slice(0, n);
  }

  /** Bytes each way on the connections still open. */
  openBytes(): { received: number; sent: number } {
    let received = 0;
    let sent = 0;
    for (const socket of this.openedAt.keys()) {
      received += socket.bytesRead;
      sent += socket.bytesWritten;
    }
    return { received, sent };
  }
}
