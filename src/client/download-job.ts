/**
 * The state of one download to a file across its attempts (retries, restarts, segments): where
 * the bytes go, how many of them form a valid prefix or which segments are done, the version
 * they belong to, and what the server said about the whole (length, digest). Plus the wording of
 * failures, which always says what is on disk.
 */
import type { Hash } from "node:crypto";
import { unlink } from "node:fs/promises";
import type { Writable } from "node:stream";
import { TcpkitError } from "../util/tcpkit-error.js";
import type { ExpectedDigest } from "./digest-check.js";
import type { HttpGetOptions, HttpResponse } from "./http-get.js";
import type { RetryOptions } from "./retry-policy.js";
import type { ControlState } from "./segment-control-file.js";
import type { Validator } from "./validators.js";
import { stampLastModified, statFile } from "./output-file.js";
import { withStatusHint } from "./retry-policy.js";

/** Options of download. */
export interface DownloadOptions extends Omit<HttpGetOptions, "method" | "range" | "conditions"> {
  /**
   * Where the body goes: a file path (relative to `directory`; overwritten if it exists), or a
   * writable stream (e.g. process.stdout; not ended). Default: a name from the URL.
   */
  readonly output?: string | Writable;
  /** Directory for relative and automatic names (default: process.cwd()). */
  readonly directory?: string;
  /** Overwrite an existing file of the automatic name instead of choosing NAME.1, NAME.2, ... */
  readonly force?: boolean;
  /** Continue NAME.part (or NAME) from its size with Range + If-Range, or its segments. */
  readonly resume?: boolean;
  /** Save the body of a status >= 400 response too (it is still an ERR_HTTP_STATUS error). */
  readonly saveErrors?: boolean;
  /** Fetch the file over this many connections at once, by byte ranges (default 1). */
  readonly segments?: number;
  /** Try again after transient failures (default: never). */
  readonly retry?: RetryOptions;
  /** Download only if the server's file is newer than NAME (If-Modified-Since NAME's mtime). */
  readonly newer?: boolean;
  /** Download only if the resource's ETag is not this one (If-None-Match). */
  readonly ifNoneMatch?: string;
  /** A digest the saved bytes must have (`--checksum`), besides the server's. */
  readonly checksum?: ExpectedDigest;
  /** Check the server's Repr-Digest / Content-Digest (default true). */
  readonly verifyDigest?: boolean;
  /** Called as body bytes arrive. */
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Called with each final response before its body is read. */
  readonly onResponse?: (response: HttpResponse) => void;
  /** Human notes: a name chosen because another was taken, a restarted resume, a retry... */
  readonly onNotice?: (message: string) => void;
}

/** Progress of the body being saved. */
export interface DownloadProgress {
  /** Bytes of body received in this run so far. */
  readonly received: number;
  /** Bytes already in the file before this run's bytes (resume), else 0. */
  readonly offset: number;
  /** Size of the whole resource when known (Content-Length or Content-Range). */
  readonly total: number | undefined;
}

/** Where a download's bytes go and what is known about them. */
export interface DownloadJob {
  readonly url: string;
  readonly options: DownloadOptions;
  /** The name the complete file gets. */
  readonly final: string;
  /** Where bytes are written meanwhile (final + .part, or final itself). */
  writeTo: string;
  /** writeTo is not a regular file (-o /dev/null, a FIFO): no .part, no rename, no checks. */
  readonly special: boolean;
  /** May the final rename replace an existing file? */
  readonly overwrite: boolean;
  /** Said once a response is accepted (e.g. "NAME exists; saving to NAME.1"). */
  notice: string | undefined;
  /**
   * The flags that resume this file: `-c`, or `-c -o NAME.1` for a numbered name, which a
   * plain `-c` (NAME.part, else NAME) would not find.
   */
  readonly resumeWith: string;
  /** Bytes at the start of writeTo that are a prefix of the resource (single connection). */
  size: number;
  /** The version the bytes in writeTo belong to, sent in If-Range to continue them. */
  validator: Validator | undefined;
  /** The segments of a segmented download, when it is one. */
  control: ControlState | undefined;
  /** The resource's length when the server stated it. */
  total: number | undefined;
  /** Digests the finished file must match (the server's, the user's). */
  digests: ExpectedDigest[];
  /** A hash of every byte written to writeTo since byte 0 in this process, if that holds. */
  hash: { readonly algorithm: string; readonly hash: Hash } | undefined;
  /** With `newer`: the local file's mtime; a 200 not newer than it is not saved. */
  readonly newerThan: number | undefined;
  /** Body bytes received in this run. */
  received: number;
  /** The response that decided what is in the file, for the result. */
  response: HttpResponse | undefined;
  resume: "none" | "resumed" | "restarted" | "already-complete" | "not-modified";
  /** Connections used at once (1, or the segments' count). */
  connections: number;
}

