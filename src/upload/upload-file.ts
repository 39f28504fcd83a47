/**
 * Writing one uploaded file safely (issue 14): never outside the upload folder, never a partial
 * file under its final name, never over an existing file unless asked.
 *
 * The target folder's real path must lie inside the upload folder's; the bytes go to a new
 * temporary file beside the target, opened O_CREAT|O_EXCL|O_NOFOLLOW (a name that exists, or a
 * symlink planted under it, fails rather than being followed) through openBeneath, which checks
 * where the descriptor really is (a folder swapped for a symlink after the check is refused);
 * fsynced, then moved into place
 * with link() when the name must be new (EEXIST: someone else's file, or a concurrent upload
 * that won) or rename() when it may be replaced. Both act on names in the folder itself and never
 * follow a symlink at the final name; the folder is fsynced after (where it can be opened), so
 * the name is as durable as the bytes when the client is told 201. Any failure removes the
 * temporary file.
 */
import { randomBytes } from "node:crypto";
import { close, constants, fsync, ftruncate, writev } from "node:fs";
import { link, lstat, open, realpath, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { STATE_PREFIX } from "../static/served-entry.js";
import { isBeneath, openBeneathAsync } from "../util/open-beneath.js";

/**
 * Temporary files start with this: a name the static side never serves, lists or archives,
 * even with dotfiles (static/served-entry.ts).
 */
export const TEMP_PREFIX = STATE_PREFIX;

/** Why an upload failed, as the status a client is told. */
export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The status for a file-system error while writing: 507 (disk full, quota, size limit), 403, 409, 500. */
export function statusForWriteError(err: unknown): number {
  if (err instanceof UploadError) return err.status;
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case "ENOSPC":
    case "EDQUOT":
    case "EFBIG": // the process's file-size limit: the server's storage, not the client's fault
      return 507;
    case "EACCES":
    case "EPERM":
      return 403;
    case "EEXIST":
    case "EISDIR":
    case "ENOTDIR":
    case "ENOENT":
    case "ENOTEMPTY":
      return 409;
    default:
      return 500;
  }
}

/**
 * The real path of the folder `segments` under `realRoot`, checked to be the upload folder
 * (`realUploadDir`) or inside it. A missing folder is a 409 (parents are not created), one that
 * leaves the upload folder through a symlink a 403.
 */
export async function uploadFolder(
  realRoot: string,
  realUploadDir: string,
  segments: readonly string[],
): Promise<string> {
  let real: string;
  try {
    real = await realpath(join(realRoot, ...segments));
  } catch (err) {
    throw new UploadError(statusForWriteError(err), "the target folder does not exist");
  }
  if (!isBeneath(realUploadDir, real)) {
    throw new UploadError(403, "the target folder is outside the upload folder");
  }
  if (!(await lstat(real)).isDirectory()) throw new UploadError(409, "not a folder");
  return real;
}

/** Whether something (a file, folder, symlink) already has `name` in `folder`. */
export async function nameTaken(folder: string, name: string): Promise<boolean> {
  try {
    await lstat(join(folder, name));
    return true;
  } catch {
    return false;
  }
}

/**
 * A new file of the upload wing (a temporary file, a lock): never an existing name, never through
 * a final symlink, never blocking.
 */
export const CREATE_FLAGS =
  constants.O_WRONLY |
  constants.O_CREAT |
  constants.O_EXCL |
  (constants.O_NOFOLLOW ?? 0) |
  (constants.O_NONBLOCK ?? 0);

const APPEND_FLAGS =
  constants.O_WRONLY |
  constants.O_APPEND |
  (constants.O_NOFOLLOW ?? 0) |
  (constants.O_NONBLOCK ?? 0);

/**
 * Bytes gathered before one writev: fewer thread-pool round trips, memory still bounded. Small
 * enough that a received buffer (the socket's 64 KiB reads) is written and dropped before two of
 * the server's early young-generation collections (one per RECLAIM_EVERY_BYTES read,
 * util/runtime-tuning.ts) have passed it: one that survives two is moved to V8's old generation,
 * whose dead buffers wait for a full collection. Measured with a 1 GiB chunked upload (curl -T -)
 * on Node 24 and 22: 512 KiB grew the server's RSS by 30 to 60 MiB, 128 KiB by 8 to 12 MiB.
 */
const BATCH_BYTES = 128 * 1024;

/**
 * A temporary file being written, with one write in flight while the next batch gathers. It is
 * opened with openBeneath (util/open-beneath.ts), like every file a wing opens under the served
 * folder: the descriptor's own place is checked to be beneath the upload folder, so a folder
 * swapped for a symlink after its path was checked cannot send the bytes elsewhere.
 */
export class TempFile {
  readonly path: string;
  readonly #fd: number;
  #batch: Buffer[] = [];
  #batchBytes = 0;
  #inFlight: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Bytes given to write() (the file's size once all are written). */
  bytes = 0;
  /** Bytes the file system has taken (written, not yet fsynced): what an offset may promise. */
  written = 0;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /**
   * A new temporary file in `folder` (a real path checked to be in the upload folder
   * `realUploadDir`), named by `id` (default: random).
   */
  static async create(
    realUploadDir: string,
    folder: string,
    id = randomBytes(9).toString("hex"),
  ): Promise<TempFile> {
    const path = join(folder, `${TEMP_PREFIX}${id}.part`);
    try {
      const { fd } = await openBeneathAsync(realUploadDir, path, { flags: CREATE_FLAGS });
      return new TempFile(path, fd);
    } catch (err) {
      // Created, then refused as outside the upload folder: remove what was created. (The name
      // is random: with EEXIST it is not ours, and is left alone.)
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") await unlink(path).catch(() => {});
      throw err;
    }
  }

