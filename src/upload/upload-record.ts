/**
 * A resumable upload's state on disk (docs/uploads.md), beside its target so that a restarted
 * server resumes the same uploads: `.tcpkit-upload-ID.part` holds the bytes (its size is the
 * offset) and `.tcpkit-upload-ID.json` the record below. A completed upload keeps its record,
 * marked complete, until it expires: the draft asks a server to keep answering HEAD for a while
 * after completion (draft-ietf-httpbis-resumable-upload-15 §4, Upload Resource), so a client that
 * lost the final response learns the upload is done.
 *
 * One request at a time touches an upload: `locked` is the access lock of the draft's §4.6
 * (Concurrency).
 */
import { constants } from "node:fs";
import { open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { StoredDigest } from "./upload-digest.js";
import { TEMP_PREFIX } from "./upload-file.js";

/** What the sidecar file says about an upload. */
export interface UploadRecord {
  readonly name: string;
  length: number | undefined;
  readonly created: number;
  /** Completed and moved into place: only the record is left (HEAD says Upload-Complete: ?1). */
  complete?: boolean;
  /** The creation request's Repr-Digest, checked when the upload completes. */
  readonly repr?: StoredDigest | undefined;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** Requests in progress per upload ID (the access lock). */
const busy = new Map<string, Promise<void>>();

/** Runs `work` once no other request holds upload `id`. */
export async function locked<T>(id: string, work: () => Promise<T>): Promise<T> {
  for (let previous = busy.get(id); previous !== undefined; previous = busy.get(id)) {
    await previous;
  }
  let release = (): void => {};
  busy.set(id, new Promise<void>((r) => (release = r)));
  try {
    return await work();
  } finally {
    busy.delete(id);
    release();
  }
}

/** Whether a request is in progress on upload `id` (an expiry sweep leaves it alone). */
export function isBusy(id: string): boolean {
  return busy.has(id);
}

export function partPath(folder: string, id: string): string {
  return join(folder, `${TEMP_PREFIX}${id}.part`);
}

export function recordPath(folder: string, id: string): string {
  return join(folder, `${TEMP_PREFIX}${id}.json`);
}

/** Writes the record: a new one (EEXIST if taken), or over the existing one with `replace`. */
export async function writeRecord(
  folder: string,
  id: string,
  record: UploadRecord,
  replace = false,
): Promise<void> {
  const flags = replace ? constants.O_TRUNC : constants.O_CREAT | constants.O_EXCL;
  const handle = await open(recordPath(folder, id), constants.O_WRONLY | NOFOLLOW | flags, 0o644);
  try {
    await handle.writeFile(JSON.stringify(record));
  } finally {
    await handle.close();
  }
}

/** The record of upload `id`, or undefined when there is none (or it is unreadable). */
export async function readRecord(folder: string, id: string): Promise<UploadRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(recordPath(folder, id), "utf8")) as UploadRecord;
    return typeof parsed.name === "string" && typeof parsed.created === "number"
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

/** Removes an upload's bytes and record (never the file a completed upload was moved to). */
export async function removeUpload(folder: string, id: string): Promise<void> {
  await unlink(partPath(folder, id)).catch(() => {});
  await unlink(recordPath(folder, id)).catch(() => {});
}
