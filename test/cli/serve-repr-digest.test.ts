/**
 * Issue 16: `tcpkit serve` sends Repr-Digest (RFC 9530) for files, and `tcpkit get` checks it
 * end to end. Small files carry it from the first response; a large one from once it has been
 * hashed in the background; a range carries the whole representation's digest; a gzip variant
 * its own; Want-Repr-Digest picks the algorithm or turns it off; a changed file gets a new one.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli, startServe, type RunningServer } from "../support/cli.js";

let root: string;
let server: RunningServer;
const BIG = randomBytes(3 * 1024 * 1024 + 17);
const TEXT = "tcpkit ".repeat(400); // compressible, over --compress's 1 KiB floor

before(async () => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-digest-"));
  writeFileSync(join(root, "small.txt"), "hello\n");
  writeFileSync(join(root, "big.bin"), BIG);
  writeFileSync(join(root, "page.txt"), TEXT);
  writeFileSync(join(root, "changes.txt"), "version 1\n");
  server = await startServe(root, "--compress");
});
after(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

const b64 = (algorithm: string, bytes: Buffer | string): string =>
  createHash(algorithm).update(bytes).digest("base64");

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: server.port, path, method, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout on ${path}`)));
    req.on("error", reject);
    req.end();
  });
}

/** GETs `path` until it carries Repr-Digest (the background hash done), at most 10 s. */
async function digestOnceKnown(path: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await get(path, {}, "HEAD");
    const d = r.headers["repr-digest"];
    if (typeof d === "string") return d;
    assert.ok(Date.now() < deadline, `${path}: no Repr-Digest within 10 s`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe("serve: Repr-Digest (RFC 9530)", () => {
  it("a small file carries sha-256 of its bytes from the first response, GET and HEAD", async () => {
    const want = `sha-256=:${b64("sha256", "hello\n")}:`;
    const r = await get("/small.txt");
    assert.equal(r.headers["repr-digest"], want);
    assert.equal((await get("/small.txt", {}, "HEAD")).headers["repr-digest"], want);
  });

  it("a large file gets it once hashed in the background; a range carries the whole file's", async () => {
    const first = await get("/big.bin");
    assert.ok(first.body.equals(BIG), "the first response is not held back for the hash");
    const want = `sha-256=:${b64("sha256", BIG)}:`;
    assert.equal(await digestOnceKnown("/big.bin"), want);
    const part = await get("/big.bin", { range: "bytes=100-199" });
    assert.equal(part.status, 206);
    assert.equal(part.body.length, 100);
    assert.equal(part.headers["repr-digest"], want);
  });

  it("Want-Repr-Digest chooses sha-512, or turns the field off with 0", async () => {
    const prefer512 = await get("/small.txt", { "want-repr-digest": "sha-256=1, sha-512=9" });
    assert.equal(prefer512.headers["repr-digest"], `sha-512=:${b64("sha512", "hello\n")}:`);
    const only256 = await get("/small.txt", { "want-repr-digest": "sha-512=0" });
    assert.equal(only256.headers["repr-digest"], `sha-256=:${b64("sha256", "hello\n")}:`);
    const none = await get("/small.txt", { "want-repr-digest": "sha-256=0, sha-512=0" });
    assert.equal(none.status, 200);
    assert.equal(none.headers["repr-digest"], undefined);
    const unknown = await get("/small.txt", { "want-repr-digest": "md5=10, bogus" });
    assert.equal(unknown.headers["repr-digest"], `sha-256=:${b64("sha256", "hello\n")}:`);
  });

  it("a gzip variant carries the digest of the gzip bytes it sends; a 304 carries none", async () => {
    // The first request may go out uncompressed while the copy is made (compress-queue.ts).
    let r: Got | undefined;
    for (let i = 0; i < 50 && r?.headers["content-encoding"] !== "gzip"; i++) {
      r = await get("/page.txt", { "accept-encoding": "gzip" });
    }
    assert.ok(r !== undefined && r.headers["content-encoding"] === "gzip");
    assert.equal(r.headers["repr-digest"], `sha-256=:${b64("sha256", r.body)}:`);
    const etag = r.headers.etag as string;
    const notModified = await get("/page.txt", {
      "accept-encoding": "gzip",
      "if-none-match": etag,
    });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.headers["repr-digest"], undefined);
  });

  it("a changed file gets the new version's digest at once", async () => {
    const path = join(root, "changes.txt");
    assert.equal(
      (await get("/changes.txt")).headers["repr-digest"],
      `sha-256=:${b64("sha256", "version 1\n")}:`,
    );
    writeFileSync(path, "version 2, longer\n");
    utimesSync(path, new Date(), new Date(Date.now() + 2000));
    assert.equal(
      (await get("/changes.txt")).headers["repr-digest"],
      `sha-256=:${b64("sha256", "version 2, longer\n")}:`,
    );
  });

  it("tcpkit get checks it end to end: whole, and in 4 segments", async () => {
    await digestOnceKnown("/big.bin");
    const out = mkdtempSync(join(tmpdir(), "tcpkit-digest-get-"));
    try {
      for (const args of [[], ["-x", "4"]]) {
        const file = join(out, `big-${args.length}.bin`);
        const r = await runCli([
          "get",
          ...args,
          "-O",
          file,
          `http://127.0.0.1:${server.port}/big.bin`,
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(readFileSync(file).equals(BIG));
      }
      const trace = await runCli([
        "get",
        "--trace",
        "-O",
        join(out, "t.bin"),
        `http://127.0.0.1:${server.port}/big.bin`,
      ]);
      assert.match(trace.stderr, /< Repr-Digest: sha-256=:/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
