/**
 * zip records for a streamed archive (PKWARE APPNOTE 6.3.10): local headers with a data
 * descriptor after the data (bit 3: the CRC-32 is known only once the file is read), stored
 * (method 0), UTF-8 names (bit 11), the modification time as DOS fields and as the extended
 * timestamp (0x5455, UTC seconds), ZIP64 (§4.5.3, §4.3.14) for sizes and offsets past 4 GiB and
 * for more than 65,535 entries. Pure: values in, bytes out.
 */
import { zeroed } from "./zeroed.js";

/** One member as the central directory records it. */
export interface ZipEntry {
  /** UTF-8 name, "/"-separated, relative; a folder's ends with "/". */
  readonly name: string;
  readonly kind: "file" | "folder";
  readonly size: number;
  readonly crc32: number;
  readonly mode: number;
  readonly mtimeMs: number;
  /** Where its local header starts. */
  readonly offset: number;
}

const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
/** General purpose flags: bit 3 data descriptor, bit 11 UTF-8 names. */
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
/** Version needed: 2.0 (folders, plain entries), 4.5 (ZIP64). */
const V20 = 20;
const V45 = 45;
/** Version made by: Unix (3), so external attributes carry the mode. */
const MADE_BY = (3 << 8) | V45;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** A file entry whose size or descriptor needs ZIP64 (a size the 32-bit fields cannot hold). */
export function needsZip64(size: number): boolean {
  return size >= U32_MAX;
}

/**
 * The local file header. A file's has bit 3 set and zero CRC and sizes (the descriptor after
 * the data carries them); a ZIP64 file's carries the ZIP64 extra field, which tells readers
 * that its descriptor's sizes are 8 bytes (§4.3.9.2). A folder has no data and no descriptor.
 */
export function localHeader(entry: Omit<ZipEntry, "crc32" | "offset">): Buffer {
  const name = Buffer.from(entry.name, "utf8");
  const zip64 = entry.kind === "file" && needsZip64(entry.size);
  const extra = Buffer.concat([
    zip64 ? zip64Extra([0, 0]) : zeroed(0),
    timestampExtra(entry.mtimeMs),
  ]);
  const h = zeroed(30);
  const { time, date } = dosDateTime(entry.mtimeMs);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(zip64 ? V45 : V20, 4);
  h.writeUInt16LE(FLAG_UTF8 | (entry.kind === "file" ? FLAG_DESCRIPTOR : 0), 6);
  h.writeUInt16LE(0, 8); // stored
  h.writeUInt16LE(time, 10);
  h.writeUInt16LE(date, 12);
  // CRC-32 and sizes (14..25) stay zero: in the descriptor, or zero for a folder.
  if (zip64) {
    h.writeUInt32LE(U32_MAX, 18);
    h.writeUInt32LE(U32_MAX, 22);
  }
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, name, extra]);
}

/** The data descriptor after a file's data (§4.3.9): sizes of 8 bytes each for a ZIP64 entry. */
export function dataDescriptor(size: number, crc32: number): Buffer {
  const zip64 = needsZip64(size);
  const d = zeroed(zip64 ? 24 : 16);
  d.writeUInt32LE(0x08074b50, 0);
  d.writeUInt32LE(crc32 >>> 0, 4);
  if (zip64) {
    d.writeBigUInt64LE(BigInt(size), 8);
    d.writeBigUInt64LE(BigInt(size), 16);
  } else {
    d.writeUInt32LE(size, 8);
    d.writeUInt32LE(size, 12);
  }
  return d;
}

