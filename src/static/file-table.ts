/**
 * The file table (DESIGN §8): a cache keyed by URL path of what serving a file needs — the stat
 * result, the real path checked against the root, the ETag, a prebuilt header block and, for small
 * files, the bytes. Every lookup revalidates with one stat, so a changed file is seen by the very
 * next request; the slow path (realpath, containment, reading) runs only when that stat differs.
 * Lookups of one dispatch turn share their stats (turn-stat.ts), which is as fresh.
 */
import { close, fstat, read, type Stats } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { FileRange } from "../http/types.js";
import {
  openBeneath,
  openBeneathAsync,
  type OpenBeneathOptions,
  type OpenedBeneath,
} from "../util/open-beneath.js";
import { formatHttpDate } from "../http/http-date.js";
import { statusForFileError } from "../http/error-plan.js";
import type { CompressJob } from "./compress-queue.js";
import type { FileErrorReporter } from "./file-error-log.js";
import { mediaTypeFor } from "./media-type.js";
import { servesRealPath, type ServePolicy } from "./served-entry.js";
import { TurnStat } from "./turn-stat.js";

/** Files up to this size are kept in memory and sent from there (one write with the head). */
export const SMALL_FILE_BYTES = 64 * 1024;
/** Memory the table may hold in file bytes and compressed variants before it drops old ones. */
export const TABLE_BYTE_BUDGET = 64 * 1024 * 1024;
/** Entries kept at most; missing paths are never cached, so probes cannot grow the table. */
export const TABLE_MAX_ENTRIES = 10_000;

/** A regular file, as last seen. Replaced (never mutated) when the file changes. */
export interface FileEntry {
  /** The URL path (decoded segments joined by "/") this entry is cached under. */
  readonly cacheKey: string;
  /** The root joined with the URL's segments: the name the URL gives the file (lookupAt's candidate). */
  readonly candidate: string;
  /** Where the file was when the entry was built (symlinks resolved); reopened from here. */
  readonly realPath: string;
  /** The file's device and inode: what a reopened descriptor must be to send this entry's bytes. */
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  /** Strong entity-tag from size, mtime and inode (RFC 9110 §8.8.3). */
  readonly etag: string;
  /**
   * The Last-Modified time in ms: the mtime, or the time the entry was built when the mtime is in
   * the future (RFC 9110 §8.8.2.1). Conditional requests compare against this, never the mtime.
   */
  readonly lastModifiedMs: number;
  readonly lastModified: string;
  readonly contentType: string;
  readonly compressible: boolean;
  /**
   * The prebuilt header block of a 200 without its Content-Type: Last-Modified, ETag,
   * Accept-Ranges, Vary (for compressible types), then the site's headers (Cache-Control, CORS,
   * --header). A 206 or a compressed variant puts its own lines in front.
   */
  readonly validatorBlock: string;
  /** The site's lines within validatorBlock (this file's Cache-Control, CORS, --header). */
  readonly siteHeaders: string;
  /** "Content-Type: ...\r\n" + validatorBlock: the whole header block of a 200. */
  readonly headerBlock: string;
  /** The whole file, when small. */
  readonly bytes: Buffer | undefined;
  /** Compressed copies made by --compress, by coding; dropped with the entry. */
  readonly compressed: Map<string, CompressJob>;
  /** Identity of the stat this entry was built from; undefined: re-read at the next request. */
  readonly identity: StatIdentity | undefined;
  /** Opens the file to send it, checked beneath the root (FileRange.open). */
  readonly open: NonNullable<FileRange["open"]>;
  /** Bytes held in `compressed`, for the table's budget. */
  compressedBytes: number;
  /** The lookup result naming this entry, made once. */
  readonly found: { readonly kind: "file"; readonly entry: FileEntry };
}

/** What a URL path names. */
export type Lookup =
  | { readonly kind: "file"; readonly entry: FileEntry }
  | { readonly kind: "directory"; readonly realPath: string }
  /** Absent, hidden (dotfile by its real path), outside the root, or neither file nor folder. */
  | { readonly kind: "missing" }
  | { readonly kind: "forbidden" }
  | { readonly kind: "error" };

export interface FileTableOptions extends ServePolicy {
  /** Header lines the file named so carries (Cache-Control, CORS, --header), prebuilt. */
  readonly siteHeadersFor: (fileName: string) => string;
  /** Told of each lookup or open that answers 403 or 500. */
  readonly onError?: FileErrorReporter;
}

