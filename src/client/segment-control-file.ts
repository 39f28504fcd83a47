/**
 * The control file of a segmented download, `NAME.part.tcpkit` beside `NAME.part`: which version
 * of the resource the partial file holds (its length and validator) and how much of each segment
 * is on disk, so that `-c` resumes after Ctrl-C, a crash or SIGKILL without fetching finished
 * bytes again. A segmented `.part` has holes, so it is never resumed as a prefix without it.
 *
 * It is rewritten whole (write to a temporary name, then rename, which is atomic) at most once a
 * second while the download runs and when it stops; it counts only bytes whose write has
 * completed, so it never claims bytes that are not in the file (after a process death: the
 * kernel keeps written pages; it is not fsync'ed, so a power loss may lose the last second).
 */
import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import type { ExpectedDigest } from "./digest-check.js";
import type { Validator } from "./validators.js";

/** Suffix of the control file, after NAME.part. */
export const CONTROL_SUFFIX = ".tcpkit";

/** One byte range of the resource and how much of it is in the file, from its start. */
export interface SegmentRecord {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
  /** Bytes from `start` on that are written. */
  done: number;
}

/** What the control file holds. */
export interface ControlState {
  readonly url: string;
  /** The resource's complete length. */
  readonly length: number;
  readonly validator: Validator;
  /** The server's Repr-Digest of this version, when it sent one. */
  readonly digest: ExpectedDigest | undefined;
  readonly segments: SegmentRecord[];
}

interface ControlJson {
  readonly tcpkit: "segmented-download";
  readonly version: 1;
  readonly url: string;
  readonly length: number;
  readonly validator: Validator;
  readonly digest?: { algorithm: string; value: string; source: string };
  readonly segments: [number, number, number][];
}

/** Writes `state` to `path` atomically. */
export async function writeControlFile(path: string, state: ControlState): Promise<void> {
  const json: ControlJson = {
    tcpkit: "segmented-download",
    version: 1,
    url: state.url,
    length: state.length,
    validator: state.validator,
    ...(state.digest !== undefined
      ? {
          digest: {
            algorithm: state.digest.algorithm,
            value: state.digest.value.toString("base64"),
            source: state.digest.source,
          },
        }
      : {}),
    segments: state.segments.map((s) => [s.start, s.end, s.done]),
  };
  const temporary = `${path}.new`;
  await writeFile(temporary, `${JSON.stringify(json)}\n`);
  await rename(temporary, path);
}

/**
 * Reads a control file: undefined when there is none; throws a plain Error saying why when it
 * is not one tcpkit wrote or its segments do not tile the resource.
 */
export async function readControlFile(path: string): Promise<ControlState | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const json = JSON.parse(text) as Partial<ControlJson>;
  if (json.tcpkit !== "segmented-download" || json.version !== 1) {
    throw new Error("not a tcpkit control file");
  }
  const { url, length, validator, segments } = json;
  if (
    typeof url !== "string" ||
    !Number.isSafeInteger(length) ||
    (validator?.kind !== "etag" && validator?.kind !== "last-modified") ||
    typeof validator.value !== "string" ||
    !Array.isArray(segments)
  ) {
    throw new Error("malformed control file");
  }
  const records = segments.map(([start, end, done]) => ({ start, end, done }));
  let next = 0;
  for (const s of records) {
    const ok =
      [s.start, s.end, s.done].every(Number.isSafeInteger) &&
      s.start === next &&
      s.end >= s.start &&
      s.done >= 0 &&
      s.done <= s.end - s.start + 1;
    if (!ok) throw new Error("control file segments do not tile the file");
    next = s.end + 1;
  }
  if (next !== length) throw new Error("control file segments do not cover the file");
  const digest =
    json.digest === undefined
      ? undefined
      : {
          algorithm: json.digest.algorithm,
          value: Buffer.from(json.digest.value, "base64"),
          source: json.digest.source,
        };
  return { url, length: length as number, validator, digest, segments: records };
}

/** Removes the control file (and a temporary left by a crash); no error if absent. */
export async function removeControlFile(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
  await unlink(`${path}.new`).catch(() => undefined);
}
