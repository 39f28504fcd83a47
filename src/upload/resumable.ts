/**
 * Resumable uploads (draft-ietf-httpbis-resumable-upload, docs/uploads.md): a PUT carrying
 * `Upload-Complete` creates an upload resource, announced at once in a 104 (Upload Resumption
 * Supported) with its Location; the bytes go to the resource's temporary file beside the target.
 * If the connection drops, what arrived is kept (written and fsynced); the client asks HEAD for
 * `Upload-Offset`, appends the rest with PATCH (application/partial-upload, its Upload-Offset
 * checked: 409 with the right one otherwise), or cancels with DELETE. The request that completes
 * the upload moves the file into place (as a plain PUT would: link, or rename with --overwrite).
 *
 * State lives on disk beside the target, so a restarted server resumes the same uploads:
 * `.tcpkit-upload-ID.part` (the bytes; its size is the offset) and `.tcpkit-upload-ID.json`
 * (the target name, the length once known, the creation time). The resource's URL is the part
 * file's path; ID is 128 random bits, so it cannot be guessed (draft §Security). One request at
 * a time per upload: a second waits for the first to end (an access lock, draft §Concurrency).
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { getField } from "../http/header-lookup.js";
import type { RequestContext, RequestHead, ResponsePlan } from "../http/types.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { encodeSegments } from "./upload-form.js";
import { TEMP_PREFIX, TempFile, UploadError, nameTaken, uploadFolder } from "./upload-file.js";
import { refuse, statusForBodyError, type UploadSite } from "./upload-site.js";

/** The last path segment of an upload resource. */
export const RESOURCE_NAME = /^\.tcpkit-upload-([0-9a-f]{32})\.part$/;

