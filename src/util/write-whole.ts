/**
 * Writing a small file whole or not at all: the bytes go to a temporary name beside the target
 * (same folder, so the same file system) and rename() puts them in place in one step. A process
 * killed mid-write, or two processes writing the same file at once, leave the old file or one
 * complete new one, never half of one or a mix.
 */
import { randomBytes } from "node:crypto";
import { rename, unlink, writeFile } from "node:fs/promises";

export async function writeWhole(
  path: string,
  data: string | Uint8Array,
  mode = 0o666,
): Promise<void> {
  const temp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    // mode applies at creation, so a key is never readable by others, not even for a moment
    await writeFile(temp, data, { mode, flag: "wx" });
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}
