/**
 * Choosing the representation of a file to send (RFC 9110 §12.5.3): a precompressed sibling
 * (`file.br`, `file.gz`) when Accept-Encoding allows it, else a copy compressed on the fly with
 * --compress, else the file itself. Each variant has its own validators and header block.
 */
import { getField } from "../http/header-lookup.js";
import { codingQuality } from "../http/negotiation.js";
import type { RequestHead } from "../http/types.js";
import type { CompressJob, CompressQueue } from "./compress-queue.js";
import type { FileEntry, FileTable, Lookup } from "./file-table.js";

/** What the response carries: bytes in memory or a file on disk, and how to describe them. */
export interface Representation {
  /** The file to read when `bytes` is undefined. */
  readonly path: string;
  /** Opens `path` checked beneath the root (FileTable.openEntry). */
  readonly open: FileEntry["open"];
  readonly bytes: Buffer | undefined;
  readonly size: number;
  readonly etag: string;
  readonly mtimeMs: number;
  /** What Last-Modified says, in ms (FileEntry.lastModifiedMs): what preconditions compare. */
  readonly lastModifiedMs: number;
  /** The Content-Type of the original file, whatever the coding. */
  readonly contentType: string;
  /** "Content-Encoding: br\r\n" or "". */
  readonly encodingLine: string;
  /** Validators, Accept-Ranges, Vary and site headers, as in FileEntry. */
  readonly validatorBlock: string;
  /** Content-Type + encodingLine + validatorBlock: the header block of a 200. */
  readonly headerBlock: string;
  /** The response varies with Accept-Encoding. */
  readonly vary: boolean;
  /** The site's lines for this file (its Cache-Control, CORS, --header): a 304 carries them. */
  readonly siteHeaders: string;
}

/** Files smaller than this are not compressed on the fly: the saving is lost in packet overhead. */
export const MIN_COMPRESS_BYTES = 1024;
/** Files larger than this are not compressed on the fly (memory, CPU per first request). */
export const MAX_COMPRESS_BYTES = 8 * 1024 * 1024;

const CODINGS = [
  { coding: "br", suffix: ".br" },
  { coding: "gzip", suffix: ".gz" },
] as const;

const siblingReps = new WeakMap<FileEntry, Representation>();
const identityReps = new WeakMap<FileEntry, Representation>();

/**
 * The representation of `entry` for this request. Precompressed siblings are looked up (through
 * the file table, so with the same containment and freshness rules) only for compressible types;
 * on-the-fly compression never applies to range requests, so ranges are always over the bytes
 * the client would get for a 200 of the same variant.
 */
export function selectRepresentation(
  head: RequestHead,
  entry: FileEntry,
  options: SelectOptions,
): Representation | Promise<Representation> {
  const ae = getField(head, "accept-encoding");
  if (ae === undefined || !entry.compressible) return identity(entry);
  const wanted = CODINGS.filter((c) => codingQuality(ae, c.coding) > 0).sort(
    (a, b) => codingQuality(ae, b.coding) - codingQuality(ae, a.coding),
  );
  if (wanted.length === 0) return identity(entry);
  const segments = entry.cacheKey.split("/");
  const last = segments.pop() ?? "";
  // Synchronous while the file table answers from its fast path (the usual case: no sibling).
  for (let i = 0; i < wanted.length; i++) {
    const { coding, suffix } = wanted[i] as (typeof CODINGS)[number];
    const found = options.table.lookup([...segments, last + suffix]);
    if (found instanceof Promise) return finishSelect(head, entry, options, wanted, i, found);
    if (found.kind === "file") return sibling(entry, found.entry, coding);
  }
  return compressOrIdentity(head, entry, options, wanted);
}

interface SelectOptions {
  readonly table: FileTable;
  readonly queue: CompressQueue;
  readonly compress: boolean;
}

type Coding = (typeof CODINGS)[number];

/** The rest of selectRepresentation once a sibling lookup had to touch the disk. */
async function finishSelect(
  head: RequestHead,
  entry: FileEntry,
  options: SelectOptions,
  wanted: readonly Coding[],
  index: number,
  pending: Promise<Lookup>,
): Promise<Representation> {
  const segments = entry.cacheKey.split("/");
  const last = segments.pop() ?? "";
  for (let i = index; i < wanted.length; i++) {
    const { coding, suffix } = wanted[i] as Coding;
    const found =
      i === index ? await pending : await options.table.lookup([...segments, last + suffix]);
    if (found.kind === "file") return sibling(entry, found.entry, coding);
  }
  return compressOrIdentity(head, entry, options, wanted);
}

