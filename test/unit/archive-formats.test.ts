/**
 * The archive wing's pure parts: tar headers (ustar fields, the checksum, pax records for long
 * and non-ASCII names, sizes from 8 GiB, out-of-range mtimes), zip records (ZIP64 fields only
 * where a 32-bit slot overflows, the end records past 65,535 entries or 4 GiB, DOS time),
 * Content-Disposition (RFC 6266 / 8187) and the `archive` query parameter.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { attachmentDisposition } from "../../src/archive/content-disposition.js";
import { archiveParameter } from "../../src/archive/serve-archives.js";
import { paxRecord, tarHeader, tarPadding } from "../../src/archive/tar-format.js";
import {
  centralHeader,
  dataDescriptor,
  dosDateTime,
  endOfArchive,
  localHeader,
} from "../../src/archive/zip-format.js";

const GiB = 1024 ** 3;
const file = { kind: "file" as const, mode: 0o644, mtimeMs: 1_000_000_000_500 };

/** A NUL-terminated field of a header as text. */
function field(h: Buffer, at: number, width: number): string {
  const raw = h.subarray(at, at + width).toString("latin1");
  const nul = raw.indexOf("\0");
  return nul === -1 ? raw : raw.slice(0, nul);
}

describe("tar headers", () => {
  it("a short ASCII name is one ustar block with a right checksum", () => {
    const h = tarHeader({ ...file, name: "site/a.txt", size: 10 });
    assert.equal(h.length, 512);
    assert.equal(field(h, 0, 100), "site/a.txt");
    assert.equal(field(h, 124, 12), "00000000012");
    assert.equal(parseInt(field(h, 136, 12), 8), 1_000_000_000);
    assert.equal(field(h, 257, 6), "ustar");
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
    assert.equal(parseInt(field(h, 148, 8), 8), sum);
  });

  it("a long ASCII path splits into prefix and name at a slash", () => {
    const name = "site/" + "d".repeat(90) + "/" + "f".repeat(90);
    const h = tarHeader({ ...file, name, size: 0 });
    assert.equal(h.length, 512);
    assert.equal(field(h, 345, 155), "site/" + "d".repeat(90));
    assert.equal(field(h, 0, 100), "f".repeat(90));
  });

  it("a component past 100 bytes, or a non-ASCII name, goes in a pax path record", () => {
    for (const name of ["site/" + "n".repeat(120), "site/日本.txt"]) {
      const h = tarHeader({ ...file, name, size: 3 });
      assert.equal(h.length, 512 * 3);
      assert.equal(String.fromCharCode(h[156] as number), "x");
      const records = h.subarray(512, 1024).toString("utf8");
      assert.ok(records.startsWith(paxRecord("path", name)), records);
      assert.equal(String.fromCharCode(h[1024 + 156] as number), "0");
    }
  });

  it("a size of 8 GiB or more goes in a pax size record (the octal field cannot hold it)", () => {
    const h = tarHeader({ ...file, name: "site/big", size: 9 * GiB });
    assert.match(h.subarray(512, 1024).toString("utf8"), /^\d+ size=9663676416\n/);
    assert.equal(field(h, 1024 + 124, 12), "00000000000");
    const fits = tarHeader({ ...file, name: "site/big", size: 5 * GiB });
    assert.equal(fits.length, 512);
    assert.equal(parseInt(field(fits, 124, 12), 8), 5 * GiB);
  });

  it("pax record lengths count their own digits", () => {
    for (const value of ["", "x".repeat(4), "x".repeat(93), "x".repeat(94), "é".repeat(500)]) {
      const r = paxRecord("path", value);
      assert.equal(Buffer.byteLength(r), Number(r.split(" ")[0]));
    }
  });

  it("folders are type 5; content is padded to whole blocks", () => {
    const h = tarHeader({ kind: "folder", name: "site/", size: 0, mode: 0o755, mtimeMs: 0 });
    assert.equal(String.fromCharCode(h[156] as number), "5");
    assert.deepEqual([0, 1, 511, 512, 513].map(tarPadding), [0, 511, 1, 0, 511]);
  });
});

