/**
 * upload-file's TempFile against a folder swapped for a symlink after its check (the race
 * util/open-beneath.ts closes): the file is refused and what was created removed; inside the
 * upload folder it writes, truncates and commits byte-exact.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
} from "node:fs";
import { rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { TempFile } from "../../src/upload/upload-file.js";
import { readRecord, writeRecord } from "../../src/upload/upload-record.js";

let base: string;
let uploads: string;

before(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "tcpkit-upload-file-")));
  uploads = join(base, "uploads");
  mkdirSync(join(uploads, "in"), { recursive: true });
  mkdirSync(join(base, "outside"));
  // As if "in/swapped" was a real folder when checked, and a symlink out when opened.
  symlinkSync(join(base, "outside"), join(uploads, "in", "swapped"));
});
after(() => rmSync(base, { recursive: true, force: true }));

describe("TempFile", () => {
  it("refuses a folder that leads out of the upload folder, and removes what it created", async () => {
    await assert.rejects(TempFile.create(uploads, join(uploads, "in", "swapped")), {
      code: "ENOENT",
    });
    assert.deepEqual(readdirSync(join(base, "outside")), []);
    await assert.rejects(
      writeRecord(uploads, join(uploads, "in", "swapped"), "0".repeat(32), {
        name: "x",
        length: undefined,
        created: 1,
      }),
      { code: "ENOENT" },
    );
    assert.deepEqual(readdirSync(join(base, "outside")), []);
  });

  it("writes, truncates and commits inside the upload folder; records read back", async () => {
    const folder = join(uploads, "in");
    const file = await TempFile.create(uploads, folder);
    await file.write(Buffer.from("hello "));
    await file.write(Buffer.from("world"));
    await file.truncate(5);
    assert.equal(file.bytes, 5);
    await file.write(Buffer.from("!"));
    await file.finish();
    assert.equal(await file.commit(folder, "greeting.txt", false), false);
    assert.equal(readFileSync(join(folder, "greeting.txt"), "utf8"), "hello!");
    assert.equal(existsSync(file.path), false);
    const id = "a".repeat(32);
    await writeRecord(uploads, folder, id, { name: "n", length: 3, created: 7 });
    assert.deepEqual(await readRecord(uploads, folder, id), { name: "n", length: 3, created: 7 });
    assert.equal(await readRecord(uploads, join(uploads, "in", "swapped"), id), undefined);
  });
});
