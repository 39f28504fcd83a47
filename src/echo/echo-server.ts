/**
 * createEchoServer: RFC 862 echo over TCP (and optionally UDP on the same port), with a
 * connection limit, an idle timeout and a graceful stop. Reports through hooks and counters;
 * never prints (the CLI does).
 */
import { createServer, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { ClientStats, type EchoClientSnapshot, type EchoConnection } from "./client-stats.js";
import { PerIpLimit } from "./per-ip-limit.js";
import { finishEchoConnection, startEchoConnection } from "./tcp-echo.js";
import { startUdpEcho, type UdpEcho } from "./udp-echo.js";
import { displayAddress } from "../net/address.js";
import { ConnectionRegistry, type TrackedConnection } from "../net/connection-registry.js";
import { listen, type BoundAddress } from "../net/listen.js";
import { guardDescriptors } from "../net/descriptor-guard.js";
import { reportServerError } from "../net/server-errors.js";
import { enableReadBufferReclaim } from "../util/runtime-tuning.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** Default TCP port. RFC 862's own port, 7, needs root on most systems. */
export const DEFAULT_ECHO_PORT = 7007;

/**
 * Default idle timeout: a connection that moves no byte either way for 5 minutes is closed, so
 * clients that vanish without a FIN or reset do not hold a socket forever.
 */
export const DEFAULT_ECHO_IDLE_TIMEOUT_MS = 300_000;

/** How long a graceful stop lets connections send what they have queued. */
export const DEFAULT_ECHO_STOP_GRACE_MS = 2_000;

export interface EchoServerOptions {
  /** Address to listen on (default 127.0.0.1; "::1" for IPv6 loopback). */
  host?: string;
  /** TCP port (default 7007; 0 picks a free one). */
  port?: number;
  /** Also answer UDP datagrams on the same port (RFC 862 §"UDP Based Echo Service"). */
  udp?: boolean;
  /** At most this many concurrent connections; more are closed at once and counted. */
  maxConnections?: number;
  /** At most this many concurrent connections from one client address; more are closed and counted. */
  maxConnectionsPerIp?: number;
  /** Close a connection after this long without a byte either way (0: never). */
  idleTimeoutMs?: number;
  /** Listen backlog (default net/listen DEFAULT_BACKLOG). */
  backlog?: number;
  /**
   * Free read buffers early with a young-generation GC every MiB read; keeps peak memory tens of
   * MiB lower under streaming load, and costs less CPU than it saves (util/runtime-tuning.ts).
   * Default false: it exposes V8's gc() process-wide, a choice for the process owner (the CLI
   * turns it on), not for a library embedded in someone else's program.
   */
  reclaimReadBuffers?: boolean;
  /** Called when a connection is accepted. */
  onConnection?: (info: EchoConnectionInfo) => void;
  /** Called when a connection closes, with its byte counts. */
  onConnectionClose?: (info: EchoConnectionClosed) => void;
  /**
   * Called for each error of the listening socket after listen(), such as an accept failure
   * (EMFILE); the server keeps accepting. Default: one line on stderr.
   */
  onServerError?: (err: Error) => void;
}

/** A client, as the hooks see it. The address is shown plainly (no ::ffff: prefix). */
export interface EchoConnectionInfo {
  remoteAddress: string;
  remotePort: number;
}

export interface EchoConnectionClosed extends EchoConnectionInfo {
  /** Bytes received from the client. */
  bytesReceived: number;
  /** Bytes sent back. */
  bytesSent: number;
  /** True if the socket ended with an error (reset...) rather than a clean close. */
  hadError: boolean;
  /** How long the connection was open, ms. */
  durationMs: number;
}

/** Counters since listen(). Byte counts cover closed connections. */
export interface EchoServerStats {
  connectionsAccepted: number;
  connectionsOpen: number;
  /** Connections closed at once because --max-connections were open. */
  connectionsRefused: number;
  /** Connections closed at once because their address had --max-connections-per-ip open. */
  connectionsRefusedPerIp: number;
  connectionsTimedOut: number;
  bytesReceived: number;
  bytesSent: number;
  udpDatagramsEchoed: number;
  /** Datagrams the reflection guard left unanswered (well-known or own source port). */
  udpDatagramsRefused: number;
  /** Datagrams left unanswered as echoes of this server's own echo (a loop between servers). */
  udpDatagramsLooped: number;
  udpBytesEchoed: number;
}

export interface EchoServer {
  /** Binds (TCP, then UDP on the real TCP port) and starts echoing; resolves with the address. */
  listen(): Promise<BoundAddress>;
  /**
   * Graceful stop: stops accepting, half-closes every connection after what it has queued
   * (destroying any left after `graceMs`), closes the UDP socket, and resolves with the totals.
   */
  close(graceMs?: number): Promise<EchoServerStats>;
  /** A snapshot of the counters; byte counts include the open connections' bytes so far. */
  stats(): EchoServerStats;
  /** The `n` open connections that moved the most bytes, busiest first. */
  topClients(n: number): EchoClientSnapshot[];
}

/** Creates an RFC 862 echo server; nothing is bound until listen(). */
export function createEchoServer(options: EchoServerOptions = {}): EchoServer {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? DEFAULT_ECHO_PORT;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_ECHO_IDLE_TIMEOUT_MS;
  const registry = new ConnectionRegistry<EchoConnection>();
  const clients = new ClientStats(registry);
  const perIp =
    options.maxConnectionsPerIp === undefined
      ? undefined
      : new PerIpLimit(options.maxConnectionsPerIp);
  const counters = {
    connectionsAccepted: 0,
    connectionsRefused: 0,
    connectionsTimedOut: 0,
    bytesReceived: 0,
    bytesSent: 0,
  };
  const hooks = { onIdleTimeout: () => void counters.connectionsTimedOut++ };
  let udp: UdpEcho | undefined;
  let state: "new" | "listening" | "closing" | "closed" = "new";
  if (options.reclaimReadBuffers === true) enableReadBufferReclaim();

  // noDelay: an echo of a few bytes goes out at once instead of waiting for an ACK (Nagle).
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true });
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  server.on("drop", () => void counters.connectionsRefused++);
  guardDescriptors(server, { name: "echo server", headroom: 16 });
  const onServerError = options.onServerError ?? reportServerError("echo server");
  const { onConnection, onConnectionClose } = options;
  const wantsInfo =
    onConnection !== undefined || onConnectionClose !== undefined || perIp !== undefined;
  server.on("connection", (socket: Socket) => {
    // The peer address costs a getpeername() call: only asked for when a hook or limit uses it.
    const info: EchoConnectionInfo | undefined = wantsInfo
      ? { remoteAddress: displayAddress(socket.remoteAddress), remotePort: socket.remotePort ?? 0 }
      : undefined;
    if (perIp !== undefined && !perIp.admit((info as EchoConnectionInfo).remoteAddress)) {
      socket.destroy();
      return;
    }
    counters.connectionsAccepted++;
    const tracked: EchoConnection = {
      socket,
      shutdown: shutdownEcho,
      registryIndex: -1,
      openedAt: performance.now(),
    };
    registry.add(tracked);
    socket.once("close", (hadError: boolean) => {
      registry.delete(tracked);
      const durationMs = ClientStats.age(tracked);
      counters.bytesReceived += socket.bytesRead;
      counters.bytesSent += socket.bytesWritten;
      if (info !== undefined) perIp?.release(info.remoteAddress);
      if (onConnectionClose !== undefined && info !== undefined) {
        onConnectionClose({
          ...info,
          bytesReceived: socket.bytesRead,
          bytesSent: socket.bytesWritten,
          hadError,
          durationMs,
        });
      }
    });
    startEchoConnection(socket, hooks, idleTimeoutMs);
    if (onConnection !== undefined && info !== undefined) onConnection(info);
  });

  function stats(): EchoServerStats {
    const open = clients.openBytes();
    return {
      ...counters,
      bytesReceived: counters.bytesReceived + open.received,
      bytesSent: counters.bytesSent + open.sent,
      connectionsOpen: registry.size,
      connectionsRefusedPerIp: perIp?.refused ?? 0,
      udpDatagramsEchoed: udp?.stats.datagramsEchoed ?? 0,
      udpDatagramsRefused: udp?.stats.datagramsRefused ?? 0,
      udpDatagramsLooped: udp?.stats.datagramsLooped ?? 0,
      udpBytesEchoed: udp?.stats.bytesEchoed ?? 0,
    };
  }

  return {
    async listen() {
      if (state !== "new") {
        throw new TcpkitError("ERR_INVALID_ARGUMENT", "echo server: listen() called twice");
      }
      state = "listening";
      const bound = await listen(server, {
        host,
        port,
        ...(options.backlog === undefined ? {} : { backlog: options.backlog }),
      });
      // Listening errors reject listen(); from now on an error is an accept failure.
      server.on("error", onServerError);
      if (options.udp === true) {
        try {
          udp = await startUdpEcho(bound.host, bound.port);
        } catch (err) {
          server.close();
          throw err;
        }
      }
      return bound;
    },

    async close(graceMs = DEFAULT_ECHO_STOP_GRACE_MS) {
      if (state === "closing" || state === "closed") return stats();
      state = "closing";
      const closed = new Promise<void>((resolve) => {
        if (!server.listening) resolve();
        else server.close(() => resolve());
      });
      await registry.drain(graceMs);
      await closed;
      await udp?.close();
      state = "closed";
      return stats();
    },

    stats,
    topClients: (n) => clients.top(n),
  };
}

/** A graceful stop winds an echo connection down: what is queued is sent, then FIN. */
function shutdownEcho(this: TrackedConnection): void {
  finishEchoConnection(this.socket);
}
