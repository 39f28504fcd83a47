/**
 * download: httpGet plus saving the body, so that a saved file is always exactly one version of
 * the resource. The body is written to `NAME.part` and renamed to NAME only when it is complete
 * (as long as the server said), matches every digest known for it (RFC 9530 Repr-Digest or
 * Content-Digest, `checksum`) and nothing failed. Existing files are never overwritten unless
 * asked. Around the transfers (single-transfer.ts, segmented-transfer.ts): the choice of names,
 * `-c` (a prefix with Range + If-Range, or the segments of a control file), `-N` and
 * If-None-Match, and retries of transient failures (retry-policy.ts) that continue what is on
 * disk rather than start over.
 */
import { open } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { formatHttpDate } from "../http/http-date.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { interrupted } from "./connect.js";
import { readDigestField, type ExpectedDigest } from "./digest-check.js";
import { finish, type DownloadResult } from "./download-finish.js";
import {
  describePartial,
  isBodyFailure,
  type DownloadJob,
  type DownloadOptions,
  type DownloadProgress,
} from "./download-job.js";
import { downloadToStream } from "./download-to-stream.js";
import type { HttpGetOptions, HttpResponse } from "./http-get.js";
import {
  assertInside,
  claimFreeName,
  isSpecialFile,
  PARTIAL_SUFFIX,
  removeIfEmpty,
  statFile,
} from "./output-file.js";
import { outputNameFromTarget } from "./output-name.js";
import { parseRequestUrl } from "./request-url.js";
import { decideRetry } from "./retry-policy.js";
import { CONTROL_SUFFIX, readControlFile, removeControlFile } from "./segment-control-file.js";
import { isResourceChanged, planSegments, runSegments } from "./segmented-transfer.js";
import { transferOnce, type Outcome } from "./single-transfer.js";

export type { DownloadOptions, DownloadProgress, DownloadResult };

/** How many times a download starts over because the resource changed under it. */
const MAX_RESTARTS = 2;

/**
 * Downloads `url`. Resolves once the body is saved completely and checked. Rejects with a
 * TcpkitError: ERR_HTTP_STATUS for a status >= 400 (nothing is saved unless `saveErrors`),
 * ERR_HTTP_PROTOCOL for a malformed response or a body cut short (the message names the partial
 * file kept), ERR_DIGEST_MISMATCH, ERR_INTERRUPTED, httpGet's errors and ERR_FILE.
 */
export async function download(
  url: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const started = performance.now();
  const output = options.output;
  if (output !== undefined && typeof output !== "string") {
    if (options.resume === true)
      throw new TcpkitError("ERR_INVALID_ARGUMENT", "resume needs a file, not a stream");
    return downloadToStream(url, output, options, started);
  }
  const directory = resolve(options.directory ?? process.cwd());
  const explicit = output !== undefined;
  const target = explicit
    ? resolve(directory, output)
    : join(directory, outputNameFromTarget(parseRequestUrl(url).target));
  if (!explicit) assertInside(directory, target);
  const job = await makeJob(url, target, explicit, options);
  if (job.special) return run(job, started);
  // A name chosen by claimFreeName is this transfer's alone; one that -c, -N or --force takes
  // as it is may be another transfer's of the run (--parallel, two URLs ending in one name).
  if (busyNames.has(job.final)) {
    throw new TcpkitError(
      "ERR_FILE",
      `${job.final} is being downloaded by another transfer of this run`,
    );
  }
  busyNames.add(job.final);
  try {
    return await run(job, started);
  } finally {
    busyNames.delete(job.final);
    // A name chosen by claimFreeName: its .part file exists from the start, and is removed if
    // no byte reached it (an error status, a refused connection, a 304).
    if (!job.overwrite) removeIfEmpty(job.writeTo);
  }
}

/** The files this process's downloads are writing now: one transfer each. */
const busyNames = new Set<string>();

