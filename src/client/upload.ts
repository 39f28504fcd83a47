/**
 * upload(): a file (or a stream) to a URL with PUT, plainly or resumably
 * (draft-ietf-httpbis-resumable-upload, the protocol `tcpkit serve --upload` implements; see
 * docs/http-client.md). A plain PUT sends the file with its Content-Length (a stream: chunked,
 * as curl -T - does). A resumable upload is a PUT with `Upload-Complete: ?1` and
 * `Upload-Length`; the server's 104 names the upload resource, which is remembered
 * (upload-state.ts) before the first body byte goes out. After a cut, the next attempt (--retry)
 * or the next run with `resume` asks the resource for its `Upload-Offset` (HEAD) and appends the
 * rest with PATCH (`application/partial-upload`). Bodies go out from a few reused buffers with
 * socket backpressure (request-body.ts).
 */
import { open, realpath, type FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { trimOws } from "../http/header-fields.js";
import { getField } from "../http/header-lookup.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import type { TlsTrust } from "./connect.js";
import { interrupted } from "./connect.js";
import { originOf, withoutCredentials, type HttpGetOptions, type TraceEvent } from "./http-get.js";
import { readShortBody, sendRequest, type OutgoingBody, type SendOptions } from "./http-request.js";
import { writeChunkedBody, writeFileBody } from "./request-body.js";
import { parseRequestUrl, resolveLocation, type RequestUrl } from "./request-url.js";
import { decideRetry, statusOf, withStatusHint, type RetryOptions } from "./retry-policy.js";
import {
  readUploadRecord,
  recordPath,
  removeUploadRecord,
  uploadStateDir,
  writeUploadRecord,
  type UploadRecord,
} from "./upload-state.js";

/** Options of upload(). */
export interface PutOptions extends TlsTrust {
  /** Use the resumable-upload protocol (a file only, not a stream). */
  readonly resumable?: boolean;
  /** Continue the upload of this file to this URL that an earlier run left (implies resumable). */
  readonly resume?: boolean;
  /** Where resumable uploads are remembered (default: see upload-state.ts). */
  readonly stateDir?: string;
  /** "1.1" (default) or "1.0" (plain PUT only: a stream needs chunked, resumable needs 104). */
  readonly httpVersion?: "1.0" | "1.1";
  /** Extra request fields, sent before the protocol's own (which win). */
  readonly headers?: readonly (readonly [string, string])[];
  /** Per-phase timeouts in ms; idleMs bounds both silences: the peer not reading, not answering. */
  readonly timeouts?: HttpGetOptions["timeouts"];
  /**
   * Try transient failures again: a resumable upload resumes, a plain one starts over, a stream
   * (read once) is not retried.
   */
  readonly retry?: RetryOptions;
  /** At most this many body bytes a second (0: no limit). */
  readonly bytesPerSecond?: number;
  /** Gives up (ERR_INTERRUPTED) when it fires; a resumable upload stays resumable. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: PutProgress) => void;
  readonly onTrace?: (event: TraceEvent) => void;
  /** Things worth telling a user (starting over, resuming, retrying). */
  readonly onNotice?: (message: string) => void;
}

/** Progress of an upload. */
export interface PutProgress {
  /** Body bytes sent in this attempt. */
  readonly sent: number;
  /** Bytes the server had before this attempt (a resumed upload), else 0. */
  readonly offset: number;
  /** The file's size (undefined for a stream). */
  readonly total: number | undefined;
}

/** What a completed upload did. */
export interface PutResult {
  /** The URL the file was stored at. */
  readonly url: string;
  /** The final response: 201 (created), 204 or 200 (replaced), as the server says. */
  readonly status: number;
  readonly reason: string;
  /** Bytes of the file (a stream: as many as were read). */
  readonly size: number;
  /** Body bytes sent in this call, over all attempts. */
  readonly sent: number;
  /** Where the last attempt started (bytes the server already had), 0 when from the start. */
  readonly offset: number;
  /** Whether the resumable protocol was used, and its resource when the server announced one. */
  readonly resumable: boolean;
  readonly uploadUrl: string | undefined;
  /** Attempts made (1 without retries). */
  readonly attempts: number;
  readonly elapsedMs: number;
}

/** `name` with the file's name appended when it ends in `/`, as curl -T does. */
export function targetUrl(url: string, fileName: string | undefined): RequestUrl {
  const parsed = parseRequestUrl(url);
  const path = parsed.target.replace(/\?.*$/s, "");
  if (!path.endsWith("/")) return parsed;
  if (fileName === undefined) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `${url} ends in '/': name the file in the URL`);
  }
  const query = parsed.target.slice(path.length);
  return parseRequestUrl(
    `${parsed.scheme}://${parsed.authority}${path}${encodeURIComponent(fileName)}${query}`,
  );
}

