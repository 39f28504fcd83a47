/**
 * download() to a stream (`-o -`): the body goes out as it arrives, so nothing can be taken
 * back. A retry continues with Range + If-Range after the bytes already written, and fails if
 * the server cannot continue them (a restart would repeat them); digests are checked over the
 * bytes written, and a mismatch is reported after the fact.
 */
import type { Hash } from "node:crypto";
import type { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { TcpkitError } from "../util/tcpkit-error.js";
import { interrupted } from "./connect.js";
import { checkPartial } from "./content-range.js";
import { copyBody } from "./copy-body.js";
import { assertDigest, newHash, readDigestField, type ExpectedDigest } from "./digest-check.js";
import { statusError, type DownloadOptions } from "./download-job.js";
import type { DownloadResult } from "./download-finish.js";
import { httpGet, type HttpGetOptions, type HttpResponse } from "./http-get.js";
import { decideRetry } from "./retry-policy.js";
import { contradicts, validatorOf, type Validator } from "./validators.js";

/** Downloads `url` into `output` (which is not ended), retrying as options.retry allows. */
export async function downloadToStream(
  url: string,
  output: Writable,
  options: DownloadOptions,
  started: number,
): Promise<DownloadResult> {
  const state: StreamState = { written: 0, validator: undefined, total: undefined, digests: [] };
  let hash: { algorithm: string; hash: Hash } | undefined;
  let response: HttpResponse | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      response = await requestPart(url, state, options);
      if (response.status === 304) {
        options.onNotice?.("not modified (304): nothing written");
        return result(response, state, attempt, started, []);
      }
      if (state.written === 0) {
        state.digests = expectedDigests(response, options);
        const first = state.digests[0];
        hash =
          first === undefined
            ? undefined
            : { algorithm: first.algorithm, hash: await newHash(first.algorithm) };
      }
      const failed = statusError(response, state.written > 0);
      const offset = state.written;
      await copyBody(response.body, output, {
        end: false,
        hash: hash?.hash,
        onProgress: (n) => {
          state.written = offset + n;
          options.onProgress?.({ received: n, offset, total: state.total });
        },
        signal: options.signal,
      });
      if (failed !== undefined) throw failed;
      if (state.total !== undefined && state.written < state.total) {
        throw new TcpkitError(
          "ERR_HTTP_PROTOCOL",
          `got ${state.written} of ${state.total} bytes from ${response.url}`,
        );
      }
      // The bytes are gone: only the digest hashed on the way can be checked.
      const checked = state.digests.filter((d) => d.algorithm === hash?.algorithm);
      const digest = checked.length > 0 ? hash?.hash.digest() : undefined;
      for (const expected of checked) assertDigest(expected, digest as Buffer, "the output");
      return result(response, state, attempt, started, checked);
    } catch (err) {
      if (options.signal?.aborted === true) throw interrupted(options.signal);
      const decision = decideRetry(err, attempt, performance.now() - started, {
        count: 0,
        ...options.retry,
      });
      if (!decision.retry) throw err;
      options.onNotice?.(
        `${(err as Error).message}; retry ${attempt} of ${options.retry?.count ?? 0} in ${(decision.delayMs / 1000).toFixed(1)} s`,
      );
      await sleep(decision.delayMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
}

interface StreamState {
  /** Body bytes written to the output so far. */
  written: number;
  validator: Validator | undefined;
  total: number | undefined;
  digests: ExpectedDigest[];
}

/** The next response: from byte 0, or the rest after what was written (checked exactly). */
async function requestPart(
  url: string,
  state: StreamState,
  options: DownloadOptions,
): Promise<HttpResponse> {
  const http: HttpGetOptions = options;
  if (state.written === 0) {
    const response = await httpGet(url, {
      ...http,
      ...(options.ifNoneMatch !== undefined
        ? { conditions: { ifNoneMatch: options.ifNoneMatch } }
        : {}),
    });
    options.onResponse?.(response);
    const failed = statusError(response, false);
    if (
      failed !== undefined &&
      (options.saveErrors !== true || failed.code !== "ERR_HTTP_STATUS")
    ) {
      response.body.destroy();
      throw failed;
    }
    state.validator = validatorOf(response);
    state.total = response.contentLength;
    return response;
  }
  const validator = state.validator;
  const cannot = `; cannot continue after the ${state.written} bytes already written to the output`;
  if (validator === undefined) {
    throw new TcpkitError("ERR_HTTP_PROTOCOL", `the server gave no validator${cannot}`);
  }
  const response = await httpGet(url, {
    ...http,
    range: { start: state.written, ifRange: validator.value },
  });
  options.onResponse?.(response);
  let checked =
    response.status === 206
      ? checkPartial(
          response.header("content-range"),
          response.contentLength,
          { start: state.written },
          state.total,
        )
      : `HTTP ${response.status} to a range request`;
  // A server that ignores If-Range answers with a range of whatever version it has now: after
  // the bytes written, that would splice two versions into the output.
  if (typeof checked !== "string" && contradicts(validator, response)) {
    checked = `the server sent part of another version (its ${validator.kind === "etag" ? "ETag" : "Last-Modified"} changed)`;
  }
  if (typeof checked === "string") {
    response.body.destroy();
    throw (
      statusError(response, true, cannot) ?? new TcpkitError("ERR_HTTP_PROTOCOL", checked + cannot)
    );
  }
  state.total = checked.complete;
  return response;
}

function expectedDigests(response: HttpResponse, options: DownloadOptions): ExpectedDigest[] {
  const out: ExpectedDigest[] = [];
  if (options.verifyDigest !== false && response.status === 200) {
    let field = readDigestField("Repr-Digest", response.header("repr-digest"));
    if (field.kind === "none")
      field = readDigestField("Content-Digest", response.header("content-digest"));
    if (field.kind === "digest") out.push(field.digest);
    if (field.kind === "unusable") options.onNotice?.(`not checked: ${field.reason}`);
  }
  if (options.checksum !== undefined) out.push(options.checksum);
  return out;
}

function result(
  response: HttpResponse,
  state: StreamState,
  attempts: number,
  started: number,
  digests: readonly ExpectedDigest[],
): DownloadResult {
  return {
    path: undefined,
    status: response.status,
    received: state.written,
    size: state.written,
    url: response.url,
    resume: "none",
    etag: response.header("etag"),
    verified: digests.map((d) => `${d.source} ${d.algorithm}`),
    connections: 1,
    attempts,
    elapsedMs: performance.now() - started,
    response,
  };
}
