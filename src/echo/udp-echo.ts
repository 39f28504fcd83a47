/**
 * RFC 862 over UDP: each datagram is sent back to its source, unless the source could be another
 * service that would answer back (reflection-guard.ts: by source port) or the datagram is an
 * echo of the echo this server just sent there (echo-loop-guard.ts: two echo servers bouncing
 * one forged datagram).
 */
import { createSocket, type RemoteInfo } from "node:dgram";
import { isIPv6 } from "node:net";
import { performance } from "node:perf_hooks";
import { EchoLoopGuard } from "./echo-loop-guard.js";
import { isReflectionRisk } from "./reflection-guard.js";
import { formatHostPort } from "../net/address.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** Counters of the UDP side. */
export interface UdpEchoStats {
  /** Datagrams answered. */
  datagramsEchoed: number;
  /** Datagrams dropped by the reflection guard (well-known or own source port). */
  datagramsRefused: number;
  /** Datagrams dropped as echoes of this server's own echo (a loop with another echo server). */
  datagramsLooped: number;
  /** Payload bytes answered. */
  bytesEchoed: number;
}

/** A bound UDP echo socket. */
export interface UdpEcho {
  readonly stats: Readonly<UdpEchoStats>;
  close(): Promise<void>;
}

/**
 * Binds a UDP echo socket on host:port and answers datagrams until closed. Bind failures reject
 * with a one-line TcpkitError, like the TCP side.
 */
export function startUdpEcho(host: string, port: number): Promise<UdpEcho> {
  const socket = createSocket({ type: isIPv6(host) ? "udp6" : "udp4" });
  const stats: UdpEchoStats = {
    datagramsEchoed: 0,
    datagramsRefused: 0,
    datagramsLooped: 0,
    bytesEchoed: 0,
  };
  const loopGuard = new EchoLoopGuard();
  return new Promise((resolve, reject) => {
    const where = formatHostPort(host, port);
    function onBindError(err: NodeJS.ErrnoException): void {
      socket.close();
      const reason = err.code === "EADDRINUSE" ? "address already in use" : err.message;
      reject(
        new TcpkitError(
          err.code === "EADDRINUSE" ? "ERR_ADDRESS_IN_USE" : "ERR_LISTEN",
          `cannot listen on udp ${where}: ${reason}`,
          { cause: err },
        ),
      );
    }
    socket.once("error", onBindError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off("error", onBindError);
      // Send errors (ICMP port unreachable reported as ECONNREFUSED...) concern one datagram.
      socket.on("error", () => {});
      socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
        if (isReflectionRisk(rinfo.port, port)) {
          stats.datagramsRefused++;
          return;
        }
        if (loopGuard.isLoop(rinfo.address, rinfo.port, msg, performance.now())) {
          stats.datagramsLooped++;
          return;
        }
        stats.datagramsEchoed++;
        stats.bytesEchoed += msg.length;
        socket.send(msg, rinfo.port, rinfo.address);
      });
      resolve({
        stats,
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}
