/**
 * Resumable uploads (draft-ietf-httpbis-resumable-upload) against `tcpkit serve --upload`: an
 * upload cut off mid-body keeps its bytes, HEAD tells the offset (also after a server restart),
 * PATCH appends the rest byte-exact; a wrong offset is 409 with the right one; uploads in parts;
 * DELETE cancels; an expired upload is gone; a length overrun removes the upload; the draft's
 * problem types (problem+json), progress 104s, Upload-Limit on OPTIONS and 413, and a completed
 * upload answering HEAD with Upload-Complete: ?1.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
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
): Promise<{ status: number; head: string; body: string; interims: string[] }> {
  const r = await exchange(port, [head.replaceAll("\n", "\r\n") + "\r\n", body], { quietMs: 3000 });
  const heads = r.data.toString("latin1").split("\r\n\r\n");
  const interims = heads.filter((h) => /^HTTP\/1\.1 1\d\d /.test(h));
  const at = heads.findIndex((h) => /^HTTP\/1\.1 [2-5]\d\d /.test(h));
  const final = heads[at] ?? "";
  return {
    status: Number(/^HTTP\/1\.1 (\d+)/.exec(final)?.[1] ?? 0),
    head: final,
    body: at < 0 ? "" : heads.slice(at + 1).join("\r\n\r\n"),
    interims,
  };
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

/** Waits (bounded: 10 s) until `check` holds. */
async function eventually(check: () => boolean): Promise<void> {
  const until = Date.now() + 10_000;
  while (!check()) {
    assert.ok(Date.now() < until, "condition not met in 10 s");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The files in root holding the state of the upload at `location` ("/.tcpkit-upload-ID.part"). */
function stateFiles(location: string): string[] {
  const id = location.slice(1, -".part".length);
  return readdirSync(root).filter((n) => n.startsWith(id + "."));
}

/** The problem+json body of a response (RFC 9457). */
function problemOf(r: { head: string; body: string }): Record<string, unknown> {
  assert.equal(field(r.head, "Content-Type"), "application/problem+json");
  return JSON.parse(r.body) as Record<string, unknown>;
}

/** Progress 104s of an upload of `total` bytes that began at `start`: each an Upload-Offset
 * alone, rising by at least 16 MiB, within the bytes sent; two or more for 40 MiB. */
function assertProgress(interims: string[], total: number, start = 0): void {
  assert.ok(interims.length >= 2, `${interims.length} progress interims`);
  let last = start;
  for (const interim of interims) {
    assert.match(interim, /^HTTP\/1\.1 104 Upload Resumption Supported\r\n/);
    assert.equal(field(interim, "Location"), undefined);
    assert.equal(field(interim, "Upload-Draft-Interop-Version"), "8");
    const offset = Number(field(interim, "Upload-Offset"));
    assert.ok(
      offset >= last + 16 * 1024 * 1024 && offset <= total,
      `offset ${offset} after ${last}`,
    );
    last = offset;
  }
}

function offsetOf(port: number, location: string) {
  return request(port, `HEAD ${location} HTTP/1.1\nHost: x\nConnection: close\n`);
}

/**
 * A PATCH at offset 0 of a `total`-byte body that sends `sent` of it, then falls silent (a
 * client whose network went away); resolves, once the server has had those bytes, with
 * `told`: what the server then tells it, once it closes the connection (in an object: a
 * promise resolved with a promise would wait for it).
 */
async function stalledPatch(
  port: number,
  location: string,
  sent: Buffer,
  total: number,
  fields = "",
) {
  const socket = await openSocket(port);
  socket.on("error", () => {});
  const got: Buffer[] = [];
  let heard = (): void => {};
  const continued = new Promise<void>((resolve) => (heard = resolve));
  socket.on("data", (b: Buffer) => {
    got.push(b);
    if (Buffer.concat(got).includes("100 Continue\r\n\r\n")) heard();
  });
  const closed = new Promise<string>((resolve) =>
    socket.on("close", () => resolve(Buffer.concat(got).toString("latin1"))),
  );
  // Expect: the 100 says the server is reading the body; the bytes then go at once.
  socket.write(
    `PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Type: application/partial-upload\r\n` +
      `Upload-Complete: ?1\r\nUpload-Offset: 0\r\nContent-Length: ${total}\r\n${fields}` +
      "Expect: 100-continue\r\n\r\n",
  );
  await continued;
  socket.write(sent);
  await new Promise((r) => setTimeout(r, 500));
  // Bounded: a server that never closes it fails the test rather than hanging it.
  const timer = setTimeout(() => socket.destroy(), 15_000);
  return { told: closed.finally(() => clearTimeout(timer)), drop: () => socket.destroy() };
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
    assert.deepEqual(problemOf(wrong), {
      type: "https://iana.org/assignments/http-problem-types#mismatching-upload-offset",
      title: "Mismatching Upload Offset",
      "expected-offset": offset,
      "provided-offset": offset + 1,
    });

    const done = await patch(server.port, location, offset, true, data.subarray(offset));
    assert.equal(done.status, 201);
    assert.equal(field(done.head, "Upload-Complete"), "?1");
    assert.equal(sha(readFileSync(join(root, "big.bin"))), sha(data));
    // Only the record is left, marked complete: a client that lost the 201 learns it is done.
    const id = location.slice(1, -".part".length);
    assert.deepEqual(stateFiles(location), [`${id}.json`]);
    const completed = await offsetOf(server.port, location);
    assert.equal(completed.status, 204);
    assert.equal(field(completed.head, "Upload-Complete"), "?1");
    assert.equal(field(completed.head, "Upload-Offset"), String(data.length));
    assert.equal(field(completed.head, "Upload-Length"), String(data.length));
    // Appending to it: nothing (completed-upload) or bytes (inconsistent length), both 400.
    const empty = await patch(server.port, location, data.length, true, Buffer.alloc(0));
    assert.equal(empty.status, 400);
    assert.match(problemOf(empty).type as string, /#completed-upload$/);
    const more = await patch(server.port, location, data.length, true, Buffer.from("x"));
    assert.equal(more.status, 400);
    assert.match(problemOf(more).type as string, /#inconsistent-upload-length$/);
    assert.equal(sha(readFileSync(join(root, "big.bin"))), sha(data));
    // DELETE forgets the upload, never the file it became.
    assert.equal(
      (await request(server.port, `DELETE ${location} HTTP/1.1\nHost: x\n`)).status,
      204,
    );
    assert.equal((await offsetOf(server.port, location)).status, 404);
    assert.equal(sha(readFileSync(join(root, "big.bin"))), sha(data));
    assert.deepEqual(stateFiles(location), []);
  });

  it("HEAD ends a transfer gone silent at once (draft §4.6), keeping what it wrote; the upload resumes from there", async () => {
    // The client believes its PATCH failed; the server would notice only at the body deadline
    // (--head-timeout, 20 s). With an access lock alone, HEAD waited that long.
    const create = await request(
      server.port,
      "PUT /stalled.bin HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nUpload-Length: 100\nContent-Length: 0\n",
    );
    assert.equal(create.status, 201);
    const location = field(create.head, "Location") as string;
    const data = randomBytes(100);
    const stalled = await stalledPatch(server.port, location, data.subarray(0, 60), 100);
    const started = Date.now();
    const offset = await offsetOf(server.port, location);
    const took = Date.now() - started;
    assert.equal(offset.status, 204);
    assert.equal(field(offset.head, "Upload-Offset"), "60");
    assert.ok(took < 5000, `HEAD answered after ${took} ms`);
    // The superseded request is told where the upload stands, and its connection closes.
    const told = (await stalled.told).replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, "");
    assert.match(told, /^HTTP\/1\.1 409 Conflict\r\n/);
    assert.equal(field(told, "Upload-Offset"), "60");
    assert.equal(field(told, "Upload-Complete"), "?0");
    const rest = await patch(server.port, location, 60, true, data.subarray(60));
    assert.equal(rest.status, 201);
    assert.equal(sha(readFileSync(join(root, "stalled.bin"))), sha(data));
  });

  it("DELETE ends a transfer gone silent at once, then removes the upload", async () => {
    const create = await request(
      server.port,
      "PUT /dropped.bin HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nUpload-Length: 100\nContent-Length: 0\n",
    );
    const location = field(create.head, "Location") as string;
    const stalled = await stalledPatch(server.port, location, randomBytes(30), 100);
    const started = Date.now();
    const del = await request(
      server.port,
      `DELETE ${location} HTTP/1.1\nHost: x\nConnection: close\n`,
    );
    assert.equal(del.status, 204);
    assert.ok(Date.now() - started < 5000, `DELETE answered after ${Date.now() - started} ms`);
    assert.match(await stalled.told, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 409 Conflict\r\n/);
    assert.deepEqual(stateFiles(location), []);
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
    // The server's own draft interop version, asked or not; never another version echoed (a
    // client of draft interop version 6 must see the mismatch and ignore the 104).
    assert.equal(field(create.interims[0] ?? "", "Upload-Draft-Interop-Version"), "8");
    const v6 = await request(
      server.port,
      "PUT /v6.txt HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?1\n" +
        "Upload-Draft-Interop-Version: 6\nContent-Length: 2\n",
      Buffer.from("v6"),
    );
    assert.equal(field(v6.interims[0] ?? "", "Upload-Draft-Interop-Version"), "8");
    assert.equal(field(create.head, "Upload-Offset"), "4");
    const plain = await request(
      server.port,
      `PATCH ${location} HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nUpload-Offset: 4\nContent-Length: 1\n`,
      Buffer.from("x"),
    );
    assert.equal(plain.status, 415);
    const part = await patch(server.port, location, 4, false, Buffer.from("efgh"));
    // An append creates nothing: 204 (the draft's example), with the new offset.
    assert.equal(part.status, 204);
    assert.equal(field(part.head, "Upload-Offset"), "8");
    const done = await patch(server.port, location, 8, true, Buffer.from("ijkl"));
    assert.equal(done.status, 201);
    // The answer a PUT of the whole file gets (draft §4.4): the file created, not the resource.
    assert.equal(field(done.head, "Location"), "/parts.txt");
    assert.equal(field(done.head, "Upload-Complete"), "?1");
    assert.equal(readFileSync(join(root, "parts.txt"), "utf8"), "abcdefghijkl");
  });

  it("a completion the file fails (its name taken meanwhile) is 409 with Upload-Complete: ?1", async () => {
    const create = await request(
      server.port,
      "PUT /taken-late.txt HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nContent-Length: 2\n",
      Buffer.from("ab"),
    );
    const location = field(create.head, "Location") as string;
    const other = await request(
      server.port,
      "PUT /taken-late.txt HTTP/1.1\nHost: x\nConnection: close\nContent-Length: 5\n",
      Buffer.from("first"),
    );
    assert.equal(other.status, 201);
    const done = await patch(server.port, location, 2, true, Buffer.from("cd"));
    assert.equal(done.status, 409);
    // Draft §4.4: the body was whole; the failure is the file's, and resuming cannot mend it.
    assert.equal(field(done.head, "Upload-Complete"), "?1");
    assert.equal((await offsetOf(server.port, location)).status, 404);
    assert.equal(readFileSync(join(root, "taken-late.txt"), "utf8"), "first");
  });

  it("lengths must agree (400 inconsistent-upload-length); a body past Upload-Length removes the upload; DELETE cancels", async () => {
    const mismatch = await request(
      server.port,
      "PUT /mismatch.txt HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?1\nUpload-Length: 3\nContent-Length: 2\n",
      Buffer.from("ab"),
    );
    assert.equal(mismatch.status, 400);
    assert.equal(field(mismatch.head, "Content-Type"), "application/problem+json");
    assert.match(problemOf(mismatch).type as string, /#inconsistent-upload-length$/);
    assert.equal(existsSync(join(root, "mismatch.txt")), false);
    const create = await request(
      server.port,
      "PUT /short.txt HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nUpload-Length: 3\nContent-Length: 0\n",
    );
    const location = field(create.head, "Location") as string;
    const disagree = await patch(server.port, location, 0, true, Buffer.from("toolong"));
    assert.equal(disagree.status, 400);
    assert.deepEqual(problemOf(disagree), {
      type: "https://iana.org/assignments/http-problem-types#inconsistent-upload-length",
      title: "Inconsistent Upload Length Values",
    });
    assert.equal(field((await offsetOf(server.port, location)).head, "Upload-Offset"), "0");
    const chunked = await request(
      server.port,
      `PATCH ${location} HTTP/1.1\nHost: x\nConnection: close\nContent-Type: application/partial-upload\n` +
        "Upload-Complete: ?0\nUpload-Offset: 0\nTransfer-Encoding: chunked\n",
      Buffer.from("7\r\ntoolong\r\n0\r\n\r\n"),
    );
    assert.equal(chunked.status, 400);
    assert.match(problemOf(chunked).type as string, /#inconsistent-upload-length$/);
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
    assert.deepEqual(stateFiles(at), []);
    assert.deepEqual(stateFiles(location), []);
  });

  it("OPTIONS under the upload folder names PATCH and application/partial-upload", async () => {
    const r = await request(server.port, "OPTIONS /x.bin HTTP/1.1\nHost: x\nConnection: close\n");
    assert.equal(r.status, 200);
    assert.match(field(r.head, "Allow") ?? "", /PUT, POST, PATCH, DELETE/);
    assert.equal(field(r.head, "Accept-Patch"), "application/partial-upload");
    assert.match(field(r.head, "Upload-Limit") ?? "", /^max-size=\d+, max-age=86400$/);
  });

  it("a creation past --max-upload-bytes is 413 with Upload-Limit", async () => {
    const r = await request(
      server.port,
      "PUT /huge.bin HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?1\nUpload-Length: 9999999999999\n" +
        "Transfer-Encoding: chunked\n",
      Buffer.from("1\r\na\r\n0\r\n\r\n"),
    );
    assert.equal(r.status, 413);
    assert.equal(field(r.head, "Upload-Limit"), `max-size=${1024 ** 3}`);
    assert.deepEqual(r.interims, []);
  });

  it("sends a progress 104 with Upload-Offset (no Location) every 16 MiB of a long upload and of an append", async () => {
    const size = 40 * 1024 * 1024;
    const data = randomBytes(size);
    const created = await request(
      server.port,
      `PUT /progress.bin HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nContent-Length: ${size}\n`,
      data,
    );
    assert.equal(created.status, 201);
    const location = field(created.head, "Location") as string;
    assertProgress(created.interims.slice(1), size);
    assert.equal(field(created.interims[0] ?? "", "Location"), location);
    const appended = await patch(server.port, location, size, true, data);
    assert.equal(appended.status, 201);
    assertProgress(appended.interims, 2 * size, size);
    const stored = readFileSync(join(root, "progress.bin"));
    assert.equal(sha(stored), sha(Buffer.concat([data, data])));
  });

  it("sends no progress 104 while a Content-Digest is pending: an offset told is never taken back", async () => {
    const created = await request(
      server.port,
      "PUT /digested.bin HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nContent-Length: 0\n",
    );
    const location = field(created.head, "Location") as string;
    const data = randomBytes(40 * 1024 * 1024);
    const wrong = createHash("sha256").update("other bytes").digest("base64");
    const bad = await request(
      server.port,
      `PATCH ${location} HTTP/1.1\nHost: x\nConnection: close\nContent-Type: application/partial-upload\n` +
        `Upload-Complete: ?0\nUpload-Offset: 0\nContent-Length: ${data.length}\n` +
        `Content-Digest: sha-256=:${wrong}:\n`,
      data,
    );
    assert.equal(bad.status, 400);
    // A 104 with Upload-Offset would have promised bytes that the failed digest then removed.
    assert.deepEqual(bad.interims, []);
    assert.equal(field((await offsetOf(server.port, location)).head, "Upload-Offset"), "0");
  });

  it("keeps none of a request cut off before its Content-Digest could be checked (superseded or dropped)", async () => {
    // Bytes a digest was sent for and can no longer be checked are not appended (draft §10.2),
    // as bytes failing it are not: HEAD, the superseded request's 409 and the next PATCH all
    // say the offset the request began at.
    const data = randomBytes(1000);
    const digest = `Content-Digest: sha-256=:${createHash("sha256").update(data).digest("base64")}:\r\n`;
    for (const how of ["superseded", "dropped"]) {
      const create = await request(
        server.port,
        `PUT /unchecked-${how}.bin HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nUpload-Length: 1000\nContent-Length: 0\n`,
      );
      const location = field(create.head, "Location") as string;
      const stalled = await stalledPatch(
        server.port,
        location,
        data.subarray(0, 400),
        1000,
        digest,
      );
      if (how === "dropped") {
        stalled.drop();
        await new Promise((r) => setTimeout(r, 300));
      }
      const offset = await offsetOf(server.port, location);
      assert.equal(field(offset.head, "Upload-Offset"), "0", how);
      const told = (await stalled.told).replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, "");
      if (how === "superseded") assert.equal(field(told, "Upload-Offset"), "0");
      const whole = await patch(server.port, location, 0, true, data);
      assert.equal(whole.status, 201, how);
      assert.equal(sha(readFileSync(join(root, `unchecked-${how}.bin`))), sha(data));
    }
  });

  it("--upload-expire: expired uploads go by the timer, unasked; a completed one's record too", async () => {
    const quick = await startServe(root, "--upload", "--upload-expire", "3s");
    try {
      const create = await request(
        quick.port,
        "PUT /late.txt HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nContent-Length: 1\n",
        Buffer.from("a"),
      );
      const location = field(create.head, "Location") as string;
      // max-age: the whole seconds left (rounded down, never promising too much).
      assert.match(field(create.head, "Upload-Limit") ?? "", /^max-size=\d+, max-age=[0-3]$/);
      const done = await request(
        quick.port,
        "PUT /done.txt HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?1\nContent-Length: 1\n",
        Buffer.from("d"),
      );
      assert.equal(done.status, 201);
      const doneAt = field(done.interims[0] ?? "", "Location") as string;
      assert.deepEqual(stateFiles(location).length, 2);
      assert.deepEqual(stateFiles(doneAt).length, 1);
      // Nobody asks again: the timer removes both, within a few sweeps (3 s + 1.5 s at most).
      await eventually(() => stateFiles(location).length + stateFiles(doneAt).length === 0);
      assert.equal((await offsetOf(quick.port, location)).status, 404);
      assert.equal(readFileSync(join(root, "done.txt"), "utf8"), "d");
    } finally {
      await quick.stop();
    }
  });

  it("--upload-expire at start-up: a previous run's expired uploads and stale temporary files go", async () => {
    const sub = join(root, "deep", "er");
    mkdirSync(sub, { recursive: true });
    const create = await request(
      server.port,
      "PUT /deep/er/old.txt HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nContent-Length: 1\n",
      Buffer.from("a"),
    );
    const location = field(create.head, "Location") as string;
    const id = location.slice("/deep/er/".length, -".part".length);
    // A plain PUT's temporary file left by a crash, stale, and one being written right now.
    const stale = join(sub, ".tcpkit-upload-0123456789abcdef01.part");
    const fresh = join(sub, ".tcpkit-upload-fedcba9876543210fe.part");
    writeFileSync(stale, "x");
    const past = new Date(Date.now() - 1800_000);
    utimesSync(stale, past, past);
    await new Promise((r) => setTimeout(r, 1100)); // the upload is now older than 1 s
    const later = await startServe(root, "--upload", "--upload-expire", "1h");
    await later.stop();
    assert.ok(existsSync(join(sub, `${id}.json`)), "within 1 h: kept");
    assert.equal(existsSync(stale), true, "a temporary file younger than 1 h is kept");
    // Being written "now": dated an hour ahead, so a slow start-up cannot age it past 1 s.
    writeFileSync(fresh, "x");
    const ahead = new Date(Date.now() + 3600_000);
    utimesSync(fresh, ahead, ahead);
    const quick = await startServe(root, "--upload", "--upload-expire", "1s");
    try {
      await eventually(() => !existsSync(join(sub, `${id}.json`)) && !existsSync(stale));
      assert.equal(existsSync(join(sub, `${id}.part`)), false);
      assert.equal(existsSync(fresh), true);
    } finally {
      await quick.stop();
      rmSync(fresh, { force: true });
    }
  });

  it("--workers 2: a PATCH reaching another worker ends the silent one there at once; never both append", async () => {
    // The access lock must hold across the processes sharing the socket (both bodies appended
    // at one offset, each answer a wrong offset, before it did), and the request that resumes
    // must end the one it replaces in whichever process holds it (a stop request file), not
    // wait out its body deadline.
    const dir = mkdtempSync(join(tmpdir(), "tcpkit-resumable-workers-"));
    const pool = await startServe(dir, "--upload", "--workers", "2");
    try {
      const create = await request(
        pool.port,
        "PUT /twice.bin HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nUpload-Length: 100\nContent-Length: 0\n",
      );
      assert.equal(create.status, 201);
      const location = field(create.head, "Location") as string;
      const a = Buffer.alloc(100, 0x41);
      const b = Buffer.alloc(100, 0x42);
      // A sends half its body and falls silent; B, the next connection (node:cluster hands
      // connections to the workers in turn: the other worker), sends all of its own at 0.
      const first = await stalledPatch(pool.port, location, a.subarray(0, 50), 100);
      const started = Date.now();
      const second = await patch(pool.port, location, 0, true, b);
      const took = Date.now() - started;
      assert.ok(took < 5000, `the second PATCH answered after ${took} ms`);
      // B's offset is stale now: 409 with the one A reached (A's 50 bytes kept, nothing of B's).
      assert.equal(second.status, 409);
      assert.equal(field(second.head, "Upload-Offset"), "50");
      const told = await first.told;
      assert.match(told, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 409 Conflict\r\n/);
      assert.equal(field(told, "Upload-Offset"), "50");
      assert.ok(readFileSync(join(dir, location.slice(1))).equals(a.subarray(0, 50)));
      const offset = await offsetOf(pool.port, location);
      assert.equal(field(offset.head, "Upload-Offset"), "50");
      const rest = await patch(pool.port, location, 50, true, a.subarray(50));
      assert.equal(rest.status, 201);
      assert.ok(readFileSync(join(dir, "twice.bin")).equals(a));
      assert.deepEqual(
        readdirSync(dir).filter((n) => n.endsWith(".stop") || n.endsWith(".lock")),
        [],
        "no lock or stop request left",
      );
    } finally {
      await pool.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--dotfiles: the upload state is never listed, served or archived (its ID is the key)", async () => {
    // The ID in the resource's URL is all that lets a client HEAD, PATCH or DELETE an upload:
    // a listing showing .tcpkit-upload-ID.* let anyone append to another's upload or cancel it.
    const dir = mkdtempSync(join(tmpdir(), "tcpkit-resumable-dotfiles-"));
    writeFileSync(join(dir, ".visible"), "a dotfile\n");
    const site = await startServe(dir, "--upload", "--dotfiles", "--archive");
    try {
      const create = await request(
        site.port,
        "PUT /mine.txt HTTP/1.1\nHost: x\nConnection: close\nUpload-Complete: ?0\nUpload-Length: 10\nContent-Length: 6\n",
        Buffer.from("secret"),
      );
      assert.equal(create.status, 201);
      const location = field(create.head, "Location") as string;
      const listing = await request(
        site.port,
        "GET / HTTP/1.1\nHost: x\nConnection: close\nAccept: text/plain\n",
      );
      assert.match(listing.body, /\.visible/);
      assert.doesNotMatch(listing.body, /tcpkit-upload/);
      const record = location.replace(/\.part$/, ".json");
      const get = await request(site.port, `GET ${record} HTTP/1.1\nHost: x\nConnection: close\n`);
      assert.equal(get.status, 404);
      const tar = await exchange(
        site.port,
        ["GET /?archive=tar HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"],
        { quietMs: 3000 },
      );
      assert.match(tar.data.toString("latin1"), /\.visible/);
      assert.doesNotMatch(tar.data.toString("latin1"), /tcpkit-upload/);
    } finally {
      await site.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
