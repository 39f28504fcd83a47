/**
 * Reading folders for listings, bounded however many are asked for at once (issue 18 #3): one
 * read per folder version is shared by every request that wants it (in flight, then cached for
 * LISTING_FRESH_MS while the folder's own stat is unchanged), at most MAX_READS folders are read
 * at a time, each with at most STATS_AT_ONCE stats in the thread pool, so a file request waits
 * behind a handful of stats, never behind thousands. Only entries the server would serve are
 * listed (DESIGN §4): a name a request path cannot carry (controls, backslash, bytes that are
 * not UTF-8) is left out, and so is a symlink leading outside the root (unless followed), to a
 * dotfile (unless served), or to anything but a file or folder.
 */
import { closeSync } from "node:fs";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { openBeneathAsync } from "../util/open-beneath.js";
import { join } from "node:path";
import { servesName, servesRealPath, type ServePolicy } from "./served-entry.js";

/** One row of a listing. */
export interface ListingEntry {
  readonly name: string;
  readonly isDirectory: boolean;
  readonly size: number;
  readonly mtimeMs: number;
}

/** A folder's rows (name order), and whether some were left out for MAX_LISTING_ENTRIES. */
export interface Listing {
  readonly entries: readonly ListingEntry[];
  readonly truncated: boolean;
}

/** Rows beyond this are left out (and the listing says so): a listing is for people. */
export const MAX_LISTING_ENTRIES = 5000;
/** Folders read at once; the others wait their turn. */
const MAX_READS = 2;
/** Stats one folder read has in the thread pool at once. */
const STATS_AT_ONCE = 8;
/** How long a read folder is reused while its own stat is unchanged (a file's size may change). */
const LISTING_FRESH_MS = 1000;
/** Folders remembered; the oldest is forgotten first. */
const CACHED_FOLDERS = 16;

/** What the reader needs of the site's settings. */
export type ListingReaderOptions = ServePolicy;

interface Cached {
  readonly version: string;
  readonly at: number;
  readonly listing: Listing;
}

/** One site's folder reader: shared reads, a small cache, a bound on work in progress. */
export class ListingReader {
  readonly #options: ListingReaderOptions;
  readonly #inFlight = new Map<string, Promise<Listing>>();
  readonly #cache = new Map<string, Cached>();
  #reading = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(options: ListingReaderOptions) {
    this.#options = options;
  }

  /** The listing of the folder at `realPath` (rejects when the folder cannot be read). */
  async read(realPath: string): Promise<Listing> {
    const s = await stat(realPath);
    const version = `${s.ino}:${s.mtimeMs}:${s.ctimeMs}`;
    const cached = this.#cache.get(realPath);
    if (cached?.version === version && Date.now() - cached.at < LISTING_FRESH_MS) {
      return cached.listing;
    }
    const key = `${realPath}\0${version}`;
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = this.#readInTurn(realPath, version).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  async #readInTurn(realPath: string, version: string): Promise<Listing> {
    if (this.#reading >= MAX_READS) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#reading++;
    try {
      const listing = await this.#readFolder(realPath);
      this.#cache.delete(realPath);
      if (this.#cache.size >= CACHED_FOLDERS) {
        this.#cache.delete(this.#cache.keys().next().value as string);
      }
      this.#cache.set(realPath, { version, at: Date.now(), listing });
      return listing;
    } finally {
      this.#reading--;
      this.#waiting.shift()?.();
    }
  }

  /**
   * Reads the folder opened beneath the root (open-beneath.ts), through its descriptor
   * (`/proc/self/fd/N`): a folder swapped for a symlink out of the root after the request's
   * check is refused, never listed (issue 18: names outside the root leaked under such swaps).
   */
  async #readFolder(realPath: string): Promise<Listing> {
    const { fd } = await openBeneathAsync(this.#options.realRoot, realPath, {
      kind: "directory",
      allowOutside: this.#options.followSymlinks,
    });
    try {
      return await this.#readOpened(`/proc/self/fd/${fd}`);
    } finally {
      closeSync(fd);
    }
  }

  async #readOpened(folder: string): Promise<Listing> {
    const raw = await readdir(folder, { encoding: "buffer" });
    const names: string[] = [];
    for (const bytes of raw) {
      const name = bytes.toString("utf8");
      // Bytes that are not UTF-8 decode to U+FFFD: the link would name another file.
      if (!Buffer.from(name, "utf8").equals(bytes)) continue;
      if (servesName(name, this.#options)) names.push(name);
    }
    const truncated = names.length > MAX_LISTING_ENTRIES;
    const picked = names.sort().slice(0, MAX_LISTING_ENTRIES);
    const rows: (ListingEntry | undefined)[] = new Array<ListingEntry | undefined>(picked.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < picked.length) {
        const i = next++;
        rows[i] = await this.#entry(folder, picked[i] as string);
      }
    };
    await Promise.all(Array.from({ length: Math.min(STATS_AT_ONCE, picked.length) }, worker));
    return { entries: rows.filter((r): r is ListingEntry => r !== undefined), truncated };
  }

  /** The row of `name`, or undefined when a request for it would not be served. */
  async #entry(folder: string, name: string): Promise<ListingEntry | undefined> {
    const path = join(folder, name);
    try {
      let s = await lstat(path);
      if (s.isSymbolicLink()) {
        if (!servesRealPath(await realpath(path), this.#options)) return undefined;
        s = await stat(path);
      }
      if (!s.isDirectory() && !s.isFile()) return undefined;
      return { name, isDirectory: s.isDirectory(), size: s.size, mtimeMs: s.mtimeMs };
    } catch {
      // Gone, dangling or unreadable since readdir: not listed.
      return undefined;
    }
  }
}
