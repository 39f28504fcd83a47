/**
 * Resumable uploads (draft-ietf-httpbis-resumable-upload-15, docs/uploads.md): a PUT carrying
 * `Upload-Complete` creates an upload resource, announced at once in a 104 (Upload Resumption
 * Supported) with its Location and Upload-Limit (§4.2); the bytes go to the resource's temporary
 * file beside the target, with a progress 104 carrying Upload-Offset every PROGRESS_EVERY_BYTES
 * (§4.2, §4.4, §5). If the connection drops, what arrived is kept (written and fsynced); the
 * client asks HEAD for `Upload-Offset` (§4.3), appends the rest with PATCH (§4.4,
 * application/partial-upload, its Upload-Offset checked: 409 with the right one otherwise), or
 * cancels with DELETE (§4.5). The request that completes the upload moves the file into place
 * (as a plain PUT would: link, or rename with --overwrite). Errors the draft names carry its
 * problem types (§7, upload-problem.ts).
 *
 * State lives on disk beside the target (upload-record.ts). The resource's URL is the part file's
 * path; ID is 128 random bits, so it cannot be guessed (the draft's Security Considerations).
 */
import { randomBytes } from "node:crypto";
import { stat, unlink } from "node:fs/promises";
import { errorPlan } from "../http/error-plan.js";
import { getField } from "../http/header-lookup.js";
import type { RequestContext, RequestHead, ResponsePlan } from "../http/types.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { encodeSegments } from "./upload-form.js";
import {
  TEMP_PREFIX,
  TempFile,
  UploadError,
  nameTaken,
  statusForWriteError,
  uploadFolder,
} from "./upload-file.js";
import {
  DigestMismatch,
  DigestTap,
  fileMatches,
  loadDigest,
  requestDigests,
  storeDigest,
} from "./upload-digest.js";
import { problemPlan } from "./upload-problem.js";
import { currentFile, preconditionsHold } from "./put-preconditions.js";
import {
  locked,
  partPath,
  transferring,
  readRecord,
  recordPath,
  removeUpload,
  writeRecord,
  type UploadRecord,
} from "./upload-record.js";
import { refuse, statusForBodyError, uploadLimit, type UploadSite } from "./upload-site.js";

/** Why a transfer stopped: a newer request on its upload superseded it (draft §4.6). */
class Superseded extends Error {}

/** The last path segment of an upload resource. */
export const RESOURCE_NAME = /^\.tcpkit-upload-([0-9a-f]{32})\.part$/;

/**
 * Bytes written between two progress 104s (draft §5: "regularly"): a 1 GiB upload gets 64 of
 * them, a client learns how much it may forget, and small uploads get none.
 */
export const PROGRESS_EVERY_BYTES = 16 * 1024 * 1024;

/** A structured-field Boolean (RFC 9651 §3.3.6): true, false, or undefined when absent/invalid. */
export function sfBoolean(value: string | undefined): boolean | undefined {
  return value === "?1" ? true : value === "?0" ? false : undefined;
}

