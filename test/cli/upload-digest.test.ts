/**
 * Integrity digests on uploads (RFC 9530) against `tcpkit serve --upload`, sent by curl: a PUT's
 * Repr-Digest or Content-Digest (sha-256, sha-512) is checked before the file is placed (400 and
 * nothing left on a mismatch, chunked too); a malformed field is 400, one naming only other
 * algorithms is ignored. Resumable uploads: a request's Content-Digest covers its own bytes (a
 * bad PATCH is cut back off, the upload kept), the creation's Repr-Digest the whole file, checked
 * when the upload completes.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServe, type RunningServer } from "../support/cli.js";
import { runTool } from "../support/tools.js";

let base: string;
let root: string;
let server: RunningServer;
let url: string;

before(async () => {
  base = mkdtempSync(join(tmpdir(), "tcpkit-upload-digest-"));
  root = join(base, "root");
  (await import("node:fs")).mkdirSync(root);
  server = await startServe(root, "--upload");
  url = `http://127.0.0.1:${server.port}`;
});
after(async () => {
  await server?.stop();
  rmSync(base, { recursive: true, force: true });
});

const sf = (algorithm: string, data: Buffer): string =>
  `:${createHash(algorithm).update(data).digest("base64")}:`;

/** curl: the status code, the response head (-D) and body. */
async function curl(args: string[]): Promise<{ code: string; head: string; body: string }> {
  const headFile = join(base, `head-${randomBytes(4).toString("hex")}`);
  const r = await runTool("curl", ["-sS", "-D", headFile, "-w", "\n%{http_code}", ...args]);
  assert.equal(r.code, 0, r.stderr);
  const text = r.stdout.toString("utf8");
  const cut = text.lastIndexOf("\n");
  const head = readFileSync(headFile, "latin1");
  rmSync(headFile);
  return { code: text.slice(cut + 1), head, body: text.slice(0, cut) };
}

/** Names in root that look like upload state or temporary files. */
const temps = (): string[] => readdirSync(root).filter((n) => n.startsWith(".tcpkit-upload-"));

function file(name: string, data: Buffer): string {
  const path = join(base, name);
  writeFileSync(path, data);
  return path;
}

describe("PUT with a digest (curl -T -H)", () => {
  const data = randomBytes(300_000);
  const src = (): string => file("src.bin", data);

  it("a matching Repr-Digest (sha-256) or Content-Digest (sha-512) stores the file", async () => {
    const a = await curl([
      "-T",
      src(),
      "-H",
      `Repr-Digest: sha-256=${sf("sha256", data)}`,
      `${url}/a.bin`,
    ]);
    assert.equal(a.code, "201");
    assert.ok(readFileSync(join(root, "a.bin")).equals(data));
    const b = await curl([
      "-T",
      src(),
      "-H",
      `Content-Digest: sha-512=${sf("sha512", data)}, sha-256=${sf("sha256", data)}`,
      `${url}/b.bin`,
    ]);
    assert.equal(b.code, "201");
    assert.ok(readFileSync(join(root, "b.bin")).equals(data));
  });

  it("a digest that does not match is 400 and leaves nothing, with Content-Length or chunked", async () => {
    const wrong = sf("sha256", Buffer.from("other bytes"));
    const a = await curl(["-T", src(), "-H", `Repr-Digest: sha-256=${wrong}`, `${url}/c.bin`]);
    assert.equal(a.code, "400");
    assert.equal(a.body, "400 Bad Request\n");
    // curl sends the file chunked when told to.
    const b = await curl([
      "-X",
      "PUT",
      "--data-binary",
      "@" + src(),
      "-H",
      "Transfer-Encoding: chunked",
      "-H",
      `Content-Digest: sha-512=${sf("sha512", Buffer.from("x"))}`,
      `${url}/c.bin`,
    ]);
    assert.match(b.head, /^HTTP\/1\.1 400 /);
    assert.equal(b.code, "400");
    assert.equal(existsSync(join(root, "c.bin")), false);
    assert.deepEqual(temps(), []);
    // The digest is checked against the body, not the name: the same bytes under it are fine.
    const c = await curl([
      "-T",
      src(),
      "-H",
      `Repr-Digest: sha-256=${sf("sha256", data)}`,
      `${url}/c.bin`,
    ]);
    assert.equal(c.code, "201");
  });

  it("a malformed digest field is 400; one naming only unchecked algorithms is ignored", async () => {
    const bad = await curl([
      "-T",
      src(),
      "-H",
      "Repr-Digest: sha-256=:dG9vIHNob3J0:",
      `${url}/d.bin`,
    ]);
    assert.equal(bad.code, "400");
    assert.equal(existsSync(join(root, "d.bin")), false);
    const md5 = createHash("md5").update(data).digest("base64");
    const other = await curl(["-T", src(), "-H", `Repr-Digest: md5=:${md5}:`, `${url}/d.bin`]);
    assert.equal(other.code, "201");
    assert.deepEqual(temps(), []);
  });
});

