/**
 * download: httpGet plus saving the body. To a file, the body is written to `NAME.part` and
 * renamed to NAME only when complete; on failure the `.part` file stays (resume it with
 * `resume: true`) unless nothing was received. Existing files are never overwritten unless asked.
 * Resume uses Range + If-Range (the partial file's mtime holds the server's Last-Modified).
 */
import { createWriteStream } from "node:fs";
import { unlink } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { Writable } from "node:stream";
import { formatHttpDate } from "../http/http-date.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { copyBody } from "./copy-body.js";
import { httpGet, type HttpGetOptions, type HttpResponse } from "./http-get.js";
import {
  assertInside,
  freeName,
  isSpecialFile,
  PARTIAL_SUFFIX,
  renameInto,
  stampLastModified,
  statFile,
} from "./output-file.js";
import { outputNameFromTarget } from "./output-name.js";
import { parseRequestUrl } from "./request-url.js";

/** Options of download. */
export interface DownloadOptions extends Omit<HttpGetOptions, "method" | "range"> {
  /**
   * Where the body goes: a file path (relative to `directory`; overwritten if it exists), or a
   * writable stream (e.g. process.stdout; not ended). Default: a name from the URL.
   */
  readonly output?: string | Writable;
  /** Directory for relative and automatic names (default: process.cwd()). */
  readonly directory?: string;
  /** Overwrite an existing file of the automatic name instead of choosing NAME.1, NAME.2, ... */
  readonly force?: boolean;
  /** Continue NAME.part (or NAME) from its size with Range + If-Range. */
  readonly resume?: boolean;
  /** Save the body of a status >= 400 response too (it is still an ERR_HTTP_STATUS error). */
  readonly saveErrors?: boolean;
  /** Called as body bytes arrive. */
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Called with each final response before its body is read (for -i). */
  readonly onResponse?: (response: HttpResponse) => void;
  /** Human notes: a name chosen because another was taken, a restarted resume, ... */
  readonly onNotice?: (message: string) => void;
}

/** Progress of the body being saved. */
export interface DownloadProgress {
  /** Bytes of this response's body received so far. */
  readonly received: number;
  /** Bytes already in the file before this response (resume), else 0. */
  readonly offset: number;
  /** Size of the whole resource when known (Content-Length or Content-Range). */
  readonly total: number | undefined;
}

/** What download did. */
export interface DownloadResult {
  /** The file written, or undefined when the output was a stream. */
  readonly path: string | undefined;
  /** The final status (200, 206, or >= 400 when saved with saveErrors... which then throws). */
  readonly status: number;
  /** Bytes of body received in this run (not counting resumed bytes). */
  readonly received: number;
  /** Size of the file now. */
  readonly size: number;
  /** The URL after redirects. */
  readonly url: string;
  /** How the run went with respect to an existing partial file. */
  readonly resume: "none" | "resumed" | "restarted" | "already-complete";
}

/**
 * Downloads `url`. Resolves once the body is saved completely. Rejects with a TcpkitError:
 * ERR_HTTP_STATUS for a status >= 400 (nothing is saved unless `saveErrors`), ERR_HTTP_PROTOCOL
 * for a malformed response or a body cut short (the message names the partial file kept), plus
 * httpGet's errors and ERR_FILE for local file problems.
 */
export async function download(
  url: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const output = options.output;
  if (output !== undefined && typeof output !== "string") {
    if (options.resume === true)
      throw new TcpkitError("ERR_INVALID_ARGUMENT", "resume needs a file, not a stream");
    return downloadToStream(url, output, options);
  }
  const directory = resolve(options.directory ?? process.cwd());
  const explicit = output !== undefined;
  const target = explicit
    ? resolve(directory, output)
    : join(directory, outputNameFromTarget(parseRequestUrl(url).target));
  if (!explicit) assertInside(directory, target);
  if (options.resume === true) return resumeDownload(url, target, options);
  const overwrite = explicit || options.force === true;
  const chosen = overwrite ? target : await freeName(target);
  if (explicit && (await isSpecialFile(chosen))) {
    // -o /dev/null and the like: no .part, no rename.
    return saveFresh(url, { final: chosen, writeTo: chosen, overwrite: true }, options);
  }
  const notice =
    chosen === target ? undefined : `${basename(target)} exists; saving to ${basename(chosen)}`;
  return saveFresh(
    url,
    { final: chosen, writeTo: chosen + PARTIAL_SUFFIX, overwrite, ...(notice ? { notice } : {}) },
    options,
  );
}