/** The central directory header of `entry` (§4.3.12), with ZIP64 fields for what overflows. */
export function centralHeader(entry: ZipEntry): Buffer {
  const name = Buffer.from(entry.name, "utf8");
  const bigSize = needsZip64(entry.size);
  const bigOffset = entry.offset >= U32_MAX;
  // §4.5.3: only the fields whose 32-bit slot says 0xFFFFFFFF, in this order.
  const wide: number[] = [];
  if (bigSize) wide.push(entry.size, entry.size);
  if (bigOffset) wide.push(entry.offset);
  const extra = Buffer.concat([
    wide.length > 0 ? zip64Extra(wide) : zeroed(0),
    timestampExtra(entry.mtimeMs),
  ]);
  const h = zeroed(46);
  const { time, date } = dosDateTime(entry.mtimeMs);
  const file = entry.kind === "file";
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(MADE_BY, 4);
  h.writeUInt16LE(wide.length > 0 ? V45 : V20, 6);
  h.writeUInt16LE(FLAG_UTF8 | (file ? FLAG_DESCRIPTOR : 0), 8);
  h.writeUInt16LE(0, 10);
  h.writeUInt16LE(time, 12);
  h.writeUInt16LE(date, 14);
  h.writeUInt32LE(entry.crc32 >>> 0, 16);
  h.writeUInt32LE(bigSize ? U32_MAX : entry.size, 20);
  h.writeUInt32LE(bigSize ? U32_MAX : entry.size, 24);
  h.writeUInt16LE(name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  // comment length, disk number start, internal attributes: zero
  const mode = (file ? S_IFREG : S_IFDIR) | (entry.mode & 0o777);
  // Unix mode in the high 16 bits; MS-DOS directory bit (0x10) in the low ones for folders.
  h.writeUInt32LE(((mode << 16) | (file ? 0 : 0x10)) >>> 0, 38);
  h.writeUInt32LE(bigOffset ? U32_MAX : entry.offset, 42);
  return Buffer.concat([h, name, extra]);
}

/**
 * The end of the archive: for more than 65,535 entries or a directory at or past 4 GiB, the
 * ZIP64 end record and its locator (§4.3.14, §4.3.15), then the classic end record with
 * 0xFFFF / 0xFFFFFFFF in what overflowed.
 */
export function endOfArchive(count: number, dirOffset: number, dirSize: number): Buffer {
  const zip64 = count > U16_MAX - 1 || dirOffset >= U32_MAX || dirSize >= U32_MAX;
  const end = zeroed(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? U16_MAX : count, 8);
  end.writeUInt16LE(zip64 ? U16_MAX : count, 10);
  end.writeUInt32LE(zip64 ? U32_MAX : dirSize, 12);
  end.writeUInt32LE(zip64 ? U32_MAX : dirOffset, 16);
  if (!zip64) return end;
  const record = zeroed(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4); // the size of the rest of this record
  record.writeUInt16LE(MADE_BY, 12);
  record.writeUInt16LE(V45, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(dirSize), 40);
  record.writeBigUInt64LE(BigInt(dirOffset), 48);
  const locator = zeroed(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(dirOffset + dirSize), 8);
  locator.writeUInt32LE(1, 16); // total disks
  return Buffer.concat([record, locator, end]);
}

/** The ZIP64 extended information extra field (tag 0x0001) with these 8-byte values. */
function zip64Extra(values: readonly number[]): Buffer {
  const b = zeroed(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

/** The extended timestamp extra field (0x5455): the mtime in UTC seconds, exact where DOS is not. */
function timestampExtra(mtimeMs: number): Buffer {
  const b = zeroed(9);
  b.writeUInt16LE(0x5455, 0);
  b.writeUInt16LE(5, 2);
  b.writeUInt8(1, 4); // mtime present
  const seconds = Math.floor(mtimeMs / 1000);
  b.writeInt32LE(Math.min(Math.max(seconds, -(2 ** 31)), 2 ** 31 - 1), 5);
  return b;
}

/**
 * MS-DOS date and time (2-second steps, 1980-2107) in the server's local time, as Info-ZIP's
 * zip writes them; readers that know the 0x5455 field use its UTC seconds instead.
 */
export function dosDateTime(mtimeMs: number): { time: number; date: number } {
  const d = new Date(mtimeMs);
  const year = d.getFullYear();
  if (year < 1980) return { time: 0, date: (1 << 5) | 1 }; // 1980-01-01 00:00
  if (year > 2107) return { time: (23 << 11) | (59 << 5) | 29, date: (127 << 9) | (12 << 5) | 31 };
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}
