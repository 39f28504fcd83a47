/**
 * A resumable upload's state on disk (docs/uploads.md), beside its target so that a restarted
 * server resumes the same uploads: `.tcpkit-upload-ID.part` holds the bytes (its size is the
 * offset) and `.tcpkit-upload-ID.json` the record below. A completed upload keeps its record,
 * marked complete, until it expires: the draft asks a server to keep answering HEAD for a while
 * after completion (draft-ietf-httpbis-resumable-upload-15 §4, Upload Resource), so a client that
 * lost the final response learns the upload is done.
 *
 * One request at a time touches an upload, whichever process (--workers) it reached: `locked`
 * is the access lock of the draft's §4.6 (Concurrency), and a request that resumes the upload
 * ends the transfer it replaces rather than waiting for it (the draft's recommended way).
 */
import { close, constants, readFile, writeFile } from "node:fs";
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { openBeneathAsync } from "../util/open-beneath.js";
import type { StoredDigest } from "./upload-digest.js";
import { acquireUploadLock } from "./upload-lock.js";
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
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const closeFd = promisify(close);
const writeFd = promisify(writeFile);
const readFd = promisify(readFile);

/** Requests in progress per upload ID (the access lock). */
const busy = new Map<string, Promise<void>>();
/** Requests waiting to supersede each upload's request in progress (see locked). */
const superseding = new Map<string, number>();
/** How to end each upload's body transfer in progress in this process (see transferring). */
const transfers = new Map<string, () => void>();

/**
 * Runs `work` once no other request holds upload `id` (in `folder`, beneath `realUploadDir`): in
 * this process (one waiter at a time then asks for the file), nor in another (upload-lock.ts).
 *
 * With `supersede`, the request first ends the body transfer in progress on the upload, here or
 * in another process: the draft's recommended way (§4.6). A client resumes when it believes its
 * last request failed; the server may not know yet (a connection gone silent is noticed only at
 * the body deadline, 20 s), and an access lock alone would keep the client's HEAD waiting that
 * long. The transfer ends at once, keeping every byte it wrote.
 */
export async function locked<T>(
  realUploadDir: string,
  folder: string,
  id: string,
  work: () => Promise<T>,
  supersede = false,
): Promise<T> {
  if (supersede) {
    superseding.set(id, (superseding.get(id) ?? 0) + 1);
    transfers.get(id)?.();
  }
  try {
    for (let previous = busy.get(id); previous !== undefined; previous = busy.get(id)) {
      await previous;
    }
  } finally {
    if (supersede) {
      const left = (superseding.get(id) ?? 1) - 1;
      if (left > 0) superseding.set(id, left);
      else superseding.delete(id);
    }
  }
  let release = (): void => {};
  busy.set(id, new Promise<void>((r) => (release = r)));
  try {
    const unlock = await acquireUploadLock(realUploadDir, folder, id, {
      requestStop: supersede,
      // Another process asked (its request supersedes ours): end our transfer, if any.
      onStopRequest: () => transfers.get(id)?.(),
    });
    try {
      return await work();
    } finally {
      await unlock();
    }
  } finally {
    busy.delete(id);
    release();
  }
}

/**
 * Runs `work`, the body transfer of the request holding upload `id`, which `stop` ends when a
 * newer request on the upload supersedes it (see locked); at once if one is waiting already.
 */
export async function transferring<T>(
  id: string,
  stop: () => void,
  work: () => Promise<T>,
): Promise<T> {
  transfers.set(id, stop);
  try {
    if ((superseding.get(id) ?? 0) > 0) stop();
    return await work();
  } finally {
    if (transfers.get(id) === stop) transfers.delete(id);
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

/**
 * Writes the record: a new one (EEXIST if taken), or over the existing one with `replace`. Opened
 * beneath the upload folder `realUploadDir` (util/open-beneath.ts), as every upload file is.
 */
export async function writeRecord(
  realUploadDir: string,
  folder: string,
  id: string,
  record: UploadRecord,
  replace = false,
): Promise<void> {
  const flags = replace ? constants.O_TRUNC : constants.O_CREAT | constants.O_EXCL;
  const path = recordPath(folder, id);
  const { fd } = await openBeneathAsync(realUploadDir, path, {
    flags: constants.O_WRONLY | NOFOLLOW | NONBLOCK | flags,
  }).catch(async (err: NodeJS.ErrnoException) => {
    // Created, then refused as outside: remove it (the name is random; EEXIST is not ours).
    if (!replace && err.code !== "EEXIST") await unlink(path).catch(() => {});
    throw err;
  });
  try {
    await writeFd(fd, JSON.stringify(record));
  } finally {
    await closeFd(fd);
  }
}

/** The record of upload `id`, or undefined when there is none (or it is unreadable). */
export async function readRecord(
  realUploadDir: string,
  folder: string,
  id: string,
): Promise<UploadRecord | undefined> {
  try {
    const { fd } = await openBeneathAsync(realUploadDir, recordPath(folder, id));
    let text: string;
    try {
      text = await readFd(fd, "utf8");
    } finally {
      await closeFd(fd);
    }
    const parsed = JSON.parse(text) as UploadRecord;
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