/**
 * Uploads `source` (a file path, or a Readable sent chunked) to `url` with PUT. Resolves once the
 * server answered 2xx. Rejects with TcpkitError: ERR_HTTP_STATUS for a status >= 400 (its
 * message "HTTP 409 Conflict from URL"), ERR_REDIRECT_REFUSED for a 3xx (uploads are not
 * redirected), network codes, ERR_TIMEOUT, ERR_HTTP_PROTOCOL, ERR_FILE, ERR_INVALID_ARGUMENT,
 * ERR_INTERRUPTED.
 */
export async function upload(
  source: string | Readable,
  url: string,
  options: PutOptions = {},
): Promise<PutResult> {
  const startedAt = performance.now();
  const resumable = options.resumable === true || options.resume === true;
  if (typeof source !== "string") {
    if (resumable) {
      throw new TcpkitError("ERR_INVALID_ARGUMENT", "a stream cannot be uploaded resumably");
    }
    if (options.httpVersion === "1.0") {
      throw new TcpkitError("ERR_INVALID_ARGUMENT", "a stream needs HTTP/1.1 (chunked)");
    }
    const target = targetUrl(url, undefined);
    let size = 0;
    const outcome = await sendOnce(
      "PUT",
      target,
      [],
      {
        length: undefined,
        write: (socket, control) =>
          writeChunkedBody(socket, source, {
            ...control,
            onBytes: (n) => {
              size = n;
              control.onBytes?.(n);
            },
          }),
      },
      options,
      { offset: 0, total: undefined },
    );
    return finished(outcome, target, { size, sent: size, offset: 0, startedAt, attempts: 1 });
  }
  const file = await openFile(source);
  try {
    const target = targetUrl(url, basename(source));
    const job: Job = { file, target, options, sent: 0, offset: 0, attempts: 0, startedAt };
    return resumable ? await resumableUpload(job) : await plainUpload(job);
  } finally {
    await file.handle.close();
  }
}

interface OpenFile {
  readonly handle: FileHandle;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

interface Job {
  readonly file: OpenFile;
  readonly target: RequestUrl;
  readonly options: PutOptions;
  sent: number;
  offset: number;
  attempts: number;
  readonly startedAt: number;
}

async function openFile(path: string): Promise<OpenFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new TcpkitError("ERR_FILE", `${path} is not a regular file`);
    return { handle, path: await realpath(path), size: info.size, mtimeMs: info.mtimeMs };
  } catch (err) {
    await handle.close();
    throw fileError(path, err);
  }
}

