/**
 * Standard input as a stream, for the commands that read it with backpressure (`echo -`,
 * `put -`). On Node it is process.stdin. On Bun, process.stdin read from a pipe sometimes never
 * ends: after the pauses a full socket asks for, the last bytes arrive but neither 'end' nor
 * 'close' does (Bun 1.4.5: `tcpkit echo --window 32K` with 1 MiB piped in hung for good in 1 to
 * 2 runs of 100, every byte echoed). A file stream on descriptor 0 read the same input 100 times
 * in 100.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";

export function stdinStream(): Readable {
  if (process.versions.bun === undefined) return process.stdin;
  // Descriptor 0 stays open for whoever else reads it (autoClose: false).
  return createReadStream("", { fd: 0, autoClose: false });
}
