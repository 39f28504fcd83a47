/**
 * The members of a folder archive, found as the listing finds them and as serveStatic would
 * serve them: names starting with "." left out unless dotfiles are allowed, symlinks followed
 * only to where serveStatic follows them (inside the root, or anywhere with followSymlinks),
 * only regular files and folders (no FIFOs, sockets or devices), and names a URL could name
 * (no backslash, no control character). Walked depth-first in name order, one folder's names in
 * memory per level, so memory grows with depth and the widest folder, never with the total.
 */
import type { Stats } from "node:fs";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { servesName, servesRealPath, type ServePolicy } from "../static/served-entry.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** One member: its archive name ("site/a/b.txt", "site/a/"), where it is, and its stat. */
export interface WalkEntry {
  readonly name: string;
  readonly kind: "file" | "folder";
  readonly realPath: string;
  readonly stats: Stats;
}

/** What decides which names a folder archive holds (serveStatic's settings). */
export type WalkPolicy = ServePolicy;

/** One folder being walked: its names and how far the walk has come. */
interface Frame {
  readonly realPath: string;
  readonly name: string;
  readonly names: string[];
  index: number;
  readonly identity: string;
}

/**
 * The members under `realFolder` (a real path inside the root), each named under `top` ("site/"),
 * the folder itself first. A folder that cannot be read throws (an archive silently missing a
 * folder would be wrong); an entry gone between readdir and stat is left out, as the listing
 * leaves it out. A symlink back to a folder being walked (a cycle) is left out.
 */
export async function* walkFolder(
  realFolder: string,
  top: string,
  policy: WalkPolicy,
): AsyncGenerator<WalkEntry> {
  const rootStats = await stat(realFolder);
  yield { name: top, kind: "folder", realPath: realFolder, stats: rootStats };
  const stack: Frame[] = [await frame(realFolder, top, rootStats)];
  const open = new Set<string>([identityOf(rootStats)]);
  for (;;) {
    const current = stack[stack.length - 1];
    if (current === undefined) return;
    const name = current.names[current.index++];
    if (name === undefined) {
      stack.pop();
      open.delete(current.identity);
      continue;
    }
    const found = await member(join(current.realPath, name), policy);
    if (found === undefined) continue;
    const [realPath, stats] = found;
    if (stats.isFile()) {
      yield { name: current.name + name, kind: "file", realPath, stats };
      continue;
    }
    const identity = identityOf(stats);
    if (open.has(identity)) continue;
    const folderName = `${current.name}${name}/`;
    yield { name: folderName, kind: "folder", realPath, stats };
    open.add(identity);
    stack.push(await frame(realPath, folderName, stats));
  }
}

async function frame(realPath: string, name: string, stats: Stats): Promise<Frame> {
  let names: string[];
  try {
    names = await readdir(realPath);
  } catch (err) {
    throw new TcpkitError("ERR_FILE", `cannot read folder ${name}`, { cause: err });
  }
  return { realPath, name, names: names.sort(), index: 0, identity: identityOf(stats) };
}

/**
 * The real path and stat of the entry at `path`, if it belongs in the archive: a regular file
 * or folder that serveStatic would serve. Undefined to leave it out.
 */
async function member(path: string, policy: WalkPolicy): Promise<[string, Stats] | undefined> {
  const name = path.slice(path.lastIndexOf(sep) + 1);
  if (!servesName(name, policy)) return undefined;
  let real = path;
  let stats: Stats;
  try {
    stats = await lstat(path);
    if (stats.isSymbolicLink()) {
      real = await realpath(path);
      if (!servesRealPath(real, policy)) return undefined;
      stats = await stat(real);
    }
  } catch {
    return undefined; // gone since readdir, or a dangling symlink: not listed either
  }
  return stats.isFile() || stats.isDirectory() ? [real, stats] : undefined;
}

function identityOf(s: Stats): string {
  return `${s.dev}:${s.ino}`;
}
