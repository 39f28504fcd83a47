/**
 * One request of a download over one connection, and what its answer means for the file: a
 * fresh download from byte 0, or the continuation of a valid prefix (`-c`, or a retry after a
 * body cut short) with Range + If-Range. Every 206 is checked against the range asked
 * (content-range.ts); the file becomes complete only when it holds as many bytes as the server
 * said the resource has. A 206 that starts a segmented download is handed back to the caller.
 */
import { createWriteStream } from "node:fs";
import { parseHttpDate } from "../http/http-date.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import {
  checkPartial,
  parseUnsatisfiedRange,
  type AskedRange,
  type CheckedRange,
} from "./content-range.js";
import { copyBody } from "./copy-body.js";
import { FileSink } from "./file-sink.js";
import { newHash, readDigestField, type ExpectedDigest } from "./digest-check.js";
import { markBodyFailure, statusError, type DownloadJob } from "./download-job.js";
import { httpGet, type HttpGetOptions, type HttpResponse } from "./http-get.js";
import { PARTIAL_SUFFIX, renameInto } from "./output-file.js";
import { CONTROL_SUFFIX, removeControlFile } from "./segment-control-file.js";
import { MIN_SEGMENT_BYTES } from "./segmented-transfer.js";
import { contradicts, validatorOf, type Validator } from "./validators.js";

/** What one transfer ended with (failures are thrown). */
export type Outcome =
  | { readonly kind: "saved" }
  | { readonly kind: "already-complete" }
  | { readonly kind: "not-modified"; readonly why: string }
  | {
      readonly kind: "segmented";
      readonly response: HttpResponse;
      readonly range: CheckedRange;
      readonly validator: Validator;
    };

/**
 * Sends one request for `job` (continuing its prefix when it has one) and saves the answer.
 * `conditions` go on a fresh request only (-N, --etag-compare).
 */
export async function transferOnce(
  job: DownloadJob,
  http: HttpGetOptions,
  conditions: HttpGetOptions["conditions"],
): Promise<Outcome> {
  if (job.size > 0 && job.validator === undefined) {
    // Bytes of a version nothing identifies: continuing them could splice two versions.
    job.options.onNotice?.("the server gave no validator to resume with; restarting");
    restart(job);
  }
  const offset = job.size;
  const segmented = (job.options.segments ?? 1) > 1;
  const asked: AskedRange | undefined =
    offset > 0 ? { start: offset } : segmented ? { start: 0 } : undefined;
  const response = await httpGet(job.url, {
    ...http,
    ...(asked !== undefined
      ? {
          range: {
            start: asked.start,
            ...(offset > 0 ? { ifRange: (job.validator as Validator).value } : {}),
          },
        }
      : {}),
    ...(offset === 0 && conditions !== undefined ? { conditions } : {}),
  });
  job.options.onResponse?.(response);
  if (response.status === 304 && offset === 0 && conditions !== undefined) {
    response.body.destroy();
    return { kind: "not-modified", why: "the server says it has not changed (304)" };
  }
  return offset > 0 ? continuation(job, response, offset, http) : fresh(job, response, asked);
}