/**
 * Statuses >= 400 are ERR_HTTP_STATUS (with the status and Retry-After kept for the retry
 * policy); a 3xx that was not followed (no Location) and a 206 we did not ask for are protocol
 * errors. 1xx never get here (the reader skips them).
 */
export function statusError(
  response: HttpResponse,
  askedRange: boolean,
  suffix = "",
): TcpkitError | undefined {
  const what = `HTTP ${response.status}${response.reason === "" ? "" : ` ${response.reason}`} from ${response.url}`;
  if (response.status >= 400) {
    return withStatusHint(
      new TcpkitError("ERR_HTTP_STATUS", `${what}${suffix}`),
      response.status,
      response.header("retry-after"),
    );
  }
  if (response.status >= 300)
    return new TcpkitError("ERR_HTTP_PROTOCOL", `${what} without a usable Location${suffix}`);
  if (response.status === 206 && !askedRange)
    return new TcpkitError(
      "ERR_HTTP_PROTOCOL",
      `${what}: a partial response we did not ask for${suffix}`,
    );
  return undefined;
}

const bodyFailures = new WeakSet<object>();

/** Marks an error that broke off a body being written (the file holds what came before it). */
export function markBodyFailure(err: unknown): unknown {
  if (typeof err === "object" && err !== null) bodyFailures.add(err);
  return err;
}

/** True for an error marked by markBodyFailure. */
export function isBodyFailure(err: unknown): boolean {
  return typeof err === "object" && err !== null && bodyFailures.has(err);
}

/**
 * Turns a failure into an error that says what is on disk: "...; partial file kept as X (N
 * bytes); resume with -c", or "; nothing saved" (and the empty partial file removed).
 */
export async function describePartial(err: unknown, job: DownloadJob): Promise<TcpkitError> {
  const base =
    err instanceof TcpkitError
      ? err
      : new TcpkitError("ERR_FILE", `cannot write ${job.writeTo}: ${(err as Error).message}`, {
          cause: err,
        });
  // -o /dev/null, a FIFO, a folder: no partial file to speak of (a folder's size is not bytes).
  if (job.special) return base;
  // The server's Last-Modified on the partial file: `-c` sends it back in If-Range.
  if (job.response !== undefined && job.control === undefined) {
    stampLastModified(job.writeTo, job.response);
  }
  const size = statFile(job.writeTo)?.size ?? 0;
  const control = job.control;
  if (control !== undefined) {
    const done = control.segments.reduce((sum, s) => sum + s.done, 0);
    return new TcpkitError(
      base.code,
      `${base.message}; partial file kept as ${job.writeTo} (${done} of ${control.length} bytes, in segments); resume with ${job.resumeWith}`,
      { cause: base.cause },
    );
  }
  if (size === 0 && job.writeTo !== job.final) {
    await unlink(job.writeTo).catch(() => undefined);
    return new TcpkitError(base.code, `${base.message}; nothing saved`, { cause: base.cause });
  }
  const where = job.writeTo === job.final ? "" : `; resume with ${job.resumeWith}`;
  return new TcpkitError(
    base.code,
    `${base.message}; partial file kept as ${job.writeTo} (${size} bytes)${where}`,
    { cause: base.cause },
  );
}
