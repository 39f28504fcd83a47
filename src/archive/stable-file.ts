/**
 * Reading one archive member's bytes safely and as it was when listed: opened the way every wing
 * opens a user-named file (util/open-beneath.ts: no symlink followed at the last component, no
 * wait on a FIFO, regular files only, and the opened descriptor itself found beneath the root,
 * so a folder swapped for a symlink out of ROOT mid-walk is refused), checked to be the file the
 * walk saw (device, inode, size, mtime) before and after reading, and read to exactly its size.
 * Anything else throws "changed while archived": an archive that silently mixed two versions of
 * a file, held a short one, or held a file from outside the root would be wrong.
 */
import { close, fstat, read, type Stats } from "node:fs";
import { promisify } from "node:util";
import { openBeneathAsync, type OpenedBeneath } from "../util/open-beneath.js";
import { noteBytesRead } from "../util/runtime-tuning.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { servesRealPath, type ServePolicy } from "../static/served-entry.js";

/** Read size: as the server's file bodies (FILE_CHUNK_BYTES), few syscalls, bounded memory. */
export const READ_CHUNK_BYTES = 256 * 1024;

const readAt = promisify(read);
const fstatAsync = promisify(fstat);
const closeAsync = promisify(close);

/**
 * The bytes of the file at `realPath`, which the walk saw as `seen`, in chunks of at most
 * READ_CHUNK_BYTES (each a fresh buffer the caller may keep). `name` is its archive name, for
 * the error; `policy` the site's (its root, and whether symlinks out of it are followed).
 */
export async function* readStableFile(
  realPath: string,
  seen: Stats,
  name: string,
  policy: ServePolicy,
): AsyncGenerator<Buffer> {
  // Nothing to read, nothing to mix up: an empty file as the walk saw it costs no open (70,000
  // empty files archive in a fraction of the time).
  if (seen.size === 0) return;
  const changed = (cause?: unknown): TcpkitError =>
    new TcpkitError("ERR_FILE", `file changed or vanished while archived: ${name}`, { cause });
  let opened: OpenedBeneath;
  try {
    opened = await openBeneathAsync(policy.realRoot, realPath, {
      allowOutside: policy.followSymlinks,
    });
  } catch (err) {
    throw changed(err);
  }
  const fd = opened.fd;
  try {
    if (!servesRealPath(opened.realPath, policy) || !sameVersion(opened.stat, seen)) {
      throw changed();
    }
    const size = seen.size;
    let position = 0;
    while (position < size) {
      const want = Math.min(READ_CHUNK_BYTES, size - position);
      const chunk = Buffer.allocUnsafe(want);
      const { bytesRead } = await readAt(fd, chunk, 0, want, position);
      if (bytesRead === 0) throw changed(); // shorter than it was
      position += bytesRead;
      // A fresh buffer per chunk: dead ones are freed only at a collection, which a stream of
      // big buffers and few objects would not cause for a long while (80 MiB of growth seen).
      noteBytesRead(bytesRead);
      yield bytesRead === want ? chunk : chunk.subarray(0, bytesRead);
    }
    if (!sameVersion(await fstatAsync(fd), seen)) throw changed();
  } finally {
    await closeAsync(fd);
  }
}

/** The same file, unchanged: same inode, size and modification time. */
function sameVersion(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}