/** The answer to `Range: bytes=OFFSET-` + If-Range. */
async function continuation(
  job: DownloadJob,
  response: HttpResponse,
  offset: number,
  http: HttpGetOptions,
): Promise<Outcome> {
  const kept = `; ${job.writeTo} left as it was`;
  if (response.status === 206) {
    const checked = checkPartial(
      response.header("content-range"),
      response.contentLength,
      { start: offset },
      job.total,
    );
    if (typeof checked === "string") {
      response.body.destroy();
      throw new TcpkitError("ERR_HTTP_PROTOCOL", `${checked}${kept}`);
    }
    if (!contradicts(job.validator, response)) {
      if (job.resume === "none") job.resume = "resumed";
      if (job.writeTo === job.final) {
        // NAME itself is continued (there was no NAME.part): the server has more, so NAME is
        // partial; it is NAME.part until whole and checked, so that a failure or a digest
        // mismatch never leaves it under its final name for a later -c to call complete.
        try {
          renameInto(job.final, job.final + PARTIAL_SUFFIX, true);
        } catch (err) {
          response.body.destroy();
          throw err;
        }
        job.writeTo = job.final + PARTIAL_SUFFIX;
      }
      return saveRange(job, response, checked, "a");
    }
    job.options.onNotice?.("the server sent part of another version; restarting");
  } else if (response.status === 416) {
    response.body.destroy();
    const complete = parseUnsatisfiedRange(response.header("content-range"))?.complete;
    // A server that evaluated If-Range and found another version sends 200 (RFC 9110 §13.1.5),
    // so a 416 naming another version (its ETag or Last-Modified) comes from one that ignored
    // If-Range: the local bytes, e.g. a NAME.part kept after a digest mismatch, are of no
    // known version and must not become NAME. A 416 that agrees is checked against its
    // Repr-Digest (the selected representation's, RFC 9530 §3) and --checksum in finish().
    if (complete === offset && !contradicts(job.validator, response)) {
      job.total = complete;
      job.digests = expectedDigests(job, response);
      return { kind: "already-complete" };
    }
    job.options.onNotice?.(
      complete === offset
        ? "the server ignored If-Range (its 416 is for another version); restarting from the beginning"
        : "the partial file is larger than the resource; restarting from the beginning",
    );
    restart(job);
    return transferOnce(job, http, undefined);
  } else if (response.status >= 200 && response.status < 300) {
    // The server ignored the range, or If-Range did not match (the resource changed): RFC 9110
    // §13.1.5 says it then sends the whole representation. Start over in NAME.part: old partial
    // bytes are useless now, and a NAME being resumed is replaced only once the new one is whole.
    job.options.onNotice?.(
      "the server sent the whole file (range ignored or file changed); restarting from the beginning",
    );
  } else {
    // An error status: the partial file is left exactly as it was, whatever saveErrors says.
    response.body.destroy();
    throw (
      statusError(response, true, kept) ??
      new TcpkitError("ERR_HTTP_PROTOCOL", `unexpected status ${response.status}${kept}`)
    );
  }
  restart(job);
  if (response.status === 206) {
    response.body.destroy();
    return transferOnce(job, http, undefined);
  }
  return fresh(job, response, undefined);
}

/** The answer to a request from byte 0 (`asked`: `bytes=0-` for a segmented download). */
async function fresh(
  job: DownloadJob,
  response: HttpResponse,
  asked: AskedRange | undefined,
): Promise<Outcome> {
  const failed = statusError(response, asked !== undefined);
  const options = job.options;
  if (failed !== undefined && (options.saveErrors !== true || failed.code !== "ERR_HTTP_STATUS")) {
    response.body.destroy();
    throw failed;
  }
  const lastModified = parseHttpDate(response.header("last-modified") ?? "");
  if (job.newerThan !== undefined && lastModified !== undefined && lastModified <= job.newerThan) {
    response.body.destroy();
    return { kind: "not-modified", why: "the server's file is not newer" };
  }
  if (response.status === 206) {
    const checked = checkPartial(response.header("content-range"), response.contentLength, {
      start: 0,
    });
    if (typeof checked === "string") {
      response.body.destroy();
      throw new TcpkitError("ERR_HTTP_PROTOCOL", checked);
    }
    const validator = validatorOf(response);
    const whole = checked.last === checked.complete - 1;
    if (validator !== undefined && whole && checked.complete >= 2 * MIN_SEGMENT_BYTES) {
      return { kind: "segmented", response, range: checked, validator };
    }
    if (validator === undefined) {
      options.onNotice?.(
        "the server sends no validator (strong ETag or Last-Modified); one connection",
      );
    }
    return saveRange(job, response, checked, "w");
  }
  if (asked !== undefined && response.status === 200) {
    options.onNotice?.("the server does not send ranges; one connection");
  }
  job.total = response.contentLength;
  // With saveErrors, an error body is saved too; finish() then reports the status.
  await save(job, response, 0, "w", undefined);
  return { kind: "saved" };
}

