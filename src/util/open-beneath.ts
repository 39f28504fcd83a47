/**
 * Opening a file that must lie beneath a root, safe against symlink races (issue 18 #2): the
 * discipline every wing that reads or writes a user-named path under a served folder uses
 * (static files, uploads, archives).
 *
 * Checking a path and then opening it is a race: between the two, anyone who can rename inside
 * the root can swap a folder for a symlink to elsewhere. So the check is made on what was opened,
 * not on a path: open first, then ask the kernel where the opened descriptor lives
 * (readlink of /proc/self/fd/N names the file's own location, whatever symlinks the open went
 * through) and refuse it unless that is beneath the root. Where /proc is missing (not Linux),
 * the same question is answered by resolving the path again afterwards and requiring the
 * descriptor's fstat (device and inode) to equal the stat of that resolved path beneath the root.
 *
 * Why not walk the path one component at a time with O_NOFOLLOW (openat2's RESOLVE_BENEATH)?
 * Node has neither openat nor openat2; emulating them through /proc/self/fd/DIR/NAME costs an
 * open per path component, where this costs one open, one readlink and one fstat, the last two
 * answered from the kernel's memory (about 2 µs together), whatever the depth.
 *
 * The open itself can never block on a FIFO or a device: O_NONBLOCK (ignored for regular files)
 * and O_NOCTTY; O_NOFOLLOW refuses a last component that became a symlink since it was resolved;
 * and anything but a regular file is closed and refused.
 */
import {
  close,
  constants,
  fstatSync,
  open,
  readlinkSync,
  realpath,
  stat,
  type Stats,
} from "node:fs";
import { sep } from "node:path";

/** A descriptor whose file was beneath the root when it was opened. The caller closes `fd`. */
export interface OpenedBeneath {
  readonly fd: number;
  readonly stat: Stats;
  /** Where the file is, as the kernel names it (symlinks resolved). */
  readonly realPath: string;
}

export interface OpenBeneathOptions {
  /** Accept a file outside the root too (serve --follow-symlinks); still only regular files. */
  readonly allowOutside?: boolean;
  /**
   * open(2) flags instead of OPEN_BENEATH_FLAGS, e.g. for an upload
   * `O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK`; keep O_NOFOLLOW and O_NONBLOCK.
   */
  readonly flags?: number;
  /** Mode of a file created (with O_CREAT); default 0o644. */
  readonly mode?: number;
  /**
   * What may be opened: "file" (default, regular files only) or "directory" (a folder, e.g. to
   * list it through `/proc/self/fd/N` as archives must, so the listing is of the checked folder).
   */
  readonly kind?: "file" | "directory";
}

/** The flags of every open: read-only, never waiting on a FIFO or device, no final symlink. */
export const OPEN_BENEATH_FLAGS =
  constants.O_RDONLY |
  (constants.O_NONBLOCK ?? 0) |
  (constants.O_NOCTTY ?? 0) |
  (constants.O_NOFOLLOW ?? 0);

type Done = (err: NodeJS.ErrnoException | null, opened?: OpenedBeneath) => void;

/**
 * Opens `path` (absolute, normally already resolved with realpath), for reading unless
 * `options.flags` say otherwise, and calls `done` with the descriptor only if it is a regular file
 * (or folder, with kind "directory") beneath `realRoot` (a real path, symlinks resolved). Refusals are ENOENT errors (a client learns only "not found"); open errors pass
 * through (EACCES stays EACCES).
 */
export function openBeneath(
  realRoot: string,
  path: string,
  options: OpenBeneathOptions,
  done: Done,
): void {
  const flags = options.flags ?? OPEN_BENEATH_FLAGS;
  open(path, flags, options.mode ?? 0o644, (err, fd) => {
    if (err !== null) return done(err);
    let s: Stats;
    let where: string | undefined;
    try {
      s = fstatSync(fd);
      const kindOk = options.kind === "directory" ? s.isDirectory() : s.isFile();
      if (!kindOk) return refuse(fd, `not a ${options.kind ?? "file"}`, done);
      where = kernelPath(fd, s);
    } catch (error) {
      close(fd, ignore);
      return done(error as NodeJS.ErrnoException);
    }
    if (where !== undefined) {
      if (options.allowOutside === true || isBeneath(realRoot, where)) {
        return done(null, { fd, stat: s, realPath: where });
      }
      return refuse(fd, "outside the root", done);
    }
    // No /proc: resolve again, and require the descriptor to be the file that path names now.
    realpath(path, (rerr, resolved) => {
      if (rerr !== null) return refuse(fd, "changed while opened", done);
      stat(resolved, (serr, now) => {
        const same = serr === null && now.ino === s.ino && now.dev === s.dev;
        if (!same) return refuse(fd, "changed while opened", done);
        if (options.allowOutside !== true && !isBeneath(realRoot, resolved)) {
          return refuse(fd, "outside the root", done);
        }
        done(null, { fd, stat: s, realPath: resolved });
      });
    });
  });
}

/** openBeneath as a promise. */
export function openBeneathAsync(
  realRoot: string,
  path: string,
  options: OpenBeneathOptions = {},
): Promise<OpenedBeneath> {
  return new Promise((resolve, reject) =>
    openBeneath(realRoot, path, options, (err, opened) =>
      err !== null ? reject(err) : resolve(opened as OpenedBeneath),
    ),
  );
}

/** `path` is `realRoot` or lies beneath it (both absolute, normalised). */
export function isBeneath(realRoot: string, path: string): boolean {
  if (path === realRoot) return true;
  const prefix = realRoot.endsWith(sep) ? realRoot : realRoot + sep;
  return path.startsWith(prefix);
}

/** False once /proc/self/fd has failed us: the fallback is used from then on. */
let procWorks = process.platform === "linux";

/**
 * The file's location as the kernel names it, or undefined without /proc. A file unlinked since
 * it was opened reads as "PATH (deleted)": its old place proves nothing, so it is refused.
 */
function kernelPath(fd: number, s: Stats): string | undefined {
  if (!procWorks) return undefined;
  let link: string;
  try {
    link = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    procWorks = false;
    return undefined;
  }
  if (!link.startsWith("/")) {
    procWorks = false;
    return undefined;
  }
  if (s.nlink === 0) throw notFound("deleted while opened");
  return link;
}

function refuse(fd: number, why: string, done: Done): void {
  close(fd, ignore);
  done(notFound(why));
}

function notFound(why: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`refused: ${why}`), { code: "ENOENT" });
}

function ignore(): void {}
