/**
 * Bun's node:net listens with a backlog of 512 whatever `backlog` it is given (Bun 1.4.5: `ss
 * -ltn` shows Send-Q 512 for a server that asked for 4,096). A burst of 1,000 connects then
 * overflows the accept queue and each dropped SYN costs its client a 1 s retransmit: the echo
 * benchmark's E3 took ~1,040 ms on Bun against ~100 ms on Node (docs/BENCHMARKS.md, "Bun: E3 and
 * the listen backlog"). On Linux, calling listen(2) again on the listening socket only resizes
 * its queue, so after Bun has listened tcpkit asks once more, through bun:ffi and libc.
 *
 * Both means are Bun's, not Node's promises: the listener's `fd` (`server._handle.fd`) and
 * bun:ffi. Where either is missing, or libc refuses, nothing changes and the queue stays Bun's
 * 512; test/cli/echo-server.test.ts checks the kernel's figure, so it fails loudly (on Bun runs)
 * when this stops working. Node honours `backlog` itself, so this does nothing there.
 */
import type { Server } from "node:net";

/** Re-listens `server` with `backlog` on Bun on Linux; resolves true when the kernel took it. */
export async function applyBacklogOnBun(server: Server, backlog: number): Promise<boolean> {
  if (process.versions.bun === undefined || process.platform !== "linux") return false;
  const fd = (server as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) return false;
  try {
    // A variable specifier, so that neither TypeScript nor Node tries to resolve Bun's module.
    const specifier = "bun:ffi";
    const ffi = (await import(specifier)) as BunFfi;
    const libc = ffi.dlopen("libc.so.6", {
      listen: { args: [ffi.FFIType.i32, ffi.FFIType.i32], returns: ffi.FFIType.i32 },
    });
    try {
      return libc.symbols.listen(fd, backlog) === 0;
    } finally {
      libc.close();
    }
  } catch {
    return false;
  }
}

/** The part of bun:ffi used here. */
interface BunFfi {
  FFIType: { i32: number };
  dlopen(
    path: string,
    symbols: { listen: { args: number[]; returns: number } },
  ): { symbols: { listen(fd: number, backlog: number): number }; close(): void };
}