function fileError(path: string, err: unknown): TcpkitError {
  if (err instanceof TcpkitError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? "";
  const what =
    code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String(err);
  return new TcpkitError("ERR_FILE", `cannot read ${path}: ${what}`, { cause: err });
}

/** A file body: bytes `from` to the end of the file. */
function fileBody(file: OpenFile, from: number): OutgoingBody {
  return {
    length: file.size - from,
    write: (socket, control) => writeFileBody(socket, file.handle, from, file.size, control),
  };
}

/** A plain PUT of the whole file, tried again from the start on a transient failure. */
async function plainUpload(job: Job): Promise<PutResult> {
  return withRetries(job, async () => {
    job.offset = 0;
    return sendOnce("PUT", job.target, [], fileBody(job.file, 0), job.options, progressBase(job));
  });
}

/**
 * A resumable upload: the remembered resource (or the one this run created) is asked for its
 * offset and appended to; without one, a new upload is created. The record is removed once the
 * upload is complete or the server has forgotten it.
 */
async function resumableUpload(job: Job): Promise<PutResult> {
  const { file, target, options } = job;
  if (options.httpVersion === "1.0") {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", "resumable uploads need HTTP/1.1");
  }
  const statePath = recordPath(uploadStateDir(options.stateDir), file.path, target.href);
  // The caller's credentials go only to the origin they named (as httpGet does on redirects):
  // an upload resource the server placed on another origin does not get them.
  const optionsFor = (url: RequestUrl): PutOptions =>
    originOf(url) === originOf(target) ? options : withoutCredentials(options);
  let location: RequestUrl | undefined;
  const remembered = await readUploadRecord(statePath);
  if (remembered !== undefined) {
    if (options.resume !== true) {
      // A new upload was asked for: the old one is cancelled rather than left to expire.
      await cancel(remembered.location, optionsFor);
      await removeUploadRecord(statePath);
    } else if (remembered.size !== file.size || remembered.mtimeMs !== file.mtimeMs) {
      options.onNotice?.(`${file.path} changed since the interrupted upload: starting again`);
      await cancel(remembered.location, optionsFor);
      await removeUploadRecord(statePath);
    } else {
      location = parseRequestUrl(remembered.location);
    }
  }
  const remember = async (value: string): Promise<void> => {
    location = resolveLocation(target, value);
    const record: UploadRecord = {
      url: target.href,
      file: file.path,
      size: file.size,
      mtimeMs: file.mtimeMs,
      location: location.href,
    };
    await writeUploadRecord(statePath, record);
  };
  const result = await withRetries(job, async () => {
    if (location !== undefined) {
      const known = await offsetOf(location, job.file.size, optionsFor(location));
      if (known?.complete === true) {
        // The last attempt was cut after the server had it all, before its answer came: the
        // file is in place, and a PATCH now would be refused as completed-upload.
        job.offset = known.offset;
        options.onNotice?.(`the server already has all ${file.size} bytes`);
        return { status: known.status, reason: known.reason };
      }
      if (known !== undefined) {
        const { offset } = known;
        job.offset = offset;
        if (offset > 0) options.onNotice?.(`resuming at byte ${offset} of ${file.size}`);
        return sendOnce(
          "PATCH",
          location,
          [
            ["Content-Type", "application/partial-upload"],
            ["Upload-Offset", String(offset)],
            ["Upload-Complete", "?1"],
            ["Upload-Length", String(file.size)],
            INTEROP,
          ],
          fileBody(file, offset),
          optionsFor(location),
          progressBase(job),
        );
      }
      options.onNotice?.(`the server no longer has the interrupted upload: starting again`);
      location = undefined;
      await removeUploadRecord(statePath);
    }
    job.offset = 0;
    return sendOnce(
      "PUT",
      target,
      [["Upload-Complete", "?1"], ["Upload-Length", String(file.size)], INTEROP],
      fileBody(file, 0),
      options,
      progressBase(job),
      async (head) => {
        // A 104 of another draft version (or none) is ignored, as the draft asks of clients.
        const ours = getField(head, "upload-draft-interop-version") === INTEROP[1];
        const announced = head.status === 104 && ours ? getField(head, "location") : undefined;
        if (announced !== undefined) await remember(announced);
      },
    );
  }).catch(async (err: unknown) => {
    // Refused for good: the server keeps nothing worth resuming. A status that leaves the
    // upload on the server (RESUMABLE_STATUSES) keeps the record of one it announced, for `-c`.
    if (err instanceof TcpkitError && err.code === "ERR_HTTP_STATUS") {
      if (location !== undefined && resumableStatus(err)) keptAfter.add(err);
      else await removeUploadRecord(statePath);
    }
    throw err;
  });
  await removeUploadRecord(statePath);
  return { ...result, resumable: true, uploadUrl: location?.href };
}

/**
 * Statuses after which a resumable upload can still go on (draft §4.2-§4.4: a 4xx is final
 * unless its semantics invite a retry): new credentials (401, 407), a request that timed out
 * (408), a rate limit (429), and any 5xx. The server keeps the upload's bytes meanwhile.
 */
const RESUMABLE_STATUSES = new Set([401, 407, 408, 429]);

function resumableStatus(err: TcpkitError): boolean {
  const status = statusOf(err);
  return status !== undefined && (status >= 500 || RESUMABLE_STATUSES.has(status));
}

/** HTTP status failures after which the upload the server announced stays remembered. */
const keptAfter = new WeakSet<TcpkitError>();

/**
 * Whether `err`, failing a resumable upload, leaves it resumable with `resume` (`tcpkit put
 * -c`): anything but a local file error, or an HTTP status that kept an announced upload.
 */
export function resumableAfter(err: unknown): boolean {
  if (!(err instanceof TcpkitError)) return false;
  if (err.code === "ERR_FILE" || err.code === "ERR_INVALID_ARGUMENT") return false;
  return err.code !== "ERR_HTTP_STATUS" || keptAfter.has(err);
}

/**
 * The resumable-upload draft's interop version this client speaks (8 since draft -09): sent with
 * every request of a resumable upload, and required of the 104 that announces one (draft
 * "Draft Version Identification": draft servers answer only clients of their own version).
 */
const INTEROP: readonly [string, string] = ["Upload-Draft-Interop-Version", "8"];

/** What the server has of an upload: its answer to HEAD on the upload resource. */
interface KnownOffset {
  readonly offset: number;
  /** Upload-Complete: ?1 with every byte: the upload was completed. */
  readonly complete: boolean;
  readonly status: number;
  readonly reason: string;
}

/**
 * The resource's Upload-Offset and completeness (HEAD), or undefined when the server no longer
 * has it (404/410).
 */
async function offsetOf(
  location: RequestUrl,
  size: number,
  options: PutOptions,
): Promise<KnownOffset | undefined> {
  const response = await sendRequest("HEAD", location, [INTEROP], undefined, sendOptions(options));
  response.body.destroy();
  if (response.status === 404 || response.status === 410) return undefined;
  if (response.status >= 300) {
    const err = statusError(response.status, response.reason, location, "");
    throw withStatusHint(err, response.status, response.header("retry-after"));
  }
  const text = response.header("upload-offset");
  const offset = text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
  if (offset === undefined || offset > size) {
    throw new TcpkitError(
      "ERR_HTTP_PROTOCOL",
      `bad response from ${location.href}: Upload-Offset ${text ?? "missing"} for a file of ${size} bytes`,
    );
  }
  const complete = response.header("upload-complete") === "?1" && offset === size;
  return { offset, complete, status: response.status, reason: response.reason };
}

/** DELETE of an upload resource nobody will finish; failures do not matter (it expires). */
async function cancel(
  location: string,
  optionsFor: (url: RequestUrl) => PutOptions,
): Promise<void> {
  try {
    const url = parseRequestUrl(location);
    const response = await sendRequest(
      "DELETE",
      url,
      [INTEROP],
      undefined,
      sendOptions(optionsFor(url)),
    );
    response.body.destroy();
  } catch {
    // Unreachable or refused: the server removes it when it expires.
  }
}

interface Outcome {
  readonly status: number;
  readonly reason: string;
}

/** One request with a body; a 2xx resolves, anything else rejects with its status. */
async function sendOnce(
  method: string,
  url: RequestUrl,
  fields: readonly (readonly [string, string])[],
  body: OutgoingBody,
  options: PutOptions,
  base: { offset: number; total: number | undefined; onSent?: (n: number) => void },
  onInterim?: SendOptions["onInterim"],
): Promise<Outcome> {
  const response = await sendRequest(method, url, fields, body, {
    ...sendOptions(options),
    onBytes: (sent) => {
      base.onSent?.(sent);
      options.onProgress?.({ sent, offset: base.offset, total: base.total });
    },
    ...(onInterim !== undefined ? { onInterim } : {}),
  });
  const text = await readShortBody(response.body);
  const { status, reason } = response;
  if (status >= 200 && status < 300) return { status, reason };
  if (status >= 300 && status < 400) {
    const where = response.header("location");
    throw new TcpkitError(
      "ERR_REDIRECT_REFUSED",
      `HTTP ${status} ${reason} from ${url.href}${where === undefined ? "" : ` (Location: ${where})`}: uploads are not redirected`,
    );
  }
  throw withStatusHint(
    statusError(status, reason, url, text),
    status,
    response.header("retry-after"),
  );
}

/** "HTTP 413 Content Too Large from URL", with the first line of a short text body. */
function statusError(status: number, reason: string, url: RequestUrl, text: string): TcpkitError {
  const line = trimOws((text.split("\n")[0] ?? "").replace(/\r$/, ""));
  const useful = line !== "" && line !== `${status} ${reason}` && !line.startsWith("<");
  const detail = useful && line.length <= 200 ? `: ${line}` : "";
  return new TcpkitError("ERR_HTTP_STATUS", `HTTP ${status} ${reason} from ${url.href}${detail}`);
}

function sendOptions(options: PutOptions): SendOptions {
  return {
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
    ...(options.insecure !== undefined ? { insecure: options.insecure } : {}),
    ...(options.httpVersion !== undefined ? { httpVersion: options.httpVersion } : {}),
    ...(options.headers !== undefined ? { headers: options.headers } : {}),
    ...(options.timeouts !== undefined ? { timeouts: options.timeouts } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.onTrace !== undefined ? { onTrace: options.onTrace } : {}),
    ...(options.bytesPerSecond !== undefined ? { bytesPerSecond: options.bytesPerSecond } : {}),
  };
}

/** Progress of the current attempt, counting its bytes into the job's total. */
function progressBase(job: Job): { offset: number; total: number; onSent: (n: number) => void } {
  const before = job.sent;
  return {
    offset: job.offset,
    total: job.file.size,
    onSent: (n) => (job.sent = before + n),
  };
}

/** Runs `attempt` until it succeeds, fails for good, or the retries are spent. */
async function withRetries(job: Job, attempt: () => Promise<Outcome>): Promise<PutResult> {
  const { options } = job;
  for (;;) {
    job.attempts++;
    try {
      const outcome = await attempt();
      return finished(outcome, job.target, {
        size: job.file.size,
        sent: job.sent,
        offset: job.offset,
        startedAt: job.startedAt,
        attempts: job.attempts,
      });
    } catch (err) {
      if (options.signal?.aborted === true) throw interrupted(options.signal);
      const decision = decideRetry(
        err,
        job.attempts,
        performance.now() - job.startedAt,
        options.retry ?? { count: 0 },
      );
      if (!decision.retry) throw err;
      const message = err instanceof Error ? err.message : String(err);
      options.onNotice?.(
        `${message}; retrying in ${(decision.delayMs / 1000).toFixed(1)} s (${job.attempts} of ${options.retry?.count ?? 0})`,
      );
      try {
        await sleep(decision.delayMs, undefined, { signal: options.signal });
      } catch {
        throw interrupted(options.signal);
      }
    }
  }
}

function finished(
  outcome: Outcome,
  target: RequestUrl,
  facts: { size: number; sent: number; offset: number; startedAt: number; attempts: number },
): PutResult {
  return {
    url: target.href,
    status: outcome.status,
    reason: outcome.reason,
    size: facts.size,
    sent: facts.sent,
    offset: facts.offset,
    resumable: false,
    uploadUrl: undefined,
    attempts: facts.attempts,
    elapsedMs: performance.now() - facts.startedAt,
  };
}