const MISSING: Lookup = { kind: "missing" };
const FORBIDDEN: Lookup = { kind: "forbidden" };
const ERROR: Lookup = { kind: "error" };

/** Identity of a stat: any change to content, replacement or rename-over changes it. */
export interface StatIdentity {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly mode: number;
}

function identityOf(s: Stats): StatIdentity {
  return {
    dev: s.dev,
    ino: s.ino,
    size: s.size,
    mtimeMs: s.mtimeMs,
    ctimeMs: s.ctimeMs,
    mode: s.mode,
  };
}

/** Compared field by field: cheaper per request than formatting a key string. */
function sameIdentity(a: StatIdentity | undefined, s: StatIdentity): boolean {
  return (
    a !== undefined &&
    a.ino === s.ino &&
    a.mtimeMs === s.mtimeMs &&
    a.ctimeMs === s.ctimeMs &&
    a.size === s.size &&
    a.dev === s.dev &&
    a.mode === s.mode
  );
}

/** The file table of one serveStatic instance. */
export class FileTable {
  readonly #options: FileTableOptions;
  readonly #entries = new Map<string, FileEntry>();
  /** Folders already checked (real path inside the root), by URL path, with their stat key. */
  readonly #folders = new Map<
    string,
    { readonly identity: StatIdentity; readonly found: Lookup }
  >();
  readonly #stats = new TurnStat();
  readonly #openOptions: OpenBeneathOptions;
  #bytes = 0;

  constructor(options: FileTableOptions) {
    this.#options = options;
    this.#openOptions = { allowOutside: options.followSymlinks };
  }

