/**
 * A segmented download (`-x N`): the resource's byte ranges fetched over N connections at once
 * into `NAME.part` at their offsets, progress recorded in the control file
 * (segment-control-file.ts). Every range request carries If-Range with the validator of the
 * first response, and every 206 is checked exactly (content-range.ts): the Content-Range start,
 * end and complete length must be what was asked and the Content-Length must agree.
 *
 * What goes wrong, and what happens:
 * - a 200, a 416 or a 206 of another version (another ETag or Last-Modified, another
 *   Repr-Digest) answers a range: the resource changed; a ResourceChanged error, on which the
 *   caller starts the whole download again (never a file mixed from two versions);
 * - a 206 with the wrong range: that response is not written; the remaining ranges are fetched
 *   again one at a time over one connection, and a second wrong range fails the download;
 * - any other failure (network, timeout, status): the other segments stop, the control file
 *   records what is on disk, and the error goes to the caller (which may retry or report).
 */
import { TcpkitError } from "../util/tcpkit-error.js";
import { interrupted } from "./connect.js";
import { checkPartial } from "./content-range.js";
import { copyBody } from "./copy-body.js";
import { FileSink } from "./file-sink.js";
import { readDigestField } from "./digest-check.js";
import { httpGet, type HttpGetOptions, type HttpResponse } from "./http-get.js";
import { withStatusHint } from "./retry-policy.js";
import { writeControlFile, type ControlState, type SegmentRecord } from "./segment-control-file.js";
import { contradicts } from "./validators.js";

/** Segments smaller than this are not worth a connection of their own. */
export const MIN_SEGMENT_BYTES = 1 << 20;
/** How often the control file is rewritten while segments run. */
const CONTROL_FLUSH_MS = 1000;

const changed = new WeakSet<Error>();
const wrongRange = new WeakSet<Error>();

/** True when a segment found that the resource is not the version being downloaded any more. */
export function isResourceChanged(err: unknown): boolean {
  return err instanceof Error && changed.has(err);
}

/** Splits `length` bytes into at most `count` segments of at least MIN_SEGMENT_BYTES. */
export function planSegments(length: number, count: number): SegmentRecord[] {
  const n = Math.max(1, Math.min(count, Math.floor(length / MIN_SEGMENT_BYTES)));
  const size = Math.ceil(length / n);
  const segments: SegmentRecord[] = [];
  for (let start = 0; start < length; start += size) {
    segments.push({ start, end: Math.min(length, start + size) - 1, done: 0 });
  }
  return segments;
}