/** A structured-field non-negative Integer of at most 15 digits, else undefined. */
export function sfInteger(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/**
 * The draft's interop version that this implements (draft §"Draft Version Identification": 8
 * since -09), sent with every 104 and upload response. Never the client's own number echoed: a
 * client of another version must see the mismatch, and ignore the 104, rather than be told the
 * server speaks its version.
 */
export const INTEROP = "Upload-Draft-Interop-Version: 8\r\n";

/** Header lines every upload response carries: limits, no caching, the interop version. */
function stateHeaders(site: UploadSite, record: UploadRecord): string {
  const age = (record.created + site.expireMs - Date.now()) / 1000;
  return `${uploadLimit(site, age)}Cache-Control: no-store\r\n${INTEROP}`;
}

function plan(status: number, headers: string): ResponsePlan {
  return { status, headers, body: { kind: "none" } };
}

/** Lengths that disagree (draft §4.1.3): 400 with the inconsistent-upload-length problem. */
function inconsistent(headers = ""): ResponsePlan {
  return problemPlan(400, "inconsistent-upload-length", headers);
}

/** A PUT with Upload-Complete to `name` in `segments`: creates the upload and receives its first bytes. */
export async function createUpload(
  site: UploadSite,
  head: RequestHead,
  context: RequestContext,
  segments: readonly string[],
  name: string,
  complete: boolean,
): Promise<ResponsePlan> {
  let length = sfInteger(getField(head, "upload-length"));
  const declared = context.body.length;
  if (declared !== undefined && getField(head, "transfer-encoding") === undefined) {
    if (complete) {
      if (length !== undefined && length !== declared) return inconsistent();
      length = declared;
    } else if (length !== undefined && declared > length) return inconsistent();
  }
  if ((length ?? 0) > site.maxBytes || (declared ?? 0) > site.maxBytes) return refuse(413, site);
  const digests = requestDigests(head);
  if (digests === undefined) return refuse(400);
  let folder: string;
  try {
    folder = await uploadFolder(site.realRoot, site.realUploadDir, segments);
    if (!site.overwrite && (await nameTaken(folder, name))) return refuse(409);
  } catch (err) {
    return refuse(statusForBodyError(err));
  }
  // Checked when the upload is created (put-preconditions.ts), not again when it completes.
  if (!preconditionsHold(head, await currentFile(folder, name))) return refuse(412);
  const id = randomBytes(16).toString("hex");
  const record: UploadRecord = {
    name,
    length,
    created: Date.now(),
    repr: storeDigest(digests.repr),
  };
  let file: TempFile;
  try {
    await writeRecord(site.realUploadDir, folder, id, record);
    file = await TempFile.create(site.realUploadDir, folder, id);
  } catch (err) {
    await unlink(recordPath(folder, id)).catch(() => {});
    return refuse(statusForBodyError(err));
  }
  // §4.2: the 104 and the 201 of an incomplete upload carry the same Location and Upload-Limit.
  const headers = `Location: ${encodeSegments(segments)}/${TEMP_PREFIX}${id}.part\r\n${stateHeaders(site, record)}`;
  site.expiry.track(folder, id, record.created);
  const tap = new DigestTap([digests.content]);
  return locked(site.realUploadDir, folder, id, () => {
    // Announced once this request holds the upload (§4.6): a HEAD sent on the 104 then finds
    // it holding the lock (and ends it), never an offset of 0 this request would then move past.
    context.sendInterim(104, headers);
    return receive(site, context, folder, id, record, file, complete, headers, tap, true, segments);
  }).catch(async (err: unknown) => {
    // The lock file could not be made (the folder went away): nothing was received.
    await file.discard();
    await removeUpload(folder, id);
    return refuse(statusForBodyError(err));
  });
}

/** HEAD, PATCH or DELETE on an upload resource in `segments` (the folder of its part file). */
export async function uploadResource(
  site: UploadSite,
  head: RequestHead,
  context: RequestContext,
  segments: readonly string[],
  id: string,
): Promise<ResponsePlan> {
  let folder: string;
  try {
    folder = await uploadFolder(site.realRoot, site.realUploadDir, segments);
  } catch {
    return refuse(404);
  }
  // §4.6: each of these ends a transfer still in progress on the upload (its client, resuming,
  // believes it failed) rather than waiting for the server to notice (the `true`).
  const work = (): Promise<ResponsePlan> => onResource(site, head, context, folder, id, segments);
  return locked(site.realUploadDir, folder, id, work, true).catch((err: unknown) => {
    // The lock file could not be made: the folder went away (and the upload with it: 404), or
    // the disk is full (507).
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return refuse(404);
    return refuse(statusForWriteError(err));
  });
}

/** HEAD, PATCH or DELETE on upload `id`, its access lock held. */
async function onResource(
  site: UploadSite,
  head: RequestHead,
  context: RequestContext,
  folder: string,
  id: string,
  segments: readonly string[],
): Promise<ResponsePlan> {
  const record = await readRecord(site.realUploadDir, folder, id);
  if (record === undefined) return refuse(404);
  if (Date.now() > record.created + site.expireMs) {
    await removeUpload(folder, id);
    return refuse(404);
  }
  const headers = stateHeaders(site, record);
  switch (head.method) {
    case "DELETE":
      // A completed upload's file stays where it was put: only the record goes.
      await removeUpload(folder, id);
      return { ...plan(204, ""), close: true };
    case "HEAD": {
      if (record.complete === true) {
        const length = `Upload-Length: ${record.length}\r\n`;
        return plan(
          204,
          `Upload-Offset: ${record.length}\r\nUpload-Complete: ?1\r\n${length}${headers}`,
        );
      }
      // A record without its bytes (removed, or a crash between placing and marking
      // complete): nothing to resume.
      const part = await stat(partPath(folder, id)).catch(() => undefined);
      if (part === undefined) return refuse(404);
      const offset = part.size;
      const length = record.length === undefined ? "" : `Upload-Length: ${record.length}\r\n`;
      return plan(204, `Upload-Offset: ${offset}\r\nUpload-Complete: ?0\r\n${length}${headers}`);
    }
    case "PATCH":
      return append(site, head, context, folder, id, record, headers, segments);
    default:
      return refuse(405);
  }
}

async function append(
  site: UploadSite,
  head: RequestHead,
  context: RequestContext,
  folder: string,
  id: string,
  record: UploadRecord,
  headers: string,
  segments: readonly string[],
): Promise<ResponsePlan> {
  const type = getField(head, "content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/partial-upload") return refuse(415);
  const complete = sfBoolean(getField(head, "upload-complete"));
  const offset = sfInteger(getField(head, "upload-offset"));
  if (complete === undefined || offset === undefined) return refuse(400);
  const declared = context.body.length;
  const chunked = getField(head, "transfer-encoding") !== undefined;
  const digests = requestDigests(head);
  if (digests === undefined) return refuse(400);
  if (record.complete === true) {
    // §4.4: a completed upload is not modified; appending bytes is an inconsistent length.
    return declared === 0 && !chunked
      ? problemPlan(400, "completed-upload", headers)
      : inconsistent(headers);
  }
  let file: TempFile;
  try {
    file = await TempFile.append(site.realUploadDir, partPath(folder, id));
  } catch {
    return refuse(404);
  }
  if (offset !== file.bytes) {
    await file.keep();
    return problemPlan(
      409,
      "mismatching-upload-offset",
      `Upload-Offset: ${file.bytes}\r\n${headers}`,
      {
        "expected-offset": file.bytes,
        "provided-offset": offset,
      },
    );
  }
  const length = sfInteger(getField(head, "upload-length"));
  const known = [record.length, length];
  if (complete && declared !== undefined && !chunked) known.push(offset + declared);
  const lengths = new Set(known.filter((n) => n !== undefined));
  const [only] = lengths;
  const over = only !== undefined && declared !== undefined && offset + declared > only;
  if (lengths.size > 1 || over) {
    await file.keep();
    return inconsistent(headers);
  }
  if (declared !== undefined && offset + declared > site.maxBytes) {
    await file.keep();
    return refuse(413, site);
  }
  if (only !== undefined && record.length === undefined) {
    record.length = only;
    await writeRecord(site.realUploadDir, folder, id, record, true);
  }
  const tap = new DigestTap([digests.content]);
  return receive(site, context, folder, id, record, file, complete, headers, tap, false, segments);
}

/**
 * Appends the request body to `file` within the upload's limits, sending a progress 104 every
 * PROGRESS_EVERY_BYTES written. Completed: the file moves into place and the record is marked
 * complete. Cut off: what arrived is kept for the next PATCH. Past a limit: the upload is removed
 * (§4.4: an offset past the length deactivates the upload resource). `segments`: the target
 * folder's, for the stored file's Location.
 */
async function receive(
  site: UploadSite,
  context: RequestContext,
  folder: string,
  id: string,
  record: UploadRecord,
  file: TempFile,
  complete: boolean,
  headers: string,
  tap: DigestTap,
  creation: boolean,
  segments: readonly string[],
): Promise<ResponsePlan> {
  const start = file.bytes;
  // Past --max-upload-bytes the server core answers 413 itself; past the upload's own length
  // is the draft's inconsistent length, answered here.
  const body = context.body.stream({ limit: Math.max(0, site.maxBytes - file.bytes) });
  const length = record.length ?? Infinity;
  let nextProgress = file.written + PROGRESS_EVERY_BYTES;
  // A newer request on this upload ends the transfer (upload-record.ts, `locked`): the body
  // stops between two chunks, each written whole.
  const stop = (): void => void body.destroy(new Superseded());
  try {
    await transferring(id, stop, async () => {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (file.bytes + chunk.length > length) throw new UploadError(400, "past Upload-Length");
        tap.update(chunk);
        await file.write(chunk);
        // §4.4: progress interims carry the offset and never a Location. None while a
        // Content-Digest is pending: an offset acknowledged is never taken back (draft §4.1.1),
        // and bytes that fail the digest are (§10.2).
        if (!tap.checking && file.written >= nextProgress) {
          context.sendInterim(104, `Upload-Offset: ${file.written}\r\n${INTEROP}`);
          nextProgress = file.written + PROGRESS_EVERY_BYTES;
        }
      }
    });
  } catch (err) {
    body.destroy();
    const superseded = err instanceof Superseded;
    const cut =
      superseded ||
      (err instanceof TcpkitError &&
        (err.code === "ERR_CONNECTION_CLOSED" || err.code === "ERR_TIMEOUT"));
    if (cut) {
      // What arrived is kept for the next PATCH (draft §4.4), unless a Content-Digest covered
      // this request: bytes it can no longer check are not appended (§10.2), as bytes that
      // fail it are not, and an offset told is never taken back.
      if (tap.checking) await file.truncate(start).catch(() => {});
      await file.keep().catch(() => {});
      if (!superseded) return refuse(statusForBodyError(err));
      // Ended as if the connection had dropped, which is what its client believes happened;
      // the answer (if anyone reads it) says where the upload stands; the connection closes.
      const state = `Upload-Complete: ?0\r\nUpload-Offset: ${file.written}\r\n${headers}`;
      return { ...errorPlan(409, state), close: true };
    }
    await file.discard();
    await unlink(recordPath(folder, id)).catch(() => {});
    if (err instanceof UploadError && err.status === 400) return inconsistent();
    return refuse(statusForBodyError(err), site);
  }
  if (!tap.matches()) {
    // Draft §10.2: content that fails its Content-Digest is not appended. A creation's upload
    // is removed; an append is cut back to where it began, for the client to send again.
    if (creation) {
      await file.discard();
      await removeUpload(folder, id);
    } else {
      await file.truncate(start);
      await file.keep();
    }
    return refuse(400);
  }
  if (!complete) {
    await file.keep();
    // A creation made the upload resource: 201 with its Location (draft §4.2). An append made
    // nothing new (RFC 9110 §15.3.2: a 201 without Location names its target as created): 204,
    // as the draft's own example (§4.4).
    const status = creation ? 201 : 204;
    return plan(status, `Upload-Complete: ?0\r\nUpload-Offset: ${file.bytes}\r\n${headers}`);
  }
  let replaced: boolean;
  try {
    await file.finish();
    if (record.length !== undefined && file.bytes !== record.length) {
      throw new UploadError(400, "the upload ended short of its length");
    }
    if (record.repr !== undefined && !(await fileMatches(file.path, loadDigest(record.repr)))) {
      throw new DigestMismatch("Repr-Digest");
    }
    replaced = await file.commit(folder, record.name, site.overwrite);
  } catch (err) {
    await removeUpload(folder, id);
    // Draft §4.4: the body was whole, so the answer says Upload-Complete: ?1, errors too: the
    // failure is the file's (a name taken meanwhile, a Repr-Digest, the disk), and resuming
    // cannot mend it.
    const over = "Upload-Complete: ?1\r\n";
    if (err instanceof UploadError && err.status === 400) return inconsistent(over);
    const status = err instanceof DigestMismatch ? 400 : statusForBodyError(err);
    return { ...errorPlan(status, over), close: true };
  }
  // Kept, marked complete, until it expires: HEAD then says Upload-Complete: ?1 (§4).
  record.length = file.bytes;
  record.complete = true;
  await writeRecord(site.realUploadDir, folder, id, record, true).catch(() =>
    unlink(recordPath(folder, id)).catch(() => {}),
  );
  // Draft §4.4: the answer the target would have given the whole file in one PUT: a 201 names
  // the file created (RFC 9110 §15.3.2; without a Location it would be the PATCH's target, the
  // upload resource).
  if (replaced) return plan(204, "Upload-Complete: ?1\r\n");
  const location = `Location: ${encodeSegments([...segments, record.name])}\r\n`;
  return plan(201, `Upload-Complete: ?1\r\n${location}`);
}
