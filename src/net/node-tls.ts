/**
 * node:tls, loaded on first use. A server without TLS never needs it, and loading it (with
 * OpenSSL's setup) adds about 5 MiB to the resident memory of every process that imports the
 * HTTP server (docs/BENCHMARKS.md, idle connections on Node 24).
 */
import type * as Tls from "node:tls";
import { lazyBuiltin } from "../util/lazy-builtin.js";

export const nodeTls = lazyBuiltin<typeof Tls>("node:tls");
