/**
 * A Node built-in module loaded on first use. Some cost a resting server memory it need not
 * hold until a request asks for what they do: node:tls with OpenSSL's set-up about 5 MiB,
 * node:crypto 2.5 MiB, node:zlib 1.5 MiB (a bare `node` process, measured with and without;
 * docs/BENCHMARKS.md, idle connections on Node 24). A static import would load them with the
 * server.
 */
import type * as Crypto from "node:crypto";
import { createRequire } from "node:module";
import type * as Zlib from "node:zlib";

const load = createRequire(import.meta.url);

/** `name`'s exports, loaded the first time the returned function is called. */
export function lazyBuiltin<T>(name: `node:${string}`): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(name) as T);
}

/** node:crypto: hashing (Repr-Digest), random multipart boundaries. */
export const nodeCrypto = lazyBuiltin<typeof Crypto>("node:crypto");

/** node:zlib: compression (--compress). */
export const nodeZlib = lazyBuiltin<typeof Zlib>("node:zlib");