describe("resumable uploads with digests (curl)", () => {
  const data = randomBytes(200_000);
  const half = 120_000;

  /** Creates an upload of `data`'s first `half` bytes with `headers`; its Location. */
  async function create(name: string, headers: string[]): Promise<string> {
    const first = file("first.bin", data.subarray(0, half));
    const r = await curl([
      "-T",
      first,
      "-H",
      "Upload-Complete: ?0",
      "-H",
      `Upload-Length: ${data.length}`,
      ...headers.flatMap((h) => ["-H", h]),
      `${url}/${name}`,
    ]);
    assert.equal(r.code, "201", r.head);
    return /^Location: (.*)\r$/m.exec(r.head)?.[1] as string;
  }

  function patch(location: string, offset: number, body: Buffer, headers: string[] = []) {
    return curl([
      "-X",
      "PATCH",
      "--data-binary",
      "@" + file("rest.bin", body),
      "-H",
      "Content-Type: application/partial-upload",
      "-H",
      `Upload-Offset: ${offset}`,
      "-H",
      "Upload-Complete: ?1",
      ...headers.flatMap((h) => ["-H", h]),
      `${url}${location}`,
    ]);
  }

  it("a PATCH whose Content-Digest does not match is 400 and cut back off; the upload goes on", async () => {
    const location = await create("e.bin", [
      `Content-Digest: sha-256=${sf("sha256", data.subarray(0, half))}`,
    ]);
    const rest = data.subarray(half);
    const bad = await patch(location, half, rest, [
      `Content-Digest: sha-256=${sf("sha256", data)}`,
    ]);
    assert.equal(bad.code, "400");
    const head = await curl(["-I", `${url}${location}`]);
    assert.match(head.head, new RegExp(`^Upload-Offset: ${half}\\r$`, "m"));
    const good = await patch(location, half, rest, [
      `Content-Digest: sha-256=${sf("sha256", rest)}`,
    ]);
    assert.equal(good.code, "201");
    assert.ok(readFileSync(join(root, "e.bin")).equals(data));
  });

  it("the creation's Repr-Digest is checked at completion: a mismatch places nothing", async () => {
    const ok = await create("f.bin", [`Repr-Digest: sha-512=${sf("sha512", data)}`]);
    assert.equal((await patch(ok, half, data.subarray(half))).code, "201");
    assert.ok(readFileSync(join(root, "f.bin")).equals(data));

    const other = Buffer.from(data);
    other[0] = (other[0] as number) ^ 1;
    const bad = await create("g.bin", [`Repr-Digest: sha-256=${sf("sha256", other)}`]);
    const refused = await patch(bad, half, data.subarray(half));
    assert.equal(refused.code, "400");
    // Draft §4.4: the upload was whole; it is the file that failed (resuming cannot mend it).
    assert.match(refused.head, /^Upload-Complete: \?1\r$/m);
    assert.equal(existsSync(join(root, "g.bin")), false);
    assert.equal((await curl(["-I", `${url}${bad}`])).code, "404");
  });
});