/** --compress for eligible files and requests, else the file as it is. */
function compressOrIdentity(
  head: RequestHead,
  entry: FileEntry,
  options: SelectOptions,
  wanted: readonly Coding[],
): Representation | Promise<Representation> {
  if (
    !options.compress ||
    getField(head, "range") !== undefined ||
    entry.size < MIN_COMPRESS_BYTES ||
    entry.size > MAX_COMPRESS_BYTES
  ) {
    return identity(entry);
  }
  return (async () => {
    for (const { coding } of wanted) {
      const job = compressJob(entry, coding, options);
      // Queued behind other files' copies (or the queue is full): the file as it is, now.
      if (job === undefined || !job.started) return identity(entry);
      const bytes = await job.promise;
      if (bytes !== undefined) return onTheFly(entry, coding, bytes);
    }
    return identity(entry);
  })();
}

function identity(entry: FileEntry): Representation {
  let rep = identityReps.get(entry);
  if (rep === undefined) {
    rep = {
      path: entry.realPath,
      open: entry.open,
      bytes: entry.bytes,
      size: entry.size,
      etag: entry.etag,
      mtimeMs: entry.mtimeMs,
      lastModifiedMs: entry.lastModifiedMs,
      contentType: entry.contentType,
      encodingLine: "",
      validatorBlock: entry.validatorBlock,
      headerBlock: entry.headerBlock,
      vary: entry.compressible,
      siteHeaders: entry.siteHeaders,
    };
    identityReps.set(entry, rep);
  }
  return rep;
}

function sibling(original: FileEntry, sib: FileEntry, coding: string): Representation {
  let rep = siblingReps.get(sib);
  if (rep === undefined || rep.contentType !== original.contentType) {
    const encodingLine = `Content-Encoding: ${coding}\r\n`;
    const validatorBlock = sib.compressible
      ? sib.validatorBlock
      : `Vary: Accept-Encoding\r\n${sib.validatorBlock}`;
    rep = {
      path: sib.realPath,
      open: sib.open,
      bytes: sib.bytes,
      size: sib.size,
      etag: sib.etag,
      mtimeMs: sib.mtimeMs,
      lastModifiedMs: sib.lastModifiedMs,
      contentType: original.contentType,
      encodingLine,
      validatorBlock,
      headerBlock: `Content-Type: ${original.contentType}\r\n${encodingLine}${validatorBlock}`,
      vary: true,
      siteHeaders: sib.siteHeaders,
    };
    siblingReps.set(sib, rep);
  }
  return rep;
}

function onTheFly(entry: FileEntry, coding: string, bytes: Buffer): Representation {
  const siteHeaders = entry.siteHeaders;
  const etag = `${entry.etag.slice(0, -1)}-${coding}"`;
  const encodingLine = `Content-Encoding: ${coding}\r\n`;
  const validatorBlock =
    `Last-Modified: ${entry.lastModified}\r\nETag: ${etag}\r\nAccept-Ranges: bytes\r\n` +
    `Vary: Accept-Encoding\r\n${siteHeaders}`;
  return {
    path: entry.realPath,
    open: entry.open,
    bytes,
    size: bytes.length,
    etag,
    mtimeMs: entry.mtimeMs,
    lastModifiedMs: entry.lastModifiedMs,
    contentType: entry.contentType,
    encodingLine,
    validatorBlock,
    headerBlock: `Content-Type: ${entry.contentType}\r\n${encodingLine}${validatorBlock}`,
    vary: true,
    siteHeaders,
  };
}

/** The job making `entry`'s copy in `coding`, made once per file version (kept in the entry). */
function compressJob(
  entry: FileEntry,
  coding: string,
  options: SelectOptions,
): CompressJob | undefined {
  let job = entry.compressed.get(coding);
  if (job === undefined) {
    job = options.queue.submit(entry, coding);
    if (job === undefined) return undefined;
    void job.promise.then((b) => {
      if (b !== undefined) options.table.noteCompressed(entry, b.length);
    });
    entry.compressed.set(coding, job);
  }
  return job;
}
