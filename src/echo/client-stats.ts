/**
 * Per-client statistics of the echo server: the open connections with when each began, so that
 * a report (SIGUSR1, --stats-interval) can list the busiest clients with their bytes each way
 * while they are still connected, and a closing connection can say how long it lasted. The byte
 * counts are the socket's own (bytesRead, bytesWritten): nothing is counted per chunk.
 */
import { performance } from "node:perf_hooks";
import { displayAddress } from "../net/address.js";
import type { ConnectionRegistry, TrackedConnection } from "../net/connection-registry.js";

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

/** An open echo connection as the server's registry tracks it. */
export interface EchoConnection extends TrackedConnection {
  /** performance.now() when it was accepted. */
  readonly openedAt: number;
}

/**
 * Reads the server's registry of open connections (no table of its own: a Map of sockets added
 * and deleted per connection chains V8's outgrown tables and keeps closed connections alive
 * through young collections, see net/connection-registry.ts).
 */
export class ClientStats {
  constructor(private readonly open: ConnectionRegistry<EchoConnection>) {}

  /** How long `connection` has been open, ms. */
  static age(connection: EchoConnection): number {
    return performance.now() - connection.openedAt;
  }

  /** The `n` open connections that moved the most bytes (both ways), busiest first. */
  top(n: number): EchoClientSnapshot[] {
    const all: EchoClientSnapshot[] = [];
    this.open.forEach((connection) => {
      const socket = connection.socket;
      all.push({
        remoteAddress: displayAddress(socket.remoteAddress),
        remotePort: socket.remotePort ?? 0,
        bytesReceived: socket.bytesRead,
        bytesSent: socket.bytesWritten,
        durationMs: ClientStats.age(connection),
      });
    });
    all.sort((a, b) => b.bytesReceived + b.bytesSent - (a.bytesReceived + a.bytesSent));
    return all.slice(0, n);
  }

  /** Bytes each way on the connections still open. */
  openBytes(): { received: number; sent: number } {
    let received = 0;
    let sent = 0;
    this.open.forEach(({ socket }) => {
      received += socket.bytesRead;
      sent += socket.bytesWritten;
    });
    return { received, sent };
  }
}