  /**
   * Looks up `segments` (decoded, already free of "." and "..") under the root. The fast path is
   * one synchronous stat (shared within a dispatch turn) compared with the cached entry; a stat of an
   * inode the kernel has cached costs about two microseconds, far less than a round trip through
   * the libuv thread pool (25-35 µs per fs.promises.stat on a 2-core machine). Returns
   * synchronously unless the slow path runs, so hot files cost no promise.
   */
  lookup(segments: readonly string[]): Lookup | Promise<Lookup> {
    return this.lookupAt(join(this.#options.realRoot, ...segments), segments.join("/"), segments);
  }

  /**
   * lookup() with the file-system path and the cache key already made (serveStatic memoises
   * them per request path): `candidate` is join(realRoot, ...segments), `cacheKey` the segments
   * joined by "/".
   */
  lookupAt(
    candidate: string,
    cacheKey: string,
    segments: readonly string[],
  ): Lookup | Promise<Lookup> {
    let current: Stats | undefined;
    try {
      current = this.#stats.stat(candidate);
    } catch (err) {
      return this.#errorLookup(candidate, err);
    }
    if (current === undefined) return MISSING;
    const cached = this.#entries.get(cacheKey);
    if (cached !== undefined && sameIdentity(cached.identity, current)) return cached.found;
    if (cached !== undefined) this.#forget(cacheKey, cached);
    const folder = this.#folders.get(cacheKey);
    if (folder !== undefined && sameIdentity(folder.identity, current)) return folder.found;
    return this.#slowLookup(candidate, cacheKey, segments);
  }

  async #slowLookup(
    candidate: string,
    cacheKey: string,
    segments: readonly string[],
  ): Promise<Lookup> {
    let real: string;
    let s: Stats;
    try {
      real = await realpath(candidate);
      s = await stat(real);
    } catch (err) {
      return this.#errorLookup(candidate, err);
    }
    if (!this.#allowed(real)) return MISSING;
    if (s.isDirectory()) {
      const found: Lookup = { kind: "directory", realPath: real };
      if (this.#folders.size >= TABLE_MAX_ENTRIES) this.#folders.clear();
      this.#folders.set(cacheKey, { identity: identityOf(s), found });
      return found;
    }
    if (!s.isFile()) return MISSING;
    // The entry is built from what was opened, checked beneath the root (open-beneath.ts), never
    // from the path's stat: a folder swapped for a symlink between realpath and here is caught.
    let opened: OpenedBeneath;
    try {
      opened = await openBeneathAsync(this.#options.realRoot, real, this.#openOptions);
    } catch (err) {
      return this.#errorLookup(real, err);
    }
    try {
      if (!this.#allowed(opened.realPath)) return MISSING;
      const name = segments[segments.length - 1] ?? "";
      const entry = await this.#buildEntry(cacheKey, candidate, opened, name);
      this.#remember(cacheKey, entry);
      return entry.found;
    } catch (err) {
      return this.#errorLookup(real, err);
    } finally {
      await closeFd(opened.fd);
    }
  }

  /** A real path may be served (served-entry.ts). */
  #allowed(real: string): boolean {
    return servesRealPath(real, this.#options);
  }

  /**
   * Opens an entry's file to send it, with the same check as when the entry was built: the
   * path may have been swapped since (a cached entry never sends what now lies outside), and the
   * descriptor must be the entry's file (device and inode), so the bytes are those the head
   * describes.
   *
   * The entry's realPath can have gone stale while the URL still names the same file: a folder
   * renamed while the entry was built leaves the file's former folder name in it. The kernel
   * names an opened file by where it is when asked (open-beneath.ts), and Bun's realpath answers
   * that way too, so a folder exchanged with a symlink (renameat2) mid-build left realPath going
   * through what is now the symlink: the fast path still matched the URL's stat, and every send
   * was refused as outside the root, a 404 for good on Bun (1 in 8 three-second swap loops),
   * possible on Node. So a refused or mismatched open forgets the entry and looks the URL's name
   * up again once, sending only if that leads, beneath the root, to the same file.
   */
  openEntry(entry: FileEntry, done: (err: NodeJS.ErrnoException | null, fd: number) => void): void {
    const report = (err: NodeJS.ErrnoException, path: string): void => {
      const status = statusForFileError(err);
      if (status !== 404) this.#options.onError?.(status, path, err);
      done(err, -1);
    };
    this.#openSame(entry, entry.realPath, (err, fd) => {
      if (err === null) return done(null, fd);
      if (statusForFileError(err) !== 404) return report(err, entry.realPath);
      if (this.#entries.get(entry.cacheKey) === entry) this.#forget(entry.cacheKey, entry);
      realpath(entry.candidate).then(
        (real) => {
          if (real === entry.realPath || !this.#allowed(real)) return report(err, entry.realPath);
          this.#openSame(entry, real, (again, fd2) =>
            again === null ? done(null, fd2) : report(again, real),
          );
        },
        () => report(err, entry.realPath),
      );
    });
  }

  /** Opens `path` beneath the root; the descriptor only if it is `entry`'s file, served. */
  #openSame(
    entry: FileEntry,
    path: string,
    done: (err: NodeJS.ErrnoException | null, fd: number) => void,
  ): void {
    openBeneath(this.#options.realRoot, path, this.#openOptions, (err, opened) => {
      if (err !== null) return done(err, -1);
      const o = opened as OpenedBeneath;
      if (o.stat.ino === entry.ino && o.stat.dev === entry.dev && this.#allowed(o.realPath)) {
        return done(null, o.fd);
      }
      close(o.fd, ignore);
      done(notSameFile(), -1);
    });
  }

  /** Builds an entry from an opened file; small files are read from it so bytes and stat agree. */
  async #buildEntry(
    cacheKey: string,
    candidate: string,
    opened: OpenedBeneath,
    name: string,
  ): Promise<FileEntry> {
    let bytes: Buffer | undefined;
    let final = opened.stat;
    if (final.size <= SMALL_FILE_BYTES) {
      const read = await readSmallFile(opened.fd, final);
      bytes = read.bytes;
      final = read.stat;
    }
    const real = opened.realPath;
    const type = mediaTypeFor(name);
    const etag = makeEtag(final);
    // A server MUST NOT send a Last-Modified later than its Date (RFC 9110 §8.8.2.1): a future
    // mtime (a clock-skewed copy, an unpacked archive) would make every If-Modified-Since sent
    // with it answer 304 after the file changes. Clamped once per entry, so it stays stable.
    const lastModifiedMs = Math.min(final.mtimeMs, Date.now());
    const lastModified = formatHttpDate(lastModifiedMs);
    const siteHeaders = this.#options.siteHeadersFor(name);
    const validatorBlock =
      `Last-Modified: ${lastModified}\r\nETag: ${etag}\r\nAccept-Ranges: bytes\r\n` +
      (type.compressible ? "Vary: Accept-Encoding\r\n" : "") +
      siteHeaders;
    const entry: Omit<FileEntry, "found"> & { found?: FileEntry["found"] } = {
      cacheKey,
      candidate,
      realPath: real,
      dev: final.dev,
      ino: final.ino,
      size: final.size,
      mtimeMs: final.mtimeMs,
      etag,
      lastModifiedMs,
      lastModified,
      contentType: type.contentType,
      compressible: type.compressible,
      siteHeaders,
      validatorBlock,
      headerBlock: `Content-Type: ${type.contentType}\r\n${validatorBlock}`,
      bytes: final.size <= SMALL_FILE_BYTES ? bytes : undefined,
      compressed: new Map(),
      // A small file whose bytes could not be read consistently is re-read on the next request.
      identity:
        final.size <= SMALL_FILE_BYTES && bytes === undefined ? undefined : identityOf(final),
      compressedBytes: 0,
      open: (done) => this.openEntry(entry as FileEntry, done),
    };
    entry.found = { kind: "file", entry: entry as FileEntry };
    return entry as FileEntry;
  }

  /**
   * File-system errors to what the client may learn: nothing of the OS text (DESIGN §3); a 403
   * or 500 is told to the operator (file-error-log.ts) with the path and the cause.
   */
  #errorLookup(path: string, err: unknown): Lookup {
    const status = statusForFileError(err);
    if (status === 404) return MISSING;
    this.#options.onError?.(status, path, err);
    return status === 403 ? FORBIDDEN : ERROR;
  }

