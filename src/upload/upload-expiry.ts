/**
 * Removing expired uploads (`--upload-expire`, docs/uploads.md): a resumable upload not completed
 * within the expiry of its creation, and a completed one's record, are removed, bytes and state,
 * whether or not anyone asks for them again (draft-ietf-httpbis-resumable-upload-15 §4.1.4:
 * max-age is the resource's remaining lifetime; the draft's Security Considerations ask servers
 * to restrict how long an upload resource can exist).
 *
 * At start-up one walk of the upload folder finds the uploads a previous run left (and removes
 * the expired ones, and temporary files of plain uploads cut off by a crash once they are older
 * than the expiry); from then on the uploads are known from their creation. One unref'd timer
 * checks the known ones, at most every SWEEP_MAX_MS and at least every SWEEP_MIN_MS, from
 * memory: no file-system work until one is due.
 */
import { readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { TEMP_PREFIX } from "./upload-file.js";
import { isBusy, locked, readRecord, removeUpload } from "./upload-record.js";

const SWEEP_MIN_MS = 500;
const SWEEP_MAX_MS = 10 * 60 * 1000;
/** Folders deeper than this under the upload folder are not searched at start-up. */
const MAX_SCAN_DEPTH = 32;

const RECORD = /^\.tcpkit-upload-([0-9a-f]{32})\.json$/;
const PART = /^\.tcpkit-upload-([0-9a-f]{18}|[0-9a-f]{32})\.(part|lock|stop)$/;

/** The uploads one site knows, and the timer that expires them. */
export class UploadExpiry {
  /** Upload ID → its folder and creation time (ms since the epoch). */
  readonly #known = new Map<string, { readonly folder: string; readonly created: number }>();
  #timer: NodeJS.Timeout | undefined;
  #sweeping = false;
  /** The upload folder's real path (set by start). */
  #root = "";

  constructor(private readonly expireMs: number) {}

  /** Starts the timer and the start-up walk of `uploadDir` (both in the background). */
  start(uploadDir: string): void {
    this.#root = uploadDir;
    const every = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, this.expireMs / 2));
    this.#timer = setInterval(() => void this.sweep(), every);
    this.#timer.unref();
    void this.#scan(uploadDir, 0).catch(() => {});
  }

  /** Stops the timer (a library user closing its server). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** A new upload (or one found on disk) to expire `expireMs` after `created`. */
  track(folder: string, id: string, created: number): void {
    this.#known.set(id, { folder, created });
  }

  /** Removes the known uploads that are due and not in use; forgets the ones already gone. */
  async sweep(now = Date.now()): Promise<void> {
    if (this.#sweeping) return; // the previous one is still at work
    this.#sweeping = true;
    try {
      await this.#sweepKnown(now);
    } finally {
      this.#sweeping = false;
    }
  }

  async #sweepKnown(now: number): Promise<void> {
    for (const [id, { folder, created }] of this.#known) {
      if (now <= created + this.expireMs || isBusy(id)) continue;
      this.#known.delete(id);
      await locked(this.#root, folder, id, async () => {
        const record = await readRecord(this.#root, folder, id);
        if (record === undefined || now > record.created + this.expireMs) {
          await removeUpload(folder, id);
        } else this.track(folder, id, record.created);
      }).catch(() => {}); // the folder is gone, and the upload with it
    }
  }

  async #scan(folder: string, depth: number): Promise<void> {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      // Dirent types come from the directory itself: a symlink is never followed out.
      if (entry.isDirectory()) {
        if (depth < MAX_SCAN_DEPTH) await this.#scan(join(folder, entry.name), depth + 1);
        continue;
      }
      if (!entry.isFile() || !entry.name.startsWith(TEMP_PREFIX)) continue;
      const id = RECORD.exec(entry.name)?.[1];
      if (id !== undefined) {
        const record = await readRecord(this.#root, folder, id);
        if (record !== undefined) this.track(folder, id, record.created);
        continue;
      }
      // A part without a record (a plain upload's, or one whose record is gone), or a lock
      // (upload-lock.ts) left by a process that died: removed once older than the expiry, so a
      // transfer in progress elsewhere (whose lock is touched every few seconds) is left alone.
      const part = PART.exec(entry.name)?.[1];
      if (part === undefined || this.#known.has(part)) continue;
      const path = join(folder, entry.name);
      const info = await stat(path).catch(() => undefined);
      const hasRecord =
        part.length === 32 && (await readRecord(this.#root, folder, part)) !== undefined;
      if (info !== undefined && !hasRecord && Date.now() > info.mtimeMs + this.expireMs) {
        await unlink(path).catch(() => {});
      }
    }
    if (depth === 0) await this.sweep();
  }
}
