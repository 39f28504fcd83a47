/**
 * Resumable uploads (draft-ietf-httpbis-resumable-upload) against `tcpkit serve --upload`: an
 * upload cut off mid-body keeps its bytes, HEAD tells the offset (also after a server restart),
 * PATCH appends the rest byte-exact; a wrong offset is 409 with the right one; uploads in parts;
 * DELETE cancels; an expired upload is gone; a length overrun removes the upload.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServe, type RunningServer } from "../support/cli.js";
import { exchange, openSocket } from "../support/raw-socket.js";

let root: string;
let server: RunningServer;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-resumable-"));
  server = await startServe(root, "--upload");
});
after(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** One request on a fresh connection; the final status, its head, and every interim head. */
async function request(
  port: number,
  head: string,
  body: Buffer = Buffer.alloc(0),
): Promise<{ status: number; head: string; interims: string[] }> {
  const r = await exchange(port, [head.replaceAll("\n", "\r\n") + "\r\n", body], { quietMs: 3000 });
  const heads = r.data.toString("latin1").split("\r\n\r\n");
  const interims = heads.filter((h) => /^HTTP\/1\.1 1\d\d /.test(h));
  const final = heads.find((h) => /^HTTP\/1\.1 [2-5]\d\d /.test(h)) ?? "";
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(final)?.[1] ?? 0), head: final, interims };
}

function field(head: string, name: string): string | undefined {
  return new RegExp(`^${name}: (.*)$`, "mi").exec(head)?.[1]?.trim();
}

/** PATCH `body` at `offset`. */
function patch(port: number, location: string, offset: number, complete: boolean, body: Buffer) {
  return request(
    port,
    `PATCH ${location} HTTP/1.1\nHost: x\nConnection: close\nContent-Type: application/partial-upload\n` +
      `Upload-Complete: ?${complete ? 1 : 0}\nUpload-Offset: ${offset}\nContent-Length: ${body.length}\n`,
    body,
  );
}

function offsetOf(port: number, location: string) {
  return request(port, `HEAD ${location} HTTP/1.1\nHost: x\nConnection: close\n`);
}

