/**
 * tar records (POSIX.1-2001 pax / ustar, IEEE Std 1003.1 "pax" format): the 512-byte ustar
 * header of one entry, preceded by a pax extended header when a value does not fit ustar (a
 * name past its 100 + 155 bytes, a non-ASCII name, a size of 8 GiB or more, an mtime outside
 * the 11 octal digits). Pure: values in, bytes out.
 */
import { zeroed } from "./zeroed.js";

export const TAR_BLOCK = 512;

/** One archive member as tar records it. */
export interface TarEntry {
  /** The member name, "/"-separated, relative; a folder's ends with "/". */
  readonly name: string;
  readonly kind: "file" | "folder";
  /** Bytes of content (0 for a folder). */
  readonly size: number;
  /** Permission bits (mode & 0o777). */
  readonly mode: number;
  readonly mtimeMs: number;
}

/** ustar's size field holds 11 octal digits: sizes from 8 GiB on go in a pax record. */
const MAX_OCTAL_11 = 8 ** 11 - 1;
const encoder = new TextEncoder();

/** The header records of `entry`: a pax header and its data when needed, then the ustar header. */
export function tarHeader(entry: TarEntry): Buffer {
  const pax: [string, string][] = [];
  const nameBytes = Buffer.from(entry.name, "utf8");
  // pax says path is UTF-8; ustar's fields are bytes of no stated encoding, so any non-ASCII
  // name goes in a pax record too (tar and python's tarfile then agree on it).
  const ascii = nameBytes.length === entry.name.length;
  const split = ascii ? splitUstarName(entry.name) : undefined;
  if (split === undefined) pax.push(["path", entry.name]);
  if (entry.size > MAX_OCTAL_11) pax.push(["size", String(entry.size)]);
  const mtime = Math.floor(entry.mtimeMs / 1000);
  if (mtime < 0 || mtime > MAX_OCTAL_11) pax.push(["mtime", String(mtime)]);
  const header = ustarHeader(
    split ?? { prefix: "", name: asciiFallback(entry.name) },
    entry.kind === "folder" ? "5" : "0",
    entry.size > MAX_OCTAL_11 ? 0 : entry.size,
    entry.mode,
    Math.min(Math.max(mtime, 0), MAX_OCTAL_11),
  );
  if (pax.length === 0) return header;
  const records = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(""), "utf8");
  const paxHead = ustarHeader(
    { prefix: "", name: "PaxHeader/" + asciiFallback(lastPart(entry.name)) },
    "x",
    records.length,
    0o644,
    Math.min(Math.max(mtime, 0), MAX_OCTAL_11),
  );
  return Buffer.concat([paxHead, records, zeroed(tarPadding(records.length)), header]);
}

/** Zero bytes that bring `size` bytes of content up to a whole block. */
export function tarPadding(size: number): number {
  const rest = size % TAR_BLOCK;
  return rest === 0 ? 0 : TAR_BLOCK - rest;
}

/** The end of an archive: two zero blocks. */
export function tarEnd(): Buffer {
  return zeroed(2 * TAR_BLOCK);
}

/**
 * One pax record, "LEN key=value\n", where LEN counts the whole record in bytes (its own digits
 * included), so its width is found by trying.
 */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = encoder.encode(body).length;
  let len = bodyBytes + 1;
  while (String(len).length + bodyBytes !== len) len = String(len).length + bodyBytes;
  return `${len}${body}`;
}

/** An ASCII name split into ustar's prefix (<= 155 bytes) and name (<= 100), at a "/". */
function splitUstarName(name: string): { prefix: string; name: string } | undefined {
  if (name.length <= 100) return { prefix: "", name };
  // The split "/" belongs to neither part; a folder's trailing "/" stays in `name`.
  for (let i = 1; i <= 155 && i < name.length - 1; i++) {
    if (name[i] === "/" && name.length - i - 1 <= 100) {
      return { prefix: name.slice(0, i), name: name.slice(i + 1) };
    }
  }
  return undefined;
}

/** The last component of a member name (a folder's keeps its "/"). */
function lastPart(name: string): string {
  const trimmed = name.endsWith("/") ? name.slice(0, -1) : name;
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** An ASCII stand-in for the ustar name field, cut to fit (the pax path is what readers use). */
function asciiFallback(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_");
  return ascii.length <= 100 ? ascii : ascii.slice(ascii.length - 100);
}

function ustarHeader(
  path: { prefix: string; name: string },
  type: string,
  size: number,
  mode: number,
  mtime: number,
): Buffer {
  const h = zeroed(TAR_BLOCK);
  h.write(path.name, 0, 100, "latin1");
  octal(h, 100, 8, mode & 0o7777);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, mtime);
  h.write(type, 156, 1, "latin1");
  h.write("ustar\u000000", 257, 8, "latin1");
  h.write(path.prefix, 345, 155, "latin1");
  // The checksum is computed with its own field as eight spaces (ustar).
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, "0") + "\u0000 ", 148, 8, "latin1");
  return h;
}

/** `value` as zero-padded octal digits filling `width - 1` bytes, then NUL. */
function octal(h: Buffer, offset: number, width: number, value: number): void {
  h.write(value.toString(8).padStart(width - 1, "0") + "\u0000", offset, width, "latin1");
}