interface Destination {
  /** The name the complete file gets. */
  readonly final: string;
  /** Where bytes are written meanwhile (final + .part, or final itself). */
  readonly writeTo: string;
  /** May the final rename replace an existing file? */
  readonly overwrite: boolean;
  /** Said once the response is accepted (e.g. "NAME exists; saving to NAME.1"). */
  readonly notice?: string;
}

async function saveFresh(
  url: string,
  dest: Destination,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const response = await httpGet(url, options);
  return saveResponse(response, dest, 0, "none", options);
}

async function resumeDownload(
  url: string,
  target: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const partial = target + PARTIAL_SUFFIX;
  const existing = (await statFile(partial)) ?? (await statFile(target));
  const fromPart = existing !== undefined && existing.path === partial;
  if (existing === undefined || existing.size === 0) {
    return saveFresh(url, { final: target, writeTo: partial, overwrite: true }, options);
  }
  const offset = existing.size;
  const response = await httpGet(url, {
    ...options,
    range: { start: offset, ifRange: formatHttpDate(existing.mtimeMs) },
  });
  const dest: Destination = fromPart
    ? { final: target, writeTo: partial, overwrite: true }
    : { final: target, writeTo: target, overwrite: true };
  if (response.status === 206) {
    const range = parseContentRange(response.header("content-range"));
    if (range === undefined || range.start !== offset) {
      response.body.destroy();
      throw new TcpkitError(
        "ERR_HTTP_PROTOCOL",
        `asked for bytes from ${offset} but got Content-Range '${response.header("content-range") ?? ""}'; ${existing.path} left as it was`,
      );
    }
    return saveResponse(response, dest, offset, "resumed", options);
  }
  if (response.status === 416) {
    response.body.destroy();
    const range = parseContentRange(response.header("content-range"));
    if (range?.total === offset) {
      if (fromPart) await renameInto(partial, target, true);
      options.onNotice?.(`${basename(target)} was already complete (${offset} bytes)`);
      return {
        path: target,
        status: 416,
        received: 0,
        size: offset,
        url: response.url,
        resume: "already-complete",
      };
    }
    options.onNotice?.(
      "the partial file is larger than the resource; restarting from the beginning",
    );
    const fresh = await httpGet(url, options);
    return saveResponse(
      fresh,
      { final: target, writeTo: partial, overwrite: true },
      0,
      "restarted",
      options,
    );
  }
  if (response.status >= 200 && response.status < 300) {
    // The server ignored the range, or If-Range did not match (the resource changed): RFC 9110
    // §13.1.5 says it then sends the whole representation. Start over in NAME.part: old partial
    // bytes are useless now, and a NAME being resumed is replaced only once the new one is whole.
    options.onNotice?.(
      "the server sent the whole file (range ignored or file changed); restarting from the beginning",
    );
    return saveResponse(
      response,
      { final: target, writeTo: partial, overwrite: true },
      0,
      "restarted",
      options,
    );
  }
  // An error status: the partial file is left exactly as it was, whatever saveErrors says.
  options.onResponse?.(response);
  response.body.destroy();
  const failed =
    statusError(response, 0) ??
    new TcpkitError("ERR_HTTP_PROTOCOL", `unexpected status ${response.status}`);
  throw new TcpkitError(failed.code, `${failed.message}; ${existing.path} left as it was`);
}

