/**
 * node:tls, loaded on first use. A server without TLS never needs it, and loading it (with
 * OpenSSL's setup) adds about 5 MiB to the resident memory of every process that imports the
 * HTTP server (docs/BENCHMARKS.md, idle connections on Node 24).
 */
import { createRequire } from "node:module";
import type * as Tls from "node:tls";

let tls: typeof Tls | undefined;

export function nodeTls(): typeof Tls {
  return (tls ??= createRequire(import.meta.url)("node:tls") as typeof Tls);
}