  /** Accounts for a compressed copy kept in `entry` (made by --compress). */
  noteCompressed(entry: FileEntry, n: number): void {
    if (this.#entries.get(entry.cacheKey) !== entry) return;
    entry.compressedBytes += n;
    this.#bytes += n;
    this.#evict();
  }

  #remember(cacheKey: string, entry: FileEntry): void {
    this.#entries.set(cacheKey, entry);
    this.#bytes += entry.bytes?.length ?? 0;
    this.#evict();
  }

  #forget(cacheKey: string, entry: FileEntry): void {
    this.#entries.delete(cacheKey);
    this.#bytes -= (entry.bytes?.length ?? 0) + entry.compressedBytes;
  }

  /** Drops the oldest entries until within budget (insertion order: cheap, good enough). */
  #evict(): void {
    for (const [k, e] of this.#entries) {
      if (this.#bytes <= TABLE_BYTE_BUDGET && this.#entries.size <= TABLE_MAX_ENTRIES) return;
      this.#forget(k, e);
    }
  }
}

/**
 * Reads a small file from its descriptor, with fstat before and after, so bytes and stat agree.
 * `bytes` is undefined when the file changed while being read or has grown past
 * SMALL_FILE_BYTES (it is then sent from disk, and read again by a later request); throws when
 * it cannot be read.
 */
async function readSmallFile(fd: number, before: Stats): Promise<{ bytes?: Buffer; stat: Stats }> {
  if (before.size > SMALL_FILE_BYTES) return { stat: before };
  const buf = Buffer.allocUnsafe(before.size);
  let off = 0;
  while (off < buf.length) {
    const bytesRead = await readAt(fd, buf, off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  const after = await fstatAsync(fd);
  const intact = off === buf.length && sameIdentity(identityOf(before), after);
  return intact ? { bytes: buf, stat: after } : { stat: after };
}

const readAt = (fd: number, buf: Buffer, off: number): Promise<number> =>
  new Promise((resolve, reject) =>
    read(fd, buf, off, buf.length - off, off, (err, n) => (err ? reject(err) : resolve(n))),
  );
const fstatAsync = promisify(fstat);
const closeFd = (fd: number): Promise<void> => new Promise((resolve) => close(fd, () => resolve()));
function ignore(): void {}

/** The path now leads to another file than the entry's: "not found" to a client. */
function notSameFile(): NodeJS.ErrnoException {
  return Object.assign(new Error("refused: no longer the entry's file"), { code: "ENOENT" });
}

/**
 * `"size-mtime-inode"` in base 36. Strong: a file rewritten with the same size within the same
 * microsecond keeps its tag, which is the usual limit of stat-based validators.
 */
export function makeEtag(s: Stats): string {
  const micros = Math.floor(s.mtimeMs * 1000);
  return `"${s.size.toString(36)}-${micros.toString(36)}-${s.ino.toString(36)}"`;
}