/** Writes a checked 206 at its offset; the file is complete only when it reaches the total. */
async function saveRange(
  job: DownloadJob,
  response: HttpResponse,
  range: CheckedRange,
  flags: "a" | "w",
): Promise<Outcome> {
  job.total = range.complete;
  const want = range.last - range.first + 1;
  const received = await save(job, response, range.first, flags, want);
  if (received < want) {
    throw markBodyFailure(
      new TcpkitError(
        "ERR_HTTP_PROTOCOL",
        `the body for bytes ${range.first}-${range.last} ended after ${received} of ${want} bytes`,
      ),
    );
  }
  if (job.size < range.complete) {
    throw markBodyFailure(
      new TcpkitError(
        "ERR_HTTP_PROTOCOL",
        `the server sent bytes ${range.first}-${range.last} of ${range.complete}, not the rest of the file`,
      ),
    );
  }
  return { kind: "saved" };
}

/**
 * Writes the body into job.writeTo from `position` ("w": truncating the file first), keeping
 * job.size equal to the valid prefix on disk whatever happens, and the digests to check.
 */
async function save(
  job: DownloadJob,
  response: HttpResponse,
  position: number,
  flags: "a" | "w",
  limit: number | undefined,
): Promise<number> {
  const options = job.options;
  if (job.notice !== undefined) options.onNotice?.(job.notice);
  job.notice = undefined;
  job.response = response;
  job.validator = validatorOf(response) ?? job.validator;
  job.digests = expectedDigests(job, response);
  if (flags === "w") {
    // NAME.part is about to be truncated: a control file beside it, left by a segmented run
    // that this one (--force, -o) overwrites, would make a later -c trust segments no longer
    // there, and fill the holes with zeros.
    if (!job.special) await removeControlFile(job.writeTo + CONTROL_SUFFIX);
    const first = job.digests[0];
    job.hash =
      first === undefined
        ? undefined
        : { algorithm: first.algorithm, hash: await newHash(first.algorithm) };
  }
  const file = job.special
    ? createWriteStream(job.writeTo, { flags })
    : new FileSink(job.writeTo, flags);
  const total = job.total;
  let received = 0;
  try {
    received = await copyBody(response.body, file, {
      limit,
      hash: job.hash?.hash,
      onProgress: (n) => {
        job.received += n - received;
        received = n;
        options.onProgress?.({ received: n, offset: position, total });
      },
      signal: options.signal,
    });
  } catch (err) {
    throw markBodyFailure(err);
  } finally {
    job.size = position + file.bytesWritten;
    if (file.bytesWritten !== received) job.hash = undefined;
  }
  return received;
}

/** The server's digest of what is being saved (said once if unusable), then the user's. */
function expectedDigests(job: DownloadJob, response: HttpResponse): ExpectedDigest[] {
  const out: ExpectedDigest[] = [];
  if (job.options.verifyDigest !== false) {
    let field = readDigestField("Repr-Digest", response.header("repr-digest"));
    // Content-Digest covers this response's content: the file only when it is the whole of it.
    if (field.kind === "none" && response.status === 200) {
      field = readDigestField("Content-Digest", response.header("content-digest"));
    }
    if (field.kind === "digest") out.push(field.digest);
    if (field.kind === "unusable") job.options.onNotice?.(`not checked: ${field.reason}`);
  }
  if (job.options.checksum !== undefined) out.push(job.options.checksum);
  return out;
}

/** Drops the prefix: the next bytes are written from 0, into NAME.part. */
function restart(job: DownloadJob): void {
  job.size = 0;
  job.hash = undefined;
  job.resume = "restarted";
  if (job.writeTo === job.final) job.writeTo = job.final + PARTIAL_SUFFIX;
}
