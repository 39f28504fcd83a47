/**
 * The files a download writes: free numbered names, NAME.part, the final move that never
 * replaces a file it was not asked to, and the Last-Modified stamp that resume relies on.
 * These metadata calls are synchronous, like the writes (file-sink.ts): each takes microseconds
 * on a local disk, where a thread-pool round trip per call made 100 small downloads 3x slower.
 */
import {
  closeSync,
  linkSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
} from "node:fs";
import { basename, isAbsolute, relative } from "node:path";
import { parseHttpDate } from "../http/http-date.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import type { HttpResponse } from "./http-get.js";
import { numberedName } from "./output-name.js";

/** Suffix of a download in progress or cut short. */
export const PARTIAL_SUFFIX = ".part";
/** Numbered names tried (NAME.1 ... NAME.999) before giving up. */
const MAX_NUMBERED_NAMES = 1000;

/**
 * Sets the file's mtime to the response's Last-Modified, so that a later resume can send it in
 * If-Range. Without Last-Modified the mtime stays "now", which no server will match: a resume
 * then restarts cleanly rather than splicing two versions.
 */
export function stampLastModified(path: string, response: HttpResponse): void {
  const lastModified = parseHttpDate(response.header("last-modified") ?? "");
  if (lastModified === undefined) return;
  const seconds = lastModified / 1000;
  try {
    utimesSync(path, seconds, seconds);
  } catch {
    // A file we cannot stamp resumes by restarting, which is safe.
  }
}

/**
 * The first of NAME, NAME.1, NAME.2 ... for which neither it nor its .part file exists, with the
 * .part file created (O_EXCL) as the claim on that name: another transfer of the run
 * (`--parallel` with two URLs ending in the same name) or another process choosing at the same
 * moment takes the next name, instead of writing into the same .part (one file, two resources).
 * The caller removes the claim if it is still empty at the end (removeIfEmpty).
 */
export function claimFreeName(target: string): string {
  for (let n = 0; n < MAX_NUMBERED_NAMES; n++) {
    const candidate = numberedName(target, n);
    if (statFile(candidate) !== undefined) continue;
    try {
      closeSync(openSync(candidate + PARTIAL_SUFFIX, "wx"));
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw fileError(err, `cannot create ${candidate}${PARTIAL_SUFFIX}`);
    }
  }
  throw new TcpkitError(
    "ERR_FILE",
    `${target} and ${MAX_NUMBERED_NAMES - 1} numbered names exist; use -o or --force`,
  );
}

/** Removes `path` if it is an empty file (a claim no byte was written to). */
export function removeIfEmpty(path: string): void {
  if (statFile(path)?.size !== 0) return;
  try {
    unlinkSync(path);
  } catch {
    // Gone already, or not ours to remove: nothing to clean.
  }
}

/**
 * Moves the finished `.part` file to its name. Without `overwrite`, uses link() so that a file
 * created meanwhile under that name is never replaced (the next free numbered name is taken).
 */
export function renameInto(
  from: string,
  to: string,
  overwrite: boolean,
  onNotice?: (message: string) => void,
): string {
  if (overwrite) {
    try {
      renameSync(from, to);
    } catch (err) {
      throw fileError(err, `cannot rename ${from} to ${to}`);
    }
    return to;
  }
  for (let n = 0; n < MAX_NUMBERED_NAMES; n++) {
    const candidate = numberedName(to, n);
    try {
      linkSync(from, candidate);
      unlinkSync(from);
      if (n > 0) onNotice?.(`${basename(to)} appeared meanwhile; saved to ${basename(candidate)}`);
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw fileError(err, `cannot move ${from} to ${candidate}`);
    }
  }
  throw new TcpkitError("ERR_FILE", `no free name for ${to}`);
}

/** Size and mtime of a file, or undefined if it does not exist (or cannot be read). */
export function statFile(
  path: string,
): { path: string; size: number; mtimeMs: number } | undefined {
  try {
    const s = statSync(path);
    return { path, size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

/** True for an existing path that is not a regular file (/dev/null, a FIFO, a directory). */
export function isSpecialFile(path: string): boolean {
  try {
    return !statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Belt and braces: an automatic name must stay inside the directory (path.relative check). */
export function assertInside(directory: string, path: string): void {
  const rel = relative(directory, path);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel) || rel.includes("/")) {
    throw new TcpkitError("ERR_FILE", `refusing to write outside ${directory}: ${path}`);
  }
}

function fileError(err: unknown, what: string): TcpkitError {
  const text = err instanceof Error ? err.message : String(err);
  return new TcpkitError("ERR_FILE", `${what}: ${text}`, { cause: err });
}
