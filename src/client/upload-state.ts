/**
 * Where a resumable upload's resource URL is remembered between runs (`tcpkit put -c`): one small
 * JSON file per (local file, target URL) in a state folder, not beside the source (which may be
 * read-only, or a folder other people list). The folder is TCPKIT_STATE_DIR, else
 * $XDG_STATE_HOME/tcpkit/uploads, else ~/.local/state/tcpkit/uploads (XDG Base Directory spec:
 * state that should persist between restarts but is not worth a backup). The record also holds
 * the file's size and modification time: a file changed since cannot be resumed.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, unlink } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { writeWhole } from "../util/write-whole.js";

/** What is remembered of an interrupted resumable upload. */
export interface UploadRecord {
  /** The target URL the upload was created at. */
  readonly url: string;
  /** The local file's absolute path, size and modification time when the upload started. */
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** The upload resource (absolute URL) the server announced. */
  readonly location: string;
}

/** The state folder: `dir` when given, else TCPKIT_STATE_DIR, XDG_STATE_HOME, ~/.local/state. */
export function uploadStateDir(dir?: string): string {
  if (dir !== undefined) return dir;
  const env = process.env;
  if (env.TCPKIT_STATE_DIR) return env.TCPKIT_STATE_DIR;
  const base = env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "tcpkit", "uploads");
}

/** The record file of `file` (an absolute path) uploaded to `url`. */
export function recordPath(dir: string, file: string, url: string): string {
  const key = createHash("sha256").update(`${file}\n${url}`).digest("hex").slice(0, 32);
  return join(dir, `${key}.json`);
}

/** The record at `path`, or undefined when there is none or it is not one of ours. */
export async function readUploadRecord(path: string): Promise<UploadRecord | undefined> {
  let parsed: Partial<UploadRecord>;
  try {
    parsed = JSON.parse(await readFile(path, "utf8")) as Partial<UploadRecord>;
  } catch {
    return undefined;
  }
  const ok =
    typeof parsed.url === "string" &&
    typeof parsed.file === "string" &&
    typeof parsed.location === "string" &&
    Number.isSafeInteger(parsed.size) &&
    typeof parsed.mtimeMs === "number";
  return ok ? (parsed as UploadRecord) : undefined;
}

/**
 * Writes the record whole or not at all (a temporary name, then rename): a run killed while
 * writing it leaves the old record or none, never half of one.
 */
export async function writeUploadRecord(path: string, record: UploadRecord): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
  await writeWhole(path, `${JSON.stringify(record)}\n`, 0o600);
}

export async function removeUploadRecord(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}
