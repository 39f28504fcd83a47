/**
 * --compress work, bounded (issue 18 #4): at most COMPRESS_CONCURRENCY files are compressed at a
 * time, each streamed from its descriptor through zlib in FILE_CHUNK-sized pieces, so peak memory
 * is a few compressions' worth (window, chunks, output) whatever the number of distinct files
 * asked for at once, and the libuv thread pool (4 threads, shared with every file open) always
 * has threads left for other requests. A request whose copy is being made waits for it; one whose
 * copy is queued behind others gets the identity representation at once (never delayed), and the
 * copy is made for later requests. The queue is bounded too: past COMPRESS_QUEUE_MAX waiting
 * jobs, nothing is queued (a later request asks again).
 */
import { close, fstat, createReadStream } from "node:fs";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import type * as Zlib from "node:zlib";
import type { FileRange } from "../http/types.js";
import { nodeZlib as zlib } from "../util/lazy-builtin.js";

/** Compressions running at once (zlib work runs on the 4-thread libuv pool). */
export const COMPRESS_CONCURRENCY = 2;
/** Compressions waiting for a slot, at most. */
export const COMPRESS_QUEUE_MAX = 256;
/** Read size when streaming a file into the compressor. */
const READ_CHUNK = 256 * 1024;

/** What the queue needs of a file table entry: its bytes (small files) or a way to open it. */
export interface CompressSource {
  readonly bytes: Buffer | undefined;
  readonly size: number;
  readonly mtimeMs: number;
  readonly open: NonNullable<FileRange["open"]>;
}

/** One compressed copy being made (or made): `started` once it holds a slot. */
export interface CompressJob {
  readonly promise: Promise<Buffer | undefined>;
  started: boolean;
}

interface Waiting {
  readonly job: CompressJob;
  readonly run: () => Promise<Buffer | undefined>;
  readonly settle: (b: Buffer | undefined) => void;
}

/** The queue of one served site. */
export class CompressQueue {
  #running = 0;
  readonly #waiting: Waiting[] = [];

  /**
   * A job making `entry`'s copy in `coding`; undefined when the queue is full. The job starts at
   * once if a slot is free, else when one frees up.
   */
  submit(entry: CompressSource, coding: string): CompressJob | undefined {
    if (this.#running >= COMPRESS_CONCURRENCY && this.#waiting.length >= COMPRESS_QUEUE_MAX) {
      return undefined;
    }
    let settle!: (b: Buffer | undefined) => void;
    const promise = new Promise<Buffer | undefined>((resolve) => (settle = resolve));
    const job: CompressJob = { promise, started: false };
    const waiting: Waiting = { job, run: () => compressEntry(entry, coding), settle };
    if (this.#running < COMPRESS_CONCURRENCY) this.#start(waiting);
    else this.#waiting.push(waiting);
    return job;
  }

  #start(w: Waiting): void {
    this.#running++;
    w.job.started = true;
    void w.run().then(
      (b) => this.#done(w, b),
      () => this.#done(w, undefined),
    );
  }

  #done(w: Waiting, b: Buffer | undefined): void {
    this.#running--;
    w.settle(b);
    const next = this.#waiting.shift();
    if (next !== undefined) this.#start(next);
  }
}

const fstatFd = promisify(fstat);
let brotli: ((bytes: Buffer, options: Zlib.BrotliOptions) => Promise<Buffer>) | undefined;
let gzipAsync: ((bytes: Buffer, options: Zlib.ZlibOptions) => Promise<Buffer>) | undefined;

function brotliParams(size: number): Record<number, number> {
  const { constants } = zlib();
  return {
    [constants.BROTLI_PARAM_QUALITY]: 5,
    [constants.BROTLI_PARAM_SIZE_HINT]: size,
  };
}

/**
 * The compressed bytes of `entry` in `coding`, or undefined when they would not be smaller or
 * the file changed since the entry was built (the next request builds a new entry).
 */
async function compressEntry(entry: CompressSource, coding: string): Promise<Buffer | undefined> {
  if (entry.bytes !== undefined) {
    const out =
      coding === "br"
        ? await (brotli ??= promisify(zlib().brotliCompress))(entry.bytes, {
            params: brotliParams(entry.size),
          })
        : await (gzipAsync ??= promisify(zlib().gzip))(entry.bytes, { level: 6 });
    return out.length < entry.size ? out : undefined;
  }
  // Opened with the file table's check beneath the root (open-beneath.ts).
  const fd = await new Promise<number>((resolve, reject) =>
    entry.open((err, n) => (err !== null ? reject(err) : resolve(n))),
  );
  try {
    const zip =
      coding === "br"
        ? zlib().createBrotliCompress({ params: brotliParams(entry.size), chunkSize: READ_CHUNK })
        : zlib().createGzip({ level: 6, chunkSize: READ_CHUNK });
    const chunks: Buffer[] = [];
    let length = 0;
    let read = 0;
    const source = createReadStream("", {
      fd,
      autoClose: false,
      start: 0,
      end: entry.size - 1,
      highWaterMark: READ_CHUNK,
    });
    source.on("data", (c: Buffer | string) => (read += c.length));
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        length += chunk.length;
        chunks.push(chunk);
        // Not smaller than the file: not worth keeping, stop reading.
        cb(length >= entry.size ? new Error("incompressible") : null);
      },
    });
    await pipeline(source, zip, sink);
    const after = await fstatFd(fd);
    if (read !== entry.size || after.size !== entry.size || after.mtimeMs !== entry.mtimeMs) {
      return undefined;
    }
    return Buffer.concat(chunks, length);
  } catch {
    return undefined;
  } finally {
    close(fd, () => {});
  }
}