/** What a segmented transfer needs. */
export interface SegmentedOptions {
  readonly url: string;
  /** NAME.part, which must exist (it is written with positional writes). */
  readonly partPath: string;
  readonly controlPath: string;
  readonly state: ControlState;
  /** Connections at once. */
  readonly connections: number;
  /** httpGet options (a pool, headers, timeouts, trust, trace). */
  readonly http: HttpGetOptions;
  /** Bytes received in this run, and what was on disk before it. */
  readonly onProgress?: ((receivedThisRun: number, doneBefore: number) => void) | undefined;
  readonly onNotice?: ((message: string) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

interface LiveSegment {
  readonly record: SegmentRecord;
  /** The stream writing this segment now, and `done` when it was opened. */
  stream: FileSink | undefined;
  base: number;
}

/**
 * Runs the unfinished segments of `options.state`; `first`, when given, is a 206 to
 * `bytes=0-` already checked by the caller, which serves the first segment. Resolves when every
 * segment is on disk (the control file is then the caller's to remove); rejects as described
 * above, with the control file written.
 */
export async function runSegments(
  options: SegmentedOptions,
  first?: HttpResponse,
): Promise<{ received: number }> {
  const run = new SegmentRun(options);
  return run.run(first);
}

class SegmentRun {
  private readonly segments: LiveSegment[];
  /** Stops the segments of the current fetchAll (and its signal, with the caller's). */
  private stopper = new AbortController();
  private signal: AbortSignal = this.stopper.signal;
  private failure: Error | undefined;
  private received = 0;
  private readonly doneBefore: number;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly o: SegmentedOptions) {
    this.segments = o.state.segments.map((record) => ({ record, stream: undefined, base: 0 }));
    this.doneBefore = o.state.segments.reduce((sum, s) => sum + s.done, 0);
  }

  async run(first: HttpResponse | undefined): Promise<{ received: number }> {
    const timer = setInterval(() => void this.flush(), CONTROL_FLUSH_MS);
    timer.unref();
    const onAbort = (): void => this.stop(interrupted(this.o.signal));
    this.o.signal?.addEventListener("abort", onAbort);
    try {
      await this.flush();
      try {
        await this.fetchAll(this.o.connections, first);
      } catch (err) {
        if (!wrongRange.has(err as Error) || this.o.signal?.aborted === true) throw err;
        // One server answer was not the range asked for: the others may be fine, but do not
        // trust parallel ranges from it any more; one connection, every answer still checked.
        this.o.onNotice?.(`${(err as Error).message}; continuing over one connection`);
        this.failure = undefined;
        await this.fetchAll(1, undefined);
      }
      return { received: this.received };
    } finally {
      clearInterval(timer);
      this.o.signal?.removeEventListener("abort", onAbort);
      await this.flush();
    }
  }

  /** Fetches every unfinished segment with `connections` workers; the first error stops all. */
  private async fetchAll(connections: number, first: HttpResponse | undefined): Promise<void> {
    this.stopper = new AbortController();
    const signals = [this.stopper.signal, ...(this.o.signal ? [this.o.signal] : [])];
    this.signal = AbortSignal.any(signals);
    const queue = this.segments.filter((s) => s.record.done < length(s.record));
    const firstSegment = first === undefined ? undefined : queue.shift();
    const worker = async (segment?: LiveSegment, response?: HttpResponse): Promise<void> => {
      if (segment !== undefined) await this.fetchSegment(segment, response);
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        await this.fetchSegment(next, undefined);
      }
    };
    const workers: Promise<void>[] = [];
    workers.push(worker(firstSegment, first));
    for (let i = 1; i < connections; i++) workers.push(worker());
    await Promise.all(workers.map((w) => w.catch((err: unknown) => this.stop(err as Error))));
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Records the first failure and stops every other segment: a request waiting for its head is
   * given up (its connection closed), a body being copied stops after what has arrived.
   */
  private stop(err: Error): void {
    this.failure ??= err;
    this.stopper.abort(new TcpkitError("ERR_INTERRUPTED", "stopped"));
  }

  private async fetchSegment(segment: LiveSegment, first: HttpResponse | undefined): Promise<void> {
    const record = segment.record;
    let response = first;
    while (record.done < length(record)) {
      if (this.failure !== undefined) throw this.failure;
      const start = record.start + record.done;
      if (response === undefined) {
        response = await httpGet(this.o.url, {
          ...this.o.http,
          signal: this.signal,
          range: { start, end: record.end, ifRange: this.o.state.validator.value },
        });
        if (this.failure !== undefined) {
          response.body.destroy();
          throw this.failure;
        }
        this.check(response, start, record.end);
      }
      const want = record.end - start + 1;
      const stream = new FileSink(this.o.partPath, "r+", start);
      segment.stream = stream;
      segment.base = record.done;
      let reported = 0;
      let received: number;
      try {
        received = await copyBody(response.body, stream, {
          limit: want,
          onProgress: (n) => {
            this.received += n - reported;
            reported = n;
            this.o.onProgress?.(this.received, this.doneBefore);
          },
          signal: this.signal,
        });
      } finally {
        record.done = segment.base + stream.bytesWritten;
        segment.stream = undefined;
      }
      if (received < want) {
        throw new TcpkitError(
          "ERR_HTTP_PROTOCOL",
          `the body for bytes ${start}-${record.end} ended after ${received} of ${want} bytes`,
        );
      }
      response = undefined;
    }
  }

  /** Checks a segment's response: the asked range of the same version, or it throws. */
  private check(response: HttpResponse, start: number, end: number): void {
    const { state } = this.o;
    const status = response.status;
    if (status === 200 || status === 416 || (status === 206 && this.otherVersion(response))) {
      response.body.destroy();
      const err = new TcpkitError(
        "ERR_HTTP_PROTOCOL",
        `the file changed on the server during the download (HTTP ${status} to a range request)`,
      );
      changed.add(err);
      throw err;
    }
    if (status !== 206) {
      response.body.destroy();
      throw withStatusHint(
        new TcpkitError(
          status >= 400 ? "ERR_HTTP_STATUS" : "ERR_HTTP_PROTOCOL",
          `HTTP ${status} to a range request from ${response.url}`,
        ),
        status,
        response.header("retry-after"),
      );
    }
    const checked = checkPartial(
      response.header("content-range"),
      response.contentLength,
      { start, end },
      state.length,
    );
    if (typeof checked === "string") {
      response.body.destroy();
      const err = new TcpkitError("ERR_HTTP_PROTOCOL", checked);
      wrongRange.add(err);
      throw err;
    }
  }

  /** A 206 whose validator or Repr-Digest is not the first response's. */
  private otherVersion(response: HttpResponse): boolean {
    if (contradicts(this.o.state.validator, response)) return true;
    const digest = readDigestField("Repr-Digest", response.header("repr-digest"));
    const known = this.o.state.digest;
    return (
      digest.kind === "digest" &&
      known !== undefined &&
      digest.digest.algorithm === known.algorithm &&
      !digest.digest.value.equals(known.value)
    );
  }

  /** Rewrites the control file with the bytes written so far (serialised, never concurrent). */
  private flush(): Promise<void> {
    const snapshot: ControlState = {
      ...this.o.state,
      segments: this.segments.map((s) => ({
        start: s.record.start,
        end: s.record.end,
        done: s.stream === undefined ? s.record.done : s.base + s.stream.bytesWritten,
      })),
    };
    this.flushing = this.flushing
      .then(() => writeControlFile(this.o.controlPath, snapshot))
      .catch(() => undefined);
    return this.flushing;
  }
}

function length(record: SegmentRecord): number {
  return record.end - record.start + 1;
}