  /** An existing temporary file (a resumable upload's), written at its end; `bytes` is its size. */
  static async append(realUploadDir: string, path: string): Promise<TempFile> {
    const { fd, stat } = await openBeneathAsync(realUploadDir, path, { flags: APPEND_FLAGS });
    const file = new TempFile(path, fd);
    file.bytes = file.written = stat.size;
    return file;
  }

  /** Writes what was received and closes, keeping the file (an interrupted resumable upload). */
  async keep(): Promise<void> {
    try {
      await this.#flush();
      await this.#inFlight;
      await fdCall((cb) => fsync(this.#fd, cb));
    } finally {
      await this.#close().catch(() => {});
    }
  }

  /** Queues `chunk` (the caller may not reuse it); resolves when memory allows more. */
  async write(chunk: Buffer): Promise<void> {
    this.#batch.push(chunk);
    this.#batchBytes += chunk.length;
    this.bytes += chunk.length;
    if (this.#batchBytes >= BATCH_BYTES) await this.#flush();
  }

  async #flush(): Promise<void> {
    await this.#inFlight;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    // At an explicit position (the bytes written so far), so a truncate() is followed exactly.
    this.#inFlight = writeAll(this.#fd, batch, this.written, (n) => (this.written += n));
    // Surface a failure (ENOSPC) at the next flush; never leave a rejection unobserved.
    this.#inFlight.catch(() => {});
  }

  /** Cuts the file back to `size` bytes (an append refused after it was written). */
  async truncate(size: number): Promise<void> {
    await this.#flush();
    await this.#inFlight;
    await fdCall((cb) => ftruncate(this.#fd, size, cb));
    this.bytes = this.written = size;
  }

  /** Writes the rest, fsyncs and closes. */
  async finish(): Promise<void> {
    await this.#flush();
    await this.#inFlight;
    await fdCall((cb) => fsync(this.#fd, cb));
    await this.#close();
  }

  /** Closes the descriptor once. */
  #close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return fdCall((cb) => close(this.#fd, cb));
  }

  /**
   * Moves the finished file to `name` in its folder: link() when the name must be new (409 if
   * taken, even by a concurrent upload that finished first), rename() when it may be replaced
   * (409 if it is a folder). Returns whether a file was replaced.
   */
  async commit(folder: string, name: string, overwrite: boolean): Promise<boolean> {
    const target = join(folder, name);
    const entries = await openFolder(folder);
    try {
      let replaced = false;
      if (!overwrite) {
        await link(this.path, target).catch((err: unknown) => {
          throw new UploadError(statusForWriteError(err), "the name is taken");
        });
        await unlink(this.path);
      } else {
        const existing = await lstat(target).catch(() => undefined);
        if (existing?.isDirectory()) throw new UploadError(409, "a folder has that name");
        await rename(this.path, target);
        replaced = existing !== undefined;
      }
      await syncFolder(entries);
      return replaced;
    } finally {
      await entries?.close().catch(() => {});
    }
  }

  /** Closes and removes the temporary file, whatever state it is in. */
  async discard(): Promise<void> {
    await this.#inFlight.catch(() => {});
    await this.#close().catch(() => {});
    await unlink(this.path).catch(() => {});
  }
}

/**
 * The folder a file is about to be linked or renamed into, opened so that its entries can be
 * fsynced after (syncFolder). Opened before anything is committed; a folder that cannot be
 * opened (one that may be written but not read, or no descriptor left) is not synced, and the
 * upload is not refused for that: its name is then as durable as the file system makes it.
 */
function openFolder(folder: string): Promise<FileHandle | undefined> {
  return open(folder, constants.O_RDONLY | constants.O_DIRECTORY).catch(() => undefined);
}

/**
 * Makes the folder's entries durable (fsync of the folder itself): the bytes were fsynced before
 * the link or rename, but the name lives in the folder, and without this a crash soon after the
 * 201 can leave the file without its name (or the old file under it). The file is in place by
 * now, so a failure here (a file system that cannot sync a folder, EIO) does not turn a stored
 * upload into a failed one.
 */
async function syncFolder(entries: FileHandle | undefined): Promise<void> {
  await entries?.sync().catch(() => {});
}

/** Calls a callback-style fs function on a descriptor as a promise. */
function fdCall(call: (cb: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => call((err) => (err === null ? resolve() : reject(err))));
}

async function writeAll(
  fd: number,
  buffers: Buffer[],
  position: number,
  onWritten: (bytes: number) => void,
): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    const bytesWritten = await new Promise<number>((resolve, reject) =>
      writev(fd, pending, position, (err, n) => (err === null ? resolve(n) : reject(err))),
    );
    position += bytesWritten;
    onWritten(bytesWritten);
    pending = skipBytes(pending, bytesWritten);
  }
}

/** What is left of `buffers` after their first `n` bytes. */
function skipBytes(buffers: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < buffers.length && n >= (buffers[i] as Buffer).length)
    n -= (buffers[i++] as Buffer).length;
  if (i === buffers.length) return [];
  const rest = buffers.slice(i);
  rest[0] = (rest[0] as Buffer).subarray(n);
  return rest;
}
