/**
 * Raw TCP for black-box tests: bytes go out exactly as given (no client normalises `..` or
 * header case), and everything the server sends is collected until it closes or goes quiet.
 */
import { connect, type Socket } from "node:net";

export interface RawExchange {
  /** Every byte received. */
  data: Buffer;
  /** True if the server closed (FIN or reset) before the quiet timeout. */
  closed: boolean;
}

/** Opens a connection and resolves once connected. */
export function openSocket(port: number, host = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host });
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/**
 * Sends `chunks` (each written separately, `gapMs` apart) and collects the reply until the
 * server closes or nothing arrives for `quietMs`.
 */
export async function exchange(
  port: number,
  chunks: (string | Buffer)[],
  options: { host?: string; gapMs?: number; quietMs?: number; endAfterWrite?: boolean } = {},
): Promise<RawExchange> {
  const socket = await openSocket(port, options.host);
  const received: Buffer[] = [];
  let closed = false;
  let arm = (): void => {};
  const done = new Promise<void>((resolve) => {
    let quiet: NodeJS.Timeout | undefined;
    arm = (): void => {
      if (quiet !== undefined) clearTimeout(quiet);
      if (closed) return;
      quiet = setTimeout(() => {
        socket.destroy();
        resolve();
      }, options.quietMs ?? 1000);
    };
    socket.on("data", (c: Buffer) => {
      received.push(c);
      arm();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      if (quiet !== undefined) clearTimeout(quiet);
      resolve();
    });
    arm();
  });
  for (const chunk of chunks) {
    if (socket.destroyed) break;
    // "Quiet" is no progress either way: a big body is written in 64 KiB pieces, and each one
    // the socket takes re-arms the quiet time. Armed only at the connect, it gave up on a
    // 40 MiB PATCH that a server on a loaded machine was still reading; a server that stops
    // reading still meets it.
    const pieces =
      typeof chunk === "string" || chunk.length <= 64 * 1024
        ? [chunk]
        : Array.from({ length: Math.ceil(chunk.length / (64 * 1024)) }, (_, i) =>
            chunk.subarray(i * 64 * 1024, (i + 1) * 64 * 1024),
          );
    for (const piece of pieces) {
      if (!socket.write(piece)) await drainedOrClosed(socket);
      if (socket.destroyed) break;
      arm();
    }
    if (options.gapMs !== undefined && options.gapMs > 0) {
      await new Promise((r) => setTimeout(r, options.gapMs));
    }
  }
  if (options.endAfterWrite === true) socket.end();
  await done;
  return { data: Buffer.concat(received), closed };
}

/** Resolves once the socket's write buffer drained, or it closed. */
function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.on("drain", done);
    socket.on("close", done);
  });
}

/** Splits a byte string into one-byte chunks, for the "dribbled" connection mode. */
export function oneByteChunks(bytes: string | Buffer): Buffer[] {
  const b = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i++) out.push(b.subarray(i, i + 1));
  return out;
}