/** What the sidecar file says about an upload. */
interface UploadRecord {
  readonly name: string;
  length: number | undefined;
  readonly created: number;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** Requests in progress per upload ID (the access lock). */
const busy = new Map<string, Promise<void>>();

async function locked<T>(id: string, work: () => Promise<T>): Promise<T> {
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

/** A structured-field Boolean (RFC 9651 §3.3.6): true, false, or undefined when absent/invalid. */
export function sfBoolean(value: string | undefined): boolean | undefined {
  return value === "?1" ? true : value === "?0" ? false : undefined;
}

/** A structured-field non-negative Integer of at most 15 digits, else undefined. */
export function sfInteger(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** Header lines every upload response carries: limits, no caching, the client's interop version. */
function stateHeaders(site: UploadSite, head: RequestHead, record: UploadRecord): string {
  const age = Math.max(0, Math.floor((record.created + site.expireMs - Date.now()) / 1000));
  let lines = `Upload-Limit: max-size=${site.maxBytes}, max-age=${age}\r\nCache-Control: no-store\r\n`;
  const interop = sfInteger(getField(head, "upload-draft-interop-version"));
  if (interop !== undefined) lines += `Upload-Draft-Interop-Version: ${interop}\r\n`;
  return lines;
}

function plan(status: number, headers: string): ResponsePlan {
  return { status, headers, body: { kind: "none" } };
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
  if (complete && declared !== undefined && getField(head, "transfer-encoding") === undefined) {
    if (length !== undefined && length !== declared) return refuse(400);
    length = declared;
  }
  if ((length ?? 0) > site.maxBytes || (declared ?? 0) > site.maxBytes) return refuse(413);
  let folder: string;
  try {
    folder = await uploadFolder(site.realRoot, site.realUploadDir, segments);
    if (!site.overwrite && (await nameTaken(folder, name))) return refuse(409);
  } catch (err) {
    return refuse(statusForBodyError(err));
  }
  const id = randomBytes(16).toString("hex");
  const record: UploadRecord = { name, length, created: Date.now() };
  let file: TempFile;
  try {
    await writeRecord(folder, id, record);
    file = await TempFile.create(folder, id);
  } catch (err) {
    await unlink(recordPath(folder, id)).catch(() => {});
    return refuse(statusForBodyError(err));
  }
  const location = `${encodeSegments(segments)}/${TEMP_PREFIX}${id}.part`;
  const headers = stateHeaders(site, head, record);
  context.sendInterim(104, `Location: ${location}\r\n${headers}`);
  return locked(id, () =>
    receive(
      site,
      context,
      folder,
      id,
      record,
      file,
      complete,
      `Location: ${location}\r\n${headers}`,
    ),
  );
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
  return locked(id, async () => {
    const record = await readRecord(folder, id);
    if (record === undefined) return refuse(404);
    const partPath = join(folder, `${TEMP_PREFIX}${id}.part`);
    if (Date.now() > record.created + site.expireMs) {
      await removeUpload(folder, id);
      return refuse(404);
    }
    const headers = stateHeaders(site, head, record);
    switch (head.method) {
      case "DELETE":
        await removeUpload(folder, id);
        return { ...plan(204, ""), close: true };
      case "HEAD": {
        const offset = (await stat(partPath)).size;
        const length = record.length === undefined ? "" : `Upload-Length: ${record.length}\r\n`;
        return plan(204, `Upload-Offset: ${offset}\r\nUpload-Complete: ?0\r\n${length}${headers}`);
      }
      case "PATCH":
        return append(site, head, context, folder, id, record, partPath, headers);
      default:
        return refuse(405);
    }
  });
}

async function append(
  site: UploadSite,
  head: RequestHead,
  context: RequestContext,
  folder: string,
  id: string,
  record: UploadRecord,
  partPath: string,
  headers: string,
): Promise<ResponsePlan> {
  const type = getField(head, "content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/partial-upload") return refuse(415);
  const complete = sfBoolean(getField(head, "upload-complete"));
  const offset = sfInteger(getField(head, "upload-offset"));
  if (complete === undefined || offset === undefined) return refuse(400);
  let file: TempFile;
  try {
    file = await TempFile.append(partPath);
  } catch {
    return refuse(404);
  }
  if (offset !== file.bytes) {
    await file.keep();
    return { ...plan(409, `Upload-Offset: ${file.bytes}\r\n${headers}`), close: true };
  }
  const length = sfInteger(getField(head, "upload-length"));
  const declared = context.body.length;
  const known = [record.length, length];
  if (complete && declared !== undefined && getField(head, "transfer-encoding") === undefined) {
    known.push(offset + declared);
  }
  const lengths = new Set(known.filter((n) => n !== undefined));
  if (lengths.size > 1) {
    await file.keep();
    return refuse(400); // inconsistent lengths (draft: inconsistent-upload-length)
  }
  const [only] = lengths;
  if (only !== undefined && record.length === undefined) {
    record.length = only;
    await writeRecord(folder, id, record, true);
  }
  return receive(site, context, folder, id, record, file, complete, headers);
}

/**
 * Appends the request body to `file` within the upload's limits. Completed: the file moves into
 * place. Cut off: what arrived is kept for the next PATCH. Past a limit: the upload is removed.
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
): Promise<ResponsePlan> {
  const limit = Math.min(site.maxBytes, record.length ?? Infinity) - file.bytes;
  const body = context.body.stream({ limit: Math.max(0, limit) });
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) await file.write(chunk);
  } catch (err) {
    body.destroy();
    const cut =
      err instanceof TcpkitError &&
      (err.code === "ERR_CONNECTION_CLOSED" || err.code === "ERR_TIMEOUT");
    if (cut) {
      await file.keep().catch(() => {});
      return refuse(statusForBodyError(err));
    }
    await file.discard();
    await unlink(recordPath(folder, id)).catch(() => {});
    return refuse(statusForBodyError(err));
  }
  if (!complete) {
    await file.keep();
    return plan(201, `Upload-Complete: ?0\r\nUpload-Offset: ${file.bytes}\r\n${headers}`);
  }
  try {
    await file.finish();
    if (record.length !== undefined && file.bytes !== record.length) {
      throw new UploadError(400, "the upload ended short of its length");
    }
    const replaced = await file.commit(folder, record.name, site.overwrite);
    await unlink(recordPath(folder, id)).catch(() => {});
    return plan(replaced ? 204 : 201, "Upload-Complete: ?1\r\n");
  } catch (err) {
    await removeUpload(folder, id);
    return refuse(statusForBodyError(err));
  }
}

function recordPath(folder: string, id: string): string {
  return join(folder, `${TEMP_PREFIX}${id}.json`);
}

async function writeRecord(
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

async function readRecord(folder: string, id: string): Promise<UploadRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(recordPath(folder, id), "utf8")) as UploadRecord;
    return typeof parsed.name === "string" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function removeUpload(folder: string, id: string): Promise<void> {
  await unlink(join(folder, `${TEMP_PREFIX}${id}.part`)).catch(() => {});
  await unlink(recordPath(folder, id)).catch(() => {});
}