/** Where the bytes go, and what -c, -N and the existing files say about them. */
async function makeJob(
  url: string,
  target: string,
  explicit: boolean,
  options: DownloadOptions,
): Promise<DownloadJob> {
  const local = options.newer === true ? statFile(target) : undefined;
  const job: DownloadJob = {
    url,
    options,
    final: target,
    writeTo: target + PARTIAL_SUFFIX,
    special: false,
    overwrite: true,
    notice: undefined,
    resumeWith: "-c",
    size: 0,
    validator: undefined,
    control: undefined,
    total: undefined,
    digests: [],
    hash: undefined,
    newerThan: local?.mtimeMs,
    received: 0,
    response: undefined,
    resume: "none",
    connections: 1,
  };
  if (options.resume === true) {
    await resumeState(job);
    return job;
  }
  if (explicit && isSpecialFile(target)) {
    // -o /dev/null and the like: no .part, no rename.
    return { ...job, writeTo: target, special: true };
  }
  if (explicit || options.force === true || local !== undefined) return job;
  const chosen = claimFreeName(target);
  if (chosen === target) return { ...job, overwrite: false };
  return {
    ...job,
    final: chosen,
    writeTo: chosen + PARTIAL_SUFFIX,
    overwrite: false,
    notice: `${basename(target)} exists; saving to ${basename(chosen)}`,
    // `-c` alone would continue NAME.part or NAME (restarting over the file that NAME.1 was
    // chosen to spare), not NAME.1.part.
    resumeWith: `-c -o ${shellWord(basename(chosen))}`,
  };
}