describe("zip records", () => {
  it("a small file: descriptor flag and UTF-8 flag, no ZIP64", () => {
    const local = localHeader({ ...file, name: "site/é.txt", size: 5 });
    assert.equal(local.readUInt32LE(0), 0x04034b50);
    assert.equal(local.readUInt16LE(6), 0x0808);
    assert.equal(local.readUInt16LE(4), 20);
    assert.equal(local.subarray(30, 30 + local.readUInt16LE(26)).toString("utf8"), "site/é.txt");
    assert.equal(dataDescriptor(5, 0xdeadbeef).length, 16);
    const central = centralHeader({ ...file, name: "a", size: 5, crc32: 0xdeadbeef, offset: 7 });
    assert.equal(central.readUInt32LE(16), 0xdeadbeef);
    assert.equal(central.readUInt32LE(24), 5);
    assert.equal(central.readUInt32LE(42), 7);
    assert.equal(central.readUInt32LE(38) >>> 16, 0o100644);
  });

  it("a 5 GiB file: ZIP64 extra in local and central headers, 8-byte descriptor sizes", () => {
    const local = localHeader({ ...file, name: "b", size: 5 * GiB });
    assert.equal(local.readUInt16LE(4), 45);
    assert.equal(local.readUInt32LE(22), 0xffffffff);
    assert.equal(local.readUInt16LE(31), 0x0001);
    const d = dataDescriptor(5 * GiB, 1);
    assert.equal(d.length, 24);
    assert.equal(Number(d.readBigUInt64LE(16)), 5 * GiB);
    const c = centralHeader({ ...file, name: "b", size: 5 * GiB, crc32: 1, offset: 6 * GiB });
    assert.equal(c.readUInt32LE(20), 0xffffffff);
    assert.equal(c.readUInt32LE(42), 0xffffffff);
    assert.equal(c.readUInt16LE(47), 0x0001);
    assert.equal(c.readUInt16LE(49), 24); // sizes and offset, 8 bytes each
    assert.equal(Number(c.readBigUInt64LE(51 + 16)), 6 * GiB);
  });

  it("only the overflowing field gets a ZIP64 slot (a small file past 4 GiB)", () => {
    const c = centralHeader({ ...file, name: "c", size: 1, crc32: 1, offset: 5 * GiB });
    assert.equal(c.readUInt32LE(24), 1);
    assert.equal(c.readUInt16LE(49), 8);
    assert.equal(Number(c.readBigUInt64LE(51)), 5 * GiB);
  });

  it("end records: classic below the limits, ZIP64 past 65,535 entries or 4 GiB", () => {
    assert.equal(endOfArchive(3, 100, 50).length, 22);
    const many = endOfArchive(70_000, 100, 50);
    assert.equal(many.length, 56 + 20 + 22);
    assert.equal(many.readUInt32LE(0), 0x06064b50);
    assert.equal(Number(many.readBigUInt64LE(32)), 70_000);
    assert.equal(Number(many.readBigUInt64LE(56 + 8)), 150);
    assert.equal(many.readUInt16LE(76 + 10), 0xffff);
    assert.equal(endOfArchive(3, 5 * GiB, 50).length, 98);
    assert.equal(endOfArchive(65_534, 0, 0).length, 22);
  });

  it("DOS time: local fields, 2-second steps, clamped to 1980", () => {
    const t = new Date(2024, 1, 29, 13, 45, 31).getTime();
    const { time, date } = dosDateTime(t);
    assert.deepEqual([date >> 9, (date >> 5) & 15, date & 31], [44, 2, 29]);
    assert.deepEqual([time >> 11, (time >> 5) & 63, (time & 31) * 2], [13, 45, 30]);
    assert.deepEqual(dosDateTime(0), { time: 0, date: 33 });
  });
});

describe("Content-Disposition", () => {
  it("a plain name is quoted as it is", () => {
    assert.equal(attachmentDisposition("site.zip"), 'attachment; filename="site.zip"');
  });
  it("a non-ASCII or awkward name gets an ASCII fallback and filename*", () => {
    assert.equal(
      attachmentDisposition('日本 "x".tar'),
      `attachment; filename="__ _x_.tar"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%20%22x%22.tar`,
    );
    assert.equal(
      attachmentDisposition("a\r\nb%.zip"),
      "attachment; filename=\"a__b_.zip\"; filename*=UTF-8''a%0D%0Ab%25.zip",
    );
  });
});

describe("the archive query parameter", () => {
  it("is found among others, empty when bare, undefined when absent", () => {
    assert.equal(archiveParameter(""), undefined);
    assert.equal(archiveParameter("sort=name"), undefined);
    assert.equal(archiveParameter("sort=name&archive=zip"), "zip");
    assert.equal(archiveParameter("archive"), "");
    assert.equal(archiveParameter("archives=zip"), undefined);
  });
});
