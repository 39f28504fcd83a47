/**
 * `tcpkit serve --live` and the pages it injects, with raw sockets: where the script goes when
 * `</body>` also appears in a comment or a script after the real one, and pages in UTF-16 (a
 * byte order mark), whose bytes an ASCII script would garble.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServe, type RunningServer } from "../support/cli.js";
import { exchange } from "../support/raw-socket.js";

const ROOT = mkdtempSync(join(tmpdir(), "tcpkit-live-pages-"));
const SCRIPT_START = "<script data-tcpkit-live>";

const COMMENTED =
  "<!doctype html><html><body><p>hi</p></body></html>\n" +
  "<!-- the old template ended with </body> here -->\n";
const SCRIPTED =
  '<!doctype html><html><body><p>hi</p></body></html>\n<script>const end = "</body>";</script>\n';
const TEXT = "<!doctype html><html><body><p>héllo ✓</p></body></html>\n";
writeFileSync(join(ROOT, "commented.html"), COMMENTED);
writeFileSync(join(ROOT, "scripted.html"), SCRIPTED);
// A byte order mark makes a browser read the page as UTF-16 whatever Content-Type says.
writeFileSync(join(ROOT, "utf16le.html"), Buffer.from(`\ufeff${TEXT}`, "utf16le"));
writeFileSync(join(ROOT, "utf16be.html"), Buffer.from(`\ufeff${TEXT}`, "utf16le").swap16());

let server: RunningServer;

before(async () => {
  server = await startServe(ROOT, "--live");
});

after(async () => {
  await server?.stop();
  rmSync(ROOT, { recursive: true, force: true });
});

/** The body of a GET, as bytes. */
async function body(path: string): Promise<Buffer> {
  const request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
  const r = await exchange(server.port, [request], { quietMs: 3000 });
  const end = r.data.indexOf("\r\n\r\n");
  assert.match(r.data.toString("latin1", 0, end), /^HTTP\/1\.1 200 /);
  const length = Number(/\r\ncontent-length: (\d+)/i.exec(r.data.toString("latin1", 0, end))?.[1]);
  const bytes = r.data.subarray(end + 4);
  assert.equal(bytes.length, length);
  return bytes;
}

/** The page with the script taken out, and where it was. */
function split(page: string): { at: number; without: string } {
  const at = page.indexOf(SCRIPT_START);
  assert.ok(at >= 0, "the script is in the page");
  const end = page.indexOf("</script>", at) + "</script>".length;
  return { at, without: page.slice(0, at) + page.slice(end) };
}

describe("--live: where the script goes, and in what encoding", () => {
  it("puts the script before the real </body>, not into a comment or script after it", async () => {
    for (const [path, source] of [
      ["/commented.html", COMMENTED],
      ["/scripted.html", SCRIPTED],
    ] as const) {
      const page = (await body(path)).toString("utf8");
      const { at, without } = split(page);
      assert.equal(without, source, path);
      assert.equal(at, source.indexOf("</body>"), `${path}: ${page.slice(at - 20, at + 40)}`);
    }
  });

  it("injects a UTF-16 page (byte order mark) in UTF-16, its text intact", async () => {
    for (const [path, be] of [
      ["/utf16le.html", false],
      ["/utf16be.html", true],
    ] as const) {
      const bytes = await body(path);
      assert.equal(bytes.length % 2, 0, path);
      const le = be ? Buffer.from(bytes).swap16() : bytes;
      const page = le.toString("utf16le");
      assert.ok(page.startsWith("\ufeff"), path);
      const { at, without } = split(page.slice(1));
      assert.equal(without, TEXT, path);
      assert.equal(at, TEXT.indexOf("</body>"), path);
    }
  });

  it("injects the whole page a Range request gets when its If-Range no longer matches", async () => {
    // A client resuming the injected page (If-Range: its -live ETag) gets a full 200, which
    // must be the injected page with that ETag, not the plain file without the script.
    const first = await exchange(
      server.port,
      ["GET /scripted.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"],
      { quietMs: 3000 },
    );
    const etag = /\r\nETag: ([^\r\n]*)/i.exec(first.data.toString("latin1"))?.[1] as string;
    assert.match(etag, /-live"$/);
    const request =
      "GET /scripted.html HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-9\r\n" +
      `If-Range: ${etag}\r\nConnection: close\r\n\r\n`;
    const r = (await exchange(server.port, [request], { quietMs: 3000 })).data.toString("latin1");
    assert.match(r, /^HTTP\/1\.1 200 /);
    assert.equal(/\r\nETag: ([^\r\n]*)/i.exec(r)?.[1], etag);
    assert.ok(r.includes(SCRIPT_START), r.slice(0, 400));
    // A Range the plain file's validator still matches is the plain file's bytes, as before.
    const plain = etag.replace(/-live"$/, '"');
    const ranged = (
      await exchange(server.port, [request.replace(etag, plain)], { quietMs: 3000 })
    ).data.toString("latin1");
    assert.match(ranged, /^HTTP\/1\.1 206 /);
    assert.match(ranged, /\r\n\r\n<!doctype $/);
  });
});
