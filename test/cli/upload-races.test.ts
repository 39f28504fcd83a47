/**
 * An upload racing a download of the same file (issue 14): with --overwrite, a PUT replacing a
 * file while a client is part-way through downloading it leaves that download whole and of one
 * version (all old bytes: the server keeps reading the file it opened, the new one is renamed
 * into place), and the next download gets the new version whole.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServe, type RunningServer } from "../support/cli.js";
import { openSocket } from "../support/raw-socket.js";
import { runTool } from "../support/tools.js";

let base: string;
let root: string;
let server: RunningServer;

/** Larger than what loopback's socket buffers hold, so the download is truly part-way. */
const SIZE = 32 * 1024 * 1024;

before(async () => {
  base = mkdtempSync(join(tmpdir(), "tcpkit-upload-races-"));
  root = join(base, "root");
  mkdirSync(root);
  writeFileSync(join(root, "same.bin"), Buffer.alloc(SIZE, 0x41));
  writeFileSync(join(base, "new.bin"), Buffer.alloc(SIZE, 0x42));
  server = await startServe(root, "--upload", "--overwrite");
});
after(async () => {
  await server?.stop();
  rmSync(base, { recursive: true, force: true });
});

/** GET /same.bin, pausing after the first bytes until `meanwhile` is done; the whole body. */
async function downloadAround(meanwhile: () => Promise<void>): Promise<Buffer> {
  const socket = await openSocket(server.port);
  const chunks: Buffer[] = [];
  let paused = false;
  let resumeAt: (() => void) | undefined;
  const started = new Promise<void>((resolve) => (resumeAt = resolve));
  const ended = new Promise<void>((resolve, reject) => {
    socket.on("data", (c: Buffer) => {
      chunks.push(c);
      if (!paused) {
        paused = true;
        socket.pause();
        resumeAt?.();
      }
    });
    socket.on("end", () => resolve());
    socket.on("error", reject);
  });
  socket.write("GET /same.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  await started;
  await meanwhile();
  socket.resume();
  await ended;
  const all = Buffer.concat(chunks);
  const headEnd = all.indexOf("\r\n\r\n");
  const head = all.subarray(0, headEnd).toString("latin1");
  assert.match(head, /^HTTP\/1\.1 200 /);
  assert.match(head, new RegExp(`\r\nContent-Length: ${SIZE}\r\n`, "i"));
  return all.subarray(headEnd + 4);
}

describe("an upload while the same file is downloaded", () => {
  it("the download part-way gets all the old bytes; the next one all the new", async () => {
    const body = await downloadAround(async () => {
      const r = await runTool("curl", [
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-T",
        join(base, "new.bin"),
        `http://127.0.0.1:${server.port}/same.bin`,
      ]);
      assert.equal(r.stdout.toString(), "204");
    });
    assert.equal(body.length, SIZE);
    assert.ok(body.equals(Buffer.alloc(SIZE, 0x41)), "one whole version: the old one");
    const after = await runTool("curl", ["-sS", `http://127.0.0.1:${server.port}/same.bin`]);
    assert.ok(after.stdout.equals(Buffer.alloc(SIZE, 0x42)), "the new version, whole");
  });
});