/** `name` as one shell word: as it is when it is plain, else in single quotes. */
function shellWord(name: string): string {
  return /^[\w.,+@%=-]+$/.test(name) ? name : `'${name.replaceAll("'", `'\\''`)}'`;
}

/**
 * `-c`: the segments of NAME.part's control file; else NAME.part (or NAME) as a prefix, whose
 * mtime (tcpkit stamps the server's Last-Modified on every file it writes) goes in If-Range.
 */
async function resumeState(job: DownloadJob): Promise<void> {
  const partial = job.final + PARTIAL_SUFFIX;
  const controlPath = partial + CONTROL_SUFFIX;
  const control = await readControlFile(controlPath).catch((err: unknown) => {
    job.options.onNotice?.(`ignoring ${controlPath}: ${(err as Error).message}`);
    return undefined;
  });
  if (control !== undefined && statFile(partial) !== undefined) {
    job.control = control;
    job.validator = control.validator;
    job.total = control.length;
    job.resume = "resumed";
    // The server's digest as the first response gave it, and the user's --checksum (as for a
    // fresh segmented run: attemptOnce).
    const options = job.options;
    job.digests = [
      ...(control.digest !== undefined && options.verifyDigest !== false ? [control.digest] : []),
      ...(options.checksum !== undefined ? [options.checksum] : []),
    ];
    return;
  }
  if (control !== undefined) await removeControlFile(controlPath);
  const existing = statFile(partial) ?? statFile(job.final);
  if (existing === undefined || existing.size === 0) return;
  job.writeTo = existing.path;
  job.size = existing.size;
  job.validator = { kind: "last-modified", value: formatHttpDate(existing.mtimeMs) };
}

/** Attempts until done, retrying transient failures and restarting when the resource changed. */
async function run(job: DownloadJob, started: number): Promise<DownloadResult> {
  const options = job.options;
  // DownloadOptions is a superset of httpGet's; httpGet ignores download's own fields.
  const http: HttpGetOptions = options;
  const conditions = conditionsOf(options, job);
  let restarts = 0;
  for (let attempt = 1; ; attempt++) {
    let outcome: Outcome;
    try {
      outcome = await attemptOnce(job, http, conditions);
    } catch (err) {
      if (options.signal?.aborted === true)
        throw await describePartial(interrupted(options.signal), job);
      if (isResourceChanged(err) && restarts < MAX_RESTARTS) {
        restarts++;
        options.onNotice?.(`${(err as Error).message}; starting again`);
        await startOver(job);
        attempt--;
        continue;
      }
      const decision = decideRetry(
        err,
        attempt,
        performance.now() - started,
        options.retry ?? {
          count: 0,
        },
      );
      if (!decision.retry) {
        if (decision.why !== undefined) options.onNotice?.(`not retrying: ${decision.why}`);
        throw isOnDisk(err, job) ? await describePartial(err, job) : fileFailure(err, job);
      }
      const wait = `${(decision.delayMs / 1000).toFixed(1)} s`;
      const why = decision.reason === "Retry-After" ? " (Retry-After)" : "";
      options.onNotice?.(
        `${(err as Error).message}; retry ${attempt} of ${options.retry?.count ?? 0} in ${wait}${why}`,
      );
      await sleep(decision.delayMs, undefined, { signal: options.signal }).catch(() => undefined);
      continue;
    }
    // The bytes are all there: what is left (length, digests, the name) is not retried.
    return finish(job, outcome, attempt, started);
  }
}

/** One attempt: the segments still to fetch, or one request (which may start segments). */
async function attemptOnce(
  job: DownloadJob,
  http: HttpGetOptions,
  conditions: HttpGetOptions["conditions"],
): Promise<Outcome> {
  if (job.control !== undefined) {
    await fetchSegments(job, http, undefined);
    return { kind: "saved" };
  }
  const outcome = await transferOnce(job, http, conditions);
  if (outcome.kind !== "segmented") return outcome;
  const { response, range, validator } = outcome;
  const segments = planSegments(range.complete, job.options.segments ?? 1);
  const digest = job.options.verifyDigest === false ? [] : serverDigest(response);
  // Created before there are segments to speak of: a file that cannot be made is said as such.
  await open(job.writeTo, "w").then(
    (file) => file.close(),
    (err: unknown) => {
      response.body.destroy();
      throw err;
    },
  );
  job.control = { url: job.url, length: range.complete, validator, digest: digest[0], segments };
  job.validator = validator;
  job.total = range.complete;
  job.response = response;
  job.digests = [...digest, ...(job.options.checksum ? [job.options.checksum] : [])];
  if (job.notice !== undefined) job.options.onNotice?.(job.notice);
  job.notice = undefined;
  await fetchSegments(job, http, response);
  return { kind: "saved" };
}

async function fetchSegments(
  job: DownloadJob,
  http: HttpGetOptions,
  first: HttpResponse | undefined,
): Promise<void> {
  const control = job.control as NonNullable<DownloadJob["control"]>;
  const unfinished = control.segments.filter((s) => s.done < s.end - s.start + 1).length;
  job.connections = Math.max(1, Math.min(job.options.segments ?? unfinished, unfinished));
  const { received } = await runSegments(
    {
      url: job.url,
      partPath: job.writeTo,
      controlPath: job.writeTo + CONTROL_SUFFIX,
      state: control,
      connections: job.connections,
      http,
      onProgress: (n, before) =>
        job.options.onProgress?.({ received: n, offset: before, total: control.length }),
      onNotice: job.options.onNotice,
      signal: job.options.signal,
    },
    first,
  );
  job.received += received;
  job.size = control.length;
}

/** The resource changed under a segmented or resumed download: drop everything, from byte 0. */
async function startOver(job: DownloadJob): Promise<void> {
  if (job.control !== undefined) await removeControlFile(job.writeTo + CONTROL_SUFFIX);
  job.control = undefined;
  job.size = 0;
  job.hash = undefined;
  job.validator = undefined;
  job.resume = "restarted";
}

/** The server's Repr-Digest of the whole representation, from a 206 that starts segments. */
function serverDigest(response: HttpResponse): ExpectedDigest[] {
  const field = readDigestField("Repr-Digest", response.header("repr-digest"));
  return field.kind === "digest" ? [field.digest] : [];
}

/** If-Modified-Since (-N, from NAME's mtime) and If-None-Match (--etag-compare). */
function conditionsOf(options: DownloadOptions, job: DownloadJob): HttpGetOptions["conditions"] {
  const conditions = {
    ...(job.newerThan !== undefined ? { ifModifiedSince: formatHttpDate(job.newerThan) } : {}),
    ...(options.ifNoneMatch !== undefined ? { ifNoneMatch: options.ifNoneMatch } : {}),
  };
  return Object.keys(conditions).length > 0 ? conditions : undefined;
}

/**
 * A system error from opening the file (a folder of `-o` that does not exist, EACCES) is a file
 * error, one line and exit 1, like the errors of writing it: not an "internal error".
 */
function fileFailure(err: unknown, job: DownloadJob): unknown {
  if (err instanceof TcpkitError || typeof (err as NodeJS.ErrnoException)?.syscall !== "string") {
    return err;
  }
  return new TcpkitError("ERR_FILE", `cannot write ${job.writeTo}: ${(err as Error).message}`, {
    cause: err,
  });
}

/** Whether a failure left bytes of this run worth describing (a body broke off, segments). */
function isOnDisk(err: unknown, job: DownloadJob): boolean {
  return job.control !== undefined || job.received > 0 || isBodyFailure(err);
}
