/**
 * A folder archive as a byte stream: tar, tar.gz (tar through node:zlib's streaming gzip) or zip,
 * produced as the client reads it (Readable.from pulls one piece at a time), so memory stays flat
 * whatever the folder's size; zip's central directory, which can only come last, is the one part
 * that grows: about 80 bytes per member. Small pieces (headers, small files) are gathered into
 * writes of about 64 KiB, so 70,000 small files are not 210,000 tiny chunks on the wire.
 */
import { Readable } from "node:stream";
import { createGzip, crc32 } from "node:zlib";
import type { ServePolicy } from "../static/served-entry.js";
import type { WalkEntry } from "./folder-walk.js";
import { readStableFile } from "./stable-file.js";
import { tarEnd, tarHeader, tarPadding } from "./tar-format.js";
import { centralHeader, dataDescriptor, endOfArchive, localHeader } from "./zip-format.js";

/** The formats, as the `archive` query parameter names them. */
export const ARCHIVE_FORMATS = ["tar", "tgz", "zip"] as const;
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

/** tar's padding, never written to: shared by every response. */
const ZERO_BLOCK = Buffer.alloc(512);

/** Pieces are gathered until this many bytes before they are passed on. */
const GATHER_BYTES = 64 * 1024;

/**
 * The archive of `members` (walked under `policy`) as a stream. A failure (a file changed, a
 * folder unreadable) errors the stream, which makes the server end the response short (never a
 * complete-looking archive), and is reported once to `onError`. `signal` (the client left) stops
 * the walk.
 */
export function archiveStream(
  format: ArchiveFormat,
  members: AsyncGenerator<WalkEntry>,
  policy: ServePolicy,
  signal: AbortSignal,
  onError: (err: unknown) => void,
): Readable {
  const pieces =
    format === "zip" ? zipPieces(members, policy, signal) : tarPieces(members, policy, signal);
  const raw = Readable.from(gather(pieces), { objectMode: false, highWaterMark: GATHER_BYTES });
  raw.once("error", onError);
  if (format !== "tgz") return raw;
  const gzip = createGzip();
  // An error of the tar stream must fail the gzip stream too, without its trailer.
  raw.once("error", (err) => gzip.destroy(err));
  gzip.once("close", () => raw.destroy());
  return raw.pipe(gzip);
}

async function* tarPieces(
  members: AsyncGenerator<WalkEntry>,
  policy: ServePolicy,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  for await (const m of members) {
    if (signal.aborted) return;
    const size = m.kind === "file" ? m.stats.size : 0;
    yield tarHeader({
      name: m.name,
      kind: m.kind,
      size,
      mode: m.stats.mode & 0o777,
      mtimeMs: m.stats.mtimeMs,
    });
    if (m.kind === "folder") continue;
    yield* readStableFile(m.realPath, m.stats, m.name, policy);
    const pad = tarPadding(size);
    if (pad > 0) yield ZERO_BLOCK.subarray(0, pad);
  }
  yield tarEnd();
}

async function* zipPieces(
  members: AsyncGenerator<WalkEntry>,
  policy: ServePolicy,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const directory = new Spool();
  let offset = 0;
  let count = 0;
  for await (const m of members) {
    if (signal.aborted) return;
    const size = m.kind === "file" ? m.stats.size : 0;
    const entry = {
      name: m.name,
      kind: m.kind,
      size,
      mode: m.stats.mode & 0o777,
      mtimeMs: m.stats.mtimeMs,
    };
    const start = offset;
    const head = localHeader(entry);
    offset += head.length;
    yield head;
    let crc = 0;
    if (m.kind === "file") {
      for await (const chunk of readStableFile(m.realPath, m.stats, m.name, policy)) {
        crc = crc32(chunk, crc);
        offset += chunk.length;
        yield chunk;
      }
      const descriptor = dataDescriptor(size, crc);
      offset += descriptor.length;
      yield descriptor;
    }
    directory.append(centralHeader({ ...entry, crc32: crc, offset: start }));
    count++;
  }
  yield* directory.blocks();
  yield endOfArchive(count, offset, directory.size);
}

/**
 * Bytes kept in blocks of 1 MiB: the central directory's records, ~80 bytes each, without an
 * object per record (70,000 members: about 6 MiB, not three times that in buffer overhead).
 */
class Spool {
  static readonly BLOCK = 1024 * 1024;
  #full: Buffer[] = [];
  #block = Buffer.allocUnsafe(Spool.BLOCK);
  #used = 0;
  size = 0;

  append(bytes: Buffer): void {
    if (this.#used + bytes.length > Spool.BLOCK) {
      this.#full.push(this.#block.subarray(0, this.#used));
      this.#block = Buffer.allocUnsafe(Math.max(Spool.BLOCK, bytes.length));
      this.#used = 0;
    }
    bytes.copy(this.#block, this.#used);
    this.#used += bytes.length;
    this.size += bytes.length;
  }

  *blocks(): Generator<Buffer> {
    yield* this.#full;
    if (this.#used > 0) yield this.#block.subarray(0, this.#used);
  }
}

/** Small pieces joined into writes of about GATHER_BYTES; a large piece passes as it is. */
async function* gather(pieces: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  for await (const piece of pieces) {
    if (piece.length >= GATHER_BYTES && heldBytes === 0) {
      yield piece;
      continue;
    }
    held.push(piece);
    heldBytes += piece.length;
    if (heldBytes >= GATHER_BYTES) {
      yield held.length === 1 ? (held[0] as Buffer) : Buffer.concat(held, heldBytes);
      held = [];
      heldBytes = 0;
    }
  }
  if (heldBytes > 0) yield Buffer.concat(held, heldBytes);
}
