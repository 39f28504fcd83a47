/**
 * The end of a download to a file (download.ts): the checks that decide whether the bytes on
 * disk become NAME (the length the server stated, every digest known for the file), the
 * Last-Modified stamp, the no-clobber move, and the result.
 */
import { basename } from "node:path";
import { TcpkitError } from "../util/tcpkit-error.js";
import { assertDigest, hashFile } from "./digest-check.js";
import { describePartial, type DownloadJob } from "./download-job.js";
import type { HttpResponse } from "./http-get.js";
import { renameInto, stampLastModified, statFile } from "./output-file.js";
import { CONTROL_SUFFIX, removeControlFile } from "./segment-control-file.js";
import type { Outcome } from "./single-transfer.js";

/** What download did. */
export interface DownloadResult {
  /** The file written, or undefined when the output was a stream. */
  readonly path: string | undefined;
  /** The final status (200, 206; 304 or 416 when nothing needed fetching). */
  readonly status: number;
  /** Bytes of body received in this run (not counting resumed bytes). */
  readonly received: number;
  /** Size of the file now. */
  readonly size: number;
  /** The URL after redirects. */
  readonly url: string;
  /** How the run went with respect to an existing file. */
  readonly resume: DownloadJob["resume"];
  /** The response's ETag (for --etag-save), if any. */
  readonly etag: string | undefined;
  /** The digests the file was checked against: "Repr-Digest sha256", "--checksum sha1". */
  readonly verified: readonly string[];
  /** Connections used at once (segments). */
  readonly connections: number;
  /** Attempts made (1 + retries). */
  readonly attempts: number;
  /** From the call to the end, in ms. */
  readonly elapsedMs: number;
  /** The response the file came from (for --write-out), when there was one. */
  readonly response: HttpResponse | undefined;
}

/**
 * The end of a run: a file complete as the server described it and matching every digest gets
 * its name; otherwise it stays NAME.part with an error.
 */
export async function finish(
  job: DownloadJob,
  outcome: Outcome,
  attempts: number,
  started: number,
): Promise<DownloadResult> {
  const options = job.options;
  const special = job.special;
  const result = (path: string | undefined, status: number): DownloadResult => ({
    path,
    status,
    received: job.received,
    size: job.size,
    url: job.response?.url ?? job.url,
    resume: job.resume,
    etag: job.response?.header("etag"),
    verified: job.digests.map((d) => `${d.source} ${d.algorithm}`),
    connections: job.connections,
    attempts,
    elapsedMs: performance.now() - started,
    response: job.response,
  });
  if (outcome.kind === "not-modified") {
    options.onNotice?.(`${basename(job.final)} is up to date: ${outcome.why}`);
    job.resume = "not-modified";
    job.digests = [];
    return result(job.final, 304);
  }
  // Already complete: job.digests are the 416's Repr-Digest and --checksum (single-transfer.ts).
  if (outcome.kind === "already-complete") job.resume = "already-complete";
  if (!special) {
    const size = statFile(job.writeTo)?.size ?? 0;
    // A file becomes NAME only when it holds as many bytes as the server said (issue 18 item 7).
    if (job.total !== undefined && size !== job.total) {
      throw await describePartial(
        new TcpkitError("ERR_HTTP_PROTOCOL", `got ${size} of ${job.total} bytes`),
        job,
      );
    }
    job.size = size;
    await checkDigests(job);
  }
  if (job.response !== undefined) stampLastModified(job.writeTo, job.response);
  const path =
    job.writeTo === job.final
      ? job.final
      : renameInto(job.writeTo, job.final, job.overwrite, options.onNotice);
  if (job.control !== undefined) await removeControlFile(job.writeTo + CONTROL_SUFFIX);
  if (outcome.kind === "already-complete") {
    options.onNotice?.(`${basename(job.final)} was already complete (${job.size} bytes)`);
    return result(path, 416);
  }
  const status = job.response?.status ?? 200;
  if (status >= 400) {
    throw new TcpkitError(
      "ERR_HTTP_STATUS",
      `HTTP ${status}${job.response?.reason ? ` ${job.response.reason}` : ""} from ${job.response?.url ?? job.url}; body saved to ${path}`,
    );
  }
  return result(path, status);
}

/** Every digest known for the file must match; a mismatch keeps NAME.part for inspection. */
async function checkDigests(job: DownloadJob): Promise<void> {
  const inline = job.hash;
  let inlineDigest: Buffer | undefined;
  for (const expected of job.digests) {
    let actual: Buffer;
    if (inline !== undefined && inline.algorithm === expected.algorithm) {
      inlineDigest ??= inline.hash.digest();
      actual = inlineDigest;
    } else {
      actual = await hashFile(job.writeTo, expected.algorithm);
    }
    try {
      assertDigest(expected, actual, job.writeTo);
    } catch (err) {
      if (job.control !== undefined) await removeControlFile(job.writeTo + CONTROL_SUFFIX);
      job.control = undefined;
      const e = err as TcpkitError;
      throw new TcpkitError(e.code, `${e.message}; kept as ${job.writeTo} for inspection`);
    }
  }
}
