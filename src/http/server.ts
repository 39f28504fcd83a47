/** PLACEHOLDER until issue 3 lands: createHttpServer(options, handler). */
import type { Handler } from "./types.js";
import type { BoundAddress } from "../net/listen.js";
import { TcpkitError } from "../util/tcpkit-error.js";

export interface HttpServerOptions {
  host?: string;
  port?: number;
}

export interface HttpServer {
  /** Binds and starts accepting; resolves with the real address. */
  listen(): Promise<BoundAddress>;
  /** Stops accepting, lets in-flight responses finish within a bound, closes idle connections. */
  close(): Promise<void>;
}

export function createHttpServer(_options: HttpServerOptions, _handler: Handler): HttpServer {
  throw new TcpkitError("ERR_INVALID_ARGUMENT", "not built yet");
}
