/**
 * Field values are trimmed by OWS only (RFC 9110 §5.6.3: SP and HTAB), everywhere in the server:
 * a property over all 256 byte values, sent to the built `tcpkit serve` next to a field value
 * that means something only if the byte is trimmed away. String#trim also strips 0xA0 (latin1
 * NBSP), which made `\xa0bytes=0-1` a range and `\xa0*` match any entity-tag (issue 18 #10).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT, startServe, type RunningServer } from "../support/cli.js";
import { exchange } from "../support/raw-socket.js";

const ROOT = mkdtempSync(join(tmpdir(), "tcpkit-ows-"));
writeFileSync(join(ROOT, "a.txt"), "hello\n");

const OWS = new Set([0x20, 0x09]);
/** Bytes the request-head parser refuses anywhere in a field value: 400 before any trimming. */
const refused = (b: number): boolean => (b < 0x20 && b !== 0x09) || b === 0x7f;

describe("every field value is trimmed by OWS only: all 256 bytes (issue 18 #10)", () => {
  let s: RunningServer;
  before(async () => {
    s = await startServe(ROOT);
  });
  after(() => s.stop());

  /** The status of one request whose field `line` carries byte `b` where `%` stands. */
  async function statusWith(b: number, line: string, body = ""): Promise<number> {
    const [before, after] = line.split("%") as [string, string];
    const head = Buffer.concat([
      Buffer.from(`GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${before}`, "latin1"),
      Buffer.from([b]),
      Buffer.from(`${after}\r\n\r\n${body}`, "latin1"),
    ]);
    const r = await exchange(s.port, [head], { quietMs: 5000 });
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(r.data.toString("latin1"))?.[1]);
  }

  /** Runs `statusWith` for every byte, 16 at a time; returns the statuses by byte. */
  async function everyByte(line: string, body?: string): Promise<number[]> {
    const out: number[] = [];
    for (let b = 0; b < 256; b += 16) {
      const batch = Array.from({ length: 16 }, (_, i) => statusWith(b + i, line, body));
      out.push(...(await Promise.all(batch)));
    }
    return out;
  }

  const expect = (statuses: number[], ifOws: number, otherwise: number): void => {
    statuses.forEach((status, b) => {
      const want = refused(b) ? 400 : OWS.has(b) ? ifOws : otherwise;
      assert.equal(status, want, `byte 0x${b.toString(16).padStart(2, "0")}`);
    });
  };

  it("Range: only SP and HTAB before `bytes=0-1` leave a range", async () => {
    expect(await everyByte("Range: %bytes=0-1"), 206, 200);
  });

  it("If-None-Match: only SP and HTAB around `*` leave the wildcard", async () => {
    expect(await everyByte("If-None-Match: *%"), 304, 200);
  });

  it("Transfer-Encoding: only SP and HTAB after `chunked` leave it chunked", async () => {
    expect(await everyByte("Transfer-Encoding: chunked%", "0\r\n\r\n"), 200, 400);
  });
});

describe("no String#trim where HTTP is parsed (issue 18 #10)", () => {
  it("src/http, src/static and src/client trim with trimOws (header-fields.ts) only", () => {
    const found: string[] = [];
    for (const dir of ["http", "static", "client"]) {
      const base = join(REPO_ROOT, "src", dir);
      for (const file of readdirSync(base, { recursive: true, encoding: "utf8" })) {
        if (!file.endsWith(".ts")) continue;
        const text = readFileSync(join(base, file), "utf8");
        if (/\.trim(Start|End)?\(\)|\\s/.test(text)) found.push(`${dir}/${file}`);
      }
    }
    assert.deepEqual(found, []);
  });
});