async function saveResponse(
  response: HttpResponse,
  dest: Destination,
  offset: number,
  resume: DownloadResult["resume"],
  options: DownloadOptions,
): Promise<DownloadResult> {
  options.onResponse?.(response);
  const failed = statusError(response, offset);
  if (failed !== undefined && (options.saveErrors !== true || failed.code !== "ERR_HTTP_STATUS")) {
    response.body.destroy();
    throw failed;
  }
  if (dest.notice !== undefined) options.onNotice?.(dest.notice);
  const append = offset > 0;
  const file = createWriteStream(dest.writeTo, { flags: append ? "a" : "w" });
  let received = 0;
  try {
    received = await copyBody(response.body, file, progressReporter(response, offset, options));
  } catch (err) {
    throw await describePartial(err, dest, offset + file.bytesWritten, response);
  }
  await stampLastModified(dest.writeTo, response);
  const path =
    dest.writeTo === dest.final
      ? dest.final
      : await renameInto(dest.writeTo, dest.final, dest.overwrite, options.onNotice);
  if (failed !== undefined) {
    throw new TcpkitError("ERR_HTTP_STATUS", `${failed.message}; body saved to ${path}`);
  }
  return {
    path,
    status: response.status,
    received,
    size: offset + received,
    url: response.url,
    resume,
  };
}

async function downloadToStream(
  url: string,
  output: Writable,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const response = await httpGet(url, options);
  options.onResponse?.(response);
  const failed = statusError(response, 0);
  if (failed !== undefined && (options.saveErrors !== true || failed.code !== "ERR_HTTP_STATUS")) {
    response.body.destroy();
    throw failed;
  }
  const received = await copyBody(
    response.body,
    output,
    progressReporter(response, 0, options),
    false,
  );
  if (failed !== undefined) throw failed;
  return {
    path: undefined,
    status: response.status,
    received,
    size: received,
    url: response.url,
    resume: "none",
  };
}

/**
 * Statuses >= 400 are ERR_HTTP_STATUS; a 3xx that was not followed (no Location) and a 206 we did
 * not ask for (offset 0) are protocol errors. 1xx never get here (the reader skips them).
 */
function statusError(response: HttpResponse, offset: number): TcpkitError | undefined {
  const what = `HTTP ${response.status}${response.reason === "" ? "" : ` ${response.reason}`} from ${response.url}`;
  if (response.status >= 400) return new TcpkitError("ERR_HTTP_STATUS", what);
  if (response.status >= 300)
    return new TcpkitError("ERR_HTTP_PROTOCOL", `${what} without a usable Location`);
  if (response.status === 206 && offset === 0)
    return new TcpkitError("ERR_HTTP_PROTOCOL", `${what}: a partial response we did not ask for`);
  return undefined;
}

/** Turns a failed body into an error that says what happened to the bytes already written. */
async function describePartial(
  err: unknown,
  dest: Destination,
  size: number,
  response: HttpResponse,
): Promise<TcpkitError> {
  const base =
    err instanceof TcpkitError
      ? err
      : new TcpkitError("ERR_FILE", `cannot write ${dest.writeTo}: ${(err as Error).message}`, {
          cause: err,
        });
  await stampLastModified(dest.writeTo, response).catch(() => undefined);
  if (size === 0 && dest.writeTo !== dest.final) {
    await unlink(dest.writeTo).catch(() => undefined);
    return new TcpkitError(base.code, `${base.message}; nothing saved`, { cause: base.cause });
  }
  const where = dest.writeTo === dest.final ? "" : "; resume with -c";
  return new TcpkitError(
    base.code,
    `${base.message}; partial file kept as ${dest.writeTo} (${size} bytes)${where}`,
    {
      cause: base.cause,
    },
  );
}

/** Reports progress of one response's body, starting at 0 bytes received. */
function progressReporter(
  response: HttpResponse,
  offset: number,
  options: DownloadOptions,
): ((received: number) => void) | undefined {
  const onProgress = options.onProgress;
  if (onProgress === undefined) return undefined;
  const total = totalSize(response, offset);
  return (received) => onProgress({ received, offset, total });
}

/** Resource size: Content-Range's complete length for 206, else offset + Content-Length. */
function totalSize(response: HttpResponse, offset: number): number | undefined {
  if (response.status === 206) return parseContentRange(response.header("content-range"))?.total;
  return response.contentLength === undefined ? undefined : offset + response.contentLength;
}

/** Parses "bytes 100-199/1000" or "bytes STAR/1000" (RFC 9110 §14.4); total undefined for "*". */
export function parseContentRange(
  value: string | undefined,
): { start?: number; total?: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(value.trim());
  if (m === null) return undefined;
  return {
    ...(m[1] !== undefined ? { start: Number(m[1]) } : {}),
    ...(m[3] !== "*" ? { total: Number(m[3]) } : {}),
  };
}
