/**
 * Binding a listening socket: resolves with the real bound address (port 0 picks a free port)
 * and turns bind failures into one clear TcpkitError.
 */
import type { Server } from "node:net";
import { TcpkitError } from "../util/tcpkit-error.js";
import { formatHostPort } from "./address.js";
import { applyBacklogOnBun } from "./bun-backlog.js";

/**
 * Listen backlog. Node's default (511) is clamped by the kernel's somaxconn (4096 on current
 * Linux); a burst of 1,000 connects would overflow 511 and cost SYN retransmits of 1 s each.
 */
export const DEFAULT_BACKLOG = 4096;

/** Where to listen: host (name or IP literal), port (0: any free one), backlog. */
export interface ListenOptions {
  host: string;
  port: number;
  backlog?: number;
}

/** The address actually bound (the real port when 0 was asked). */
export interface BoundAddress {
  host: string;
  port: number;
  family: "IPv4" | "IPv6";
}

/** Starts `server` listening; rejects with ERR_ADDRESS_IN_USE and friends, never throws late. */
export function listen(server: Server, options: ListenOptions): Promise<BoundAddress> {
  return new Promise((resolve, reject) => {
    const where = formatHostPort(options.host, options.port);
    function onError(err: NodeJS.ErrnoException): void {
      server.off("listening", onListening);
      reject(toListenError(err, where));
    }
    function onListening(): void {
      server.off("error", onError);
      const addr = server.address();
      if (addr === null || typeof addr === "string") {
        reject(new TcpkitError("ERR_LISTEN", `cannot listen on ${where}: no address`));
        return;
      }
      const bound: BoundAddress = {
        host: addr.address,
        port: addr.port,
        family: addr.family === "IPv6" ? "IPv6" : "IPv4",
      };
      // Bun listens with 512 whatever it is asked: ask again (bun-backlog.ts)
      void applyBacklogOnBun(server, options.backlog ?? DEFAULT_BACKLOG).then(() => resolve(bound));
    }
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({
      host: options.host,
      port: options.port,
      backlog: options.backlog ?? DEFAULT_BACKLOG,
      // false: in a node:cluster worker (--workers) the primary owns the socket and shares it;
      // outside a cluster the flag has no effect
      exclusive: false,
    });
  });
}

/** A bind error as one line: the address and what is wrong with it, no stack. */
export function toListenError(err: NodeJS.ErrnoException, where: string): TcpkitError {
  switch (err.code) {
    case "EADDRINUSE":
      return new TcpkitError(
        "ERR_ADDRESS_IN_USE",
        `cannot listen on ${where}: address already in use`,
        {
          cause: err,
        },
      );
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new TcpkitError(
        "ERR_ADDRESS_NOT_AVAILABLE",
        `cannot listen on ${where}: address not available on this machine`,
        { cause: err },
      );
    case "EACCES":
      return new TcpkitError("ERR_LISTEN", `cannot listen on ${where}: permission denied`, {
        cause: err,
      });
    default:
      return new TcpkitError("ERR_LISTEN", `cannot listen on ${where}: ${err.message}`, {
        cause: err,
      });
  }
}
