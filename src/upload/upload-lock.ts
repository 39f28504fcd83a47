/**
 * The access lock of one resumable upload across processes (draft-ietf-httpbis-resumable-upload
 * -15 §4.6, Concurrency). With `--workers N` the processes share one listening socket, so a
 * client resuming on a new connection lands on another process than the request it replaces,
 * which may still be writing: an in-memory lock alone let both append at the same offset (the
 * file held both bodies, each answer a wrong offset). The lock is a file beside the upload,
 * `.tcpkit-upload-ID.lock`, created with O_EXCL (the kernel lets one process have it) and
 * removed when the request ends; a waiter polls.
 *
 * A process that dies holding it cannot remove it. The file names its holder's process ID: a
 * lock whose process is gone (a server killed mid-upload and started again) is broken at once,
 * as is one naming this very process (which holds no lock it is not waiting for: a previous run
 * with the same ID, as a container's PID 1). Process IDs may be reused by anything, so the holder
 * also touches the file every LOCK_REFRESH_MS, and one untouched for LOCK_STALE_MS is broken
 * whatever it names. (Two waiters breaking the same stale lock within microseconds of each other
 * could both proceed; that needs a crash first, and is the one case left.)
 *
 * A waiter whose request supersedes the holder's (upload-record.ts, `locked`) asks it to stop
 * with a second file, `.tcpkit-upload-ID.stop`, made again every STOP_REQUEST_MS while it waits;
 * the holder looks for it every STOP_POLL_MS and ends its transfer, and whoever takes the lock
 * next removes it.
 */
import { close, fstat, futimes, write, type Stats } from "node:fs";
import { lstat, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { openBeneathAsync } from "../util/open-beneath.js";
import { CREATE_FLAGS, TEMP_PREFIX } from "./upload-file.js";

/** How often the holder marks its lock as alive. */
const LOCK_REFRESH_MS = 5_000;
/** A lock not marked alive for this long was left by a process that died. */
export const LOCK_STALE_MS = 30_000;
/** How often a waiter tries again. */
const LOCK_POLL_MS = 20;
/** How often a superseding waiter makes its stop request again (the next holder removes it). */
const STOP_REQUEST_MS = 1_000;
/** How often the holder looks for a stop request. */
const STOP_POLL_MS = 100;

export function lockPath(folder: string, id: string): string {
  return join(folder, `${TEMP_PREFIX}${id}.lock`);
}

function stopPath(folder: string, id: string): string {
  return join(folder, `${TEMP_PREFIX}${id}.stop`);
}

/** What a lock's taker asks of others (requestStop) and does when asked (onStopRequest). */
export interface LockOptions {
  /** Ask the process holding the lock to end its transfer (a request that supersedes it). */
  readonly requestStop: boolean;
  /** Called, while the lock is held, each time a waiter in another process asks for it. */
  readonly onStopRequest: () => void;
}

/**
 * Takes the lock file of upload `id` in `folder` (beneath `realUploadDir`), waiting while another
 * process holds it; resolves with its release. Throws when the folder cannot take the file.
 */
export async function acquireUploadLock(
  realUploadDir: string,
  folder: string,
  id: string,
  options: LockOptions,
): Promise<() => Promise<void>> {
  const path = lockPath(folder, id);
  const stop = stopPath(folder, id);
  let asked = 0;
  for (;;) {
    try {
      const { fd } = await openBeneathAsync(realUploadDir, path, { flags: CREATE_FLAGS });
      await new Promise<void>((resolve) => write(fd, String(process.pid), () => resolve()));
      // A request to stop meant for the previous holder, or from a waiter that will ask again.
      await unlink(stop).catch(() => {});
      return held(path, fd, stop, options.onStopRequest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") {
        // Created, then refused as outside the upload folder: remove what was created.
        if (code === "ENOENT") await unlink(path).catch(() => {});
        throw err;
      }
    }
    if (await stale(path)) {
      await unlink(path).catch(() => {});
      continue;
    }
    if (options.requestStop && Date.now() - asked >= STOP_REQUEST_MS) {
      asked = Date.now();
      await requestStop(realUploadDir, stop);
    }
    await sleep(LOCK_POLL_MS);
  }
}

/** Whether the lock at `path` was left by a process that no longer holds it (see above). */
async function stale(path: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  if (info === undefined) return false; // released meanwhile: try again
  if (Date.now() - info.mtimeMs > LOCK_STALE_MS) return true;
  const text = await readFile(path, "latin1").catch(() => "");
  // Its ID not written yet (or not at all: a full disk): only its age tells, as above.
  if (!/^\d{1,10}$/.test(text)) return false;
  const pid = Number(text);
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Makes the stop request file `stop` (it may be there already; a failure only delays us). */
async function requestStop(realUploadDir: string, stop: string): Promise<void> {
  try {
    const { fd } = await openBeneathAsync(realUploadDir, stop, { flags: CREATE_FLAGS });
    await new Promise<void>((resolve) => close(fd, () => resolve()));
  } catch {
    // EEXIST: asked already. Anything else: the lock's holder times out as before.
  }
}

/**
 * The release of a lock held through descriptor `fd`, which is kept fresh meanwhile; while it is
 * held, `onStopRequest` is called each time the stop request file `stop` is found.
 */
function held(
  path: string,
  fd: number,
  stop: string,
  onStopRequest: () => void,
): () => Promise<void> {
  const refresh = setInterval(() => {
    const now = new Date();
    futimes(fd, now, now, () => {});
  }, LOCK_REFRESH_MS);
  refresh.unref();
  const poll = setInterval(() => {
    lstat(stop).then(onStopRequest, () => {});
  }, STOP_POLL_MS);
  poll.unref();
  return async () => {
    clearInterval(refresh);
    clearInterval(poll);
    // Only our own file: one broken as stale (a stall past LOCK_STALE_MS) may be another's now.
    const [mine, there] = await Promise.all([
      new Promise<Stats | undefined>((resolve) =>
        fstat(fd, (err, s) => resolve(err ? undefined : s)),
      ),
      lstat(path).catch(() => undefined),
    ]);
    if (
      mine !== undefined &&
      there !== undefined &&
      mine.ino === there.ino &&
      mine.dev === there.dev
    ) {
      await unlink(path).catch(() => {});
    }
    await new Promise<void>((resolve) => close(fd, () => resolve()));
  };
}