describe("resumable uploads", () => {
  it("a PUT cut off keeps its bytes; HEAD gives the offset, after a restart too; PATCH completes it", async () => {
    const data = randomBytes(3_000_000);
    const socket = await openSocket(server.port);
    socket.on("error", () => {});
    let text = "";
    const announced = new Promise<void>((resolve) =>
      socket.on("data", (c: Buffer) => {
        text += c.toString("latin1");
        if (text.includes("\r\n\r\n")) resolve();
      }),
    );
    socket.write(
      `PUT /big.bin HTTP/1.1\r\nHost: x\r\nUpload-Complete: ?1\r\nUpload-Draft-Interop-Version: 8\r\n` +
        `Content-Length: ${data.length}\r\n\r\n`,
    );
    await announced;
    assert.match(text, /^HTTP\/1\.1 104 Upload Resumption Supported\r\n/);
    assert.match(text, /\r\nUpload-Draft-Interop-Version: 8\r\n/);
    const location = field(text, "Location") as string;
    assert.match(location, /^\/\.tcpkit-upload-[0-9a-f]{32}\.part$/);
    socket.write(data.subarray(0, 1_200_000));
    // Cut off once the server holds some of it (its part file grew).
    const part = join(root, location.slice(1));
    const until = Date.now() + 10_000;
    while (!existsSync(part) || readFileSync(part).length === 0) {
      assert.ok(Date.now() < until, "the part file never grew");
      await new Promise((r) => setTimeout(r, 20));
    }
    socket.destroy();

    let offset = 0;
    for (let i = 0; i < 200; i++) {
      const head = await offsetOf(server.port, location);
      assert.equal(head.status, 204);
      assert.equal(field(head.head, "Upload-Complete"), "?0");
      assert.equal(field(head.head, "Upload-Length"), String(data.length));
      assert.equal(field(head.head, "Cache-Control"), "no-store");
      offset = Number(field(head.head, "Upload-Offset"));
      if (offset === readFileSync(part).length) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(offset > 0 && offset <= 1_200_000, `offset ${offset}`);
    assert.equal(existsSync(join(root, "big.bin")), false);

    await server.stop();
    server = await startServe(root, "--upload");
    const again = await offsetOf(server.port, location);
    assert.equal(Number(field(again.head, "Upload-Offset")), offset);

    const wrong = await patch(server.port, location, offset + 1, true, data.subarray(offset + 1));
    assert.equal(wrong.status, 409);
    assert.equal(Number(field(wrong.head, "Upload-Offset")), offset);

    const done = await patch(server.port, location, offset, true, data.subarray(offset));
    assert.equal(done.status, 201);
    assert.equal(field(done.head, "Upload-Complete"), "?1");
    assert.equal(sha(readFileSync(join(root, "big.bin"))), sha(data));
    assert.deepEqual(
      readdirSync(root).filter((n) => n.startsWith(".tcpkit-upload-")),
      [],
    );
    assert.equal((await offsetOf(server.port, location)).status, 404);
  });

  it("uploads in parts (Upload-Complete: ?0), then refuses a bad PATCH, then completes", async () => {
    const create = await request(
      server.port,
      "PUT /parts.txt HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nUpload-Length: 12\nContent-Length: 4\n",
      Buffer.from("abcd"),
    );
    assert.equal(create.status, 201);
    const location = field(create.head, "Location") as string;
    assert.equal(field(create.interims[0] ?? "", "Location"), location);
    assert.equal(field(create.head, "Upload-Offset"), "4");
    const plain = await request(
      server.port,
      `PATCH ${location} HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nUpload-Offset: 4\nContent-Length: 1\n`,
      Buffer.from("x"),
    );
    assert.equal(plain.status, 415);
    assert.equal((await patch(server.port, location, 4, false, Buffer.from("efgh"))).status, 201);
    assert.equal((await patch(server.port, location, 8, true, Buffer.from("ijkl"))).status, 201);
    assert.equal(readFileSync(join(root, "parts.txt"), "utf8"), "abcdefghijkl");
  });

  it("lengths must agree (400); a body past Upload-Length is 413 and removes the upload; DELETE cancels", async () => {
    const create = await request(
      server.port,
      "PUT /short.txt HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nUpload-Length: 3\nContent-Length: 0\n",
    );
    const location = field(create.head, "Location") as string;
    assert.equal((await patch(server.port, location, 0, true, Buffer.from("toolong"))).status, 400);
    assert.equal(field((await offsetOf(server.port, location)).head, "Upload-Offset"), "0");
    const chunked = await request(
      server.port,
      `PATCH ${location} HTTP/1.1\nHost: x\nConnection: close\nContent-Type: application/partial-upload\n` +
        "Upload-Complete: ?0\nUpload-Offset: 0\nTransfer-Encoding: chunked\n",
      Buffer.from("7\r\ntoolong\r\n0\r\n\r\n"),
    );
    assert.equal(chunked.status, 413);
    assert.equal((await offsetOf(server.port, location)).status, 404);

    const other = await request(
      server.port,
      "PUT /cancel.txt HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nContent-Length: 2\n",
      Buffer.from("ab"),
    );
    const at = field(other.head, "Location") as string;
    const cancel = await request(
      server.port,
      `DELETE ${at} HTTP/1.1\nHost: x\nConnection: close\n`,
    );
    assert.equal(cancel.status, 204);
    assert.equal((await offsetOf(server.port, at)).status, 404);
    assert.equal(existsSync(join(root, "cancel.txt")), false);
    assert.deepEqual(
      readdirSync(root).filter((n) => n.startsWith(".tcpkit-upload-")),
      [],
    );
  });

  it("OPTIONS under the upload folder names PATCH and application/partial-upload", async () => {
    const r = await request(server.port, "OPTIONS /x.bin HTTP/1.1\nHost: x\nConnection: close\n");
    assert.equal(r.status, 200);
    assert.match(field(r.head, "Allow") ?? "", /PUT, POST, PATCH, DELETE/);
    assert.equal(field(r.head, "Accept-Patch"), "application/partial-upload");
    assert.match(field(r.head, "Upload-Limit") ?? "", /^max-size=\d+$/);
  });

  it("an unfinished upload expires (--upload-expire)", async () => {
    const quick = await startServe(root, "--upload", "--upload-expire", "1s");
    try {
      const create = await request(
        quick.port,
        "PUT /late.txt HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nContent-Length: 1\n",
        Buffer.from("a"),
      );
      const location = field(create.head, "Location") as string;
      assert.equal((await offsetOf(quick.port, location)).status, 204);
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal((await offsetOf(quick.port, location)).status, 404);
      assert.deepEqual(
        readdirSync(root).filter((n) => n.startsWith(".tcpkit-upload-")),
        [],
      );
    } finally {
      await quick.stop();
    }
  });
});
