/**
 * `tcpkit serve --live` and conditional requests (GET and HEAD alike), with curl: a browser that still holds the plain
 * page (cached before --live, so it sends the plain file's ETag or Last-Modified) gets the page
 * with the script, never a 304 that would keep it scriptless; the injected page revalidates by
 * its own ETag; other files keep their 304s. And node_modules: ignored by the watcher until a page
 * loads something from it.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { startServe, type RunningServer } from "../support/cli.js";
import { openSocket } from "../support/raw-socket.js";
import { runTool } from "../support/tools.js";

const ROOT = mkdtempSync(join(tmpdir(), "tcpkit-live-cond-"));
writeFileSync(join(ROOT, "index.html"), "<html><body><p>hi</p></body></html>\n");
writeFileSync(join(ROOT, "style.css"), "p { color: red; }\n");
mkdirSync(join(ROOT, "node_modules", "lib"), { recursive: true });
writeFileSync(join(ROOT, "node_modules", "lib", "index.js"), "export {};\n");

let server: RunningServer;
let base: string;

before(async () => {
  server = await startServe(ROOT, "--live", "--header", "X-Site: yes");
  base = `http://127.0.0.1:${server.port}`;
});

after(async () => {
  await server?.stop();
  rmSync(ROOT, { recursive: true, force: true });
});

/** curl -i with extra request fields; the status and the head's fields. */
async function get(
  path: string,
  ...fields: string[]
): Promise<{ status: number; head: string; body: string }> {
  const args = ["-sS", "-i", ...fields.flatMap((f) => ["-H", f]), base + path];
  const text = (await runTool("curl", args)).stdout.toString("latin1");
  const [head = "", body = ""] = text.split("\r\n\r\n");
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head, body };
}

const field = (head: string, name: string): string | undefined =>
  new RegExp(`\r\n${name}: ([^\r\n]*)`, "i").exec(head)?.[1];

describe("--live and conditional requests", () => {
  it("answers the plain page's validators with the injected page, and its own ETag with 304", async () => {
    // The plain page's validators, as a browser cached them before --live: from a server
    // without --live on the same folder (the ETag is the file's size, mtime and inode).
    const without = await startServe(ROOT);
    let plainHead: string;
    try {
      const url = `http://127.0.0.1:${without.port}/index.html`;
      plainHead = (await runTool("curl", ["-sS", "-I", url])).stdout.toString("latin1");
    } finally {
      await without.stop();
    }
    const plainEtag = field(plainHead, "ETag") as string;
    const plainDate = field(plainHead, "Last-Modified") as string;
    assert.match(plainEtag, /^"[^"]+"$/);
    assert.ok(plainDate);

    const byTag = await get("/index.html", `If-None-Match: ${plainEtag}`);
    assert.equal(byTag.status, 200);
    assert.match(byTag.body, /<script data-tcpkit-live>/);
    const liveEtag = field(byTag.head, "ETag") as string;
    assert.equal(liveEtag, plainEtag.replace(/"$/, '-live"'));

    const byDate = await get("/index.html", `If-Modified-Since: ${plainDate}`);
    assert.equal(byDate.status, 200);
    assert.match(byDate.body, /<script data-tcpkit-live>/);

    const revalidated = await get("/index.html", `If-None-Match: ${liveEtag}`);
    assert.equal(revalidated.status, 304);
    assert.equal(field(revalidated.head, "ETag"), liveEtag);
    assert.equal(field(revalidated.head, "Content-Type"), undefined);
    assert.equal(field(revalidated.head, "X-Site"), "yes");
    assert.equal(revalidated.body, "");

    const headRevalidated = await runTool("curl", [
      "-sS",
      "-I",
      "-H",
      `If-None-Match: ${liveEtag}`,
      `${base}/index.html`,
    ]);
    assert.match(headRevalidated.stdout.toString("latin1"), /^HTTP\/1\.1 304 /);
    assert.equal((await get("/index.html", `If-Match: ${plainEtag}`)).status, 412);
    assert.equal((await get("/index.html", `If-Match: ${liveEtag}`)).status, 200);
  });

  it("keeps 304s for files it does not inject", async () => {
    const css = await get("/style.css");
    const etag = field(css.head, "ETag") as string;
    const notModified = await get("/style.css", `If-None-Match: ${etag}`);
    assert.equal(notModified.status, 304);
    // as the file server's own 304: the validator and the site's fields, no content metadata
    assert.equal(field(notModified.head, "ETag"), etag);
    assert.equal(field(notModified.head, "X-Site"), "yes");
    assert.equal(field(notModified.head, "Content-Type"), undefined);
    assert.equal(field(notModified.head, "Last-Modified"), undefined);
    const date = field(css.head, "Last-Modified") as string;
    assert.equal((await get("/style.css", `If-Modified-Since: ${date}`)).status, 304);
    assert.equal((await get("/style.css", 'If-None-Match: "other"')).status, 200);
  });
});

describe("--live and node_modules", () => {
  it("reloads for node_modules changes only once a page has loaded a file from it", async () => {
    const s: Socket = await openSocket(server.port);
    let text = "";
    s.setEncoding("latin1");
    s.on("data", (c: string) => (text += c));
    const until = async (done: () => boolean): Promise<void> => {
      for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      s.write("GET /.tcpkit%2Flive HTTP/1.1\r\nHost: x\r\n\r\n");
      await until(() => text.includes("tcpkit live reload"));
      writeFileSync(join(ROOT, "node_modules", "lib", "index.js"), "export const a = 1;\n");
      // the batch would be reported 100 ms after the write; wait well past it
      await new Promise((r) => setTimeout(r, 1000));
      assert.doesNotMatch(text, /event: reload/);
      assert.equal((await get("/node_modules/lib/index.js")).status, 200);
      writeFileSync(join(ROOT, "node_modules", "lib", "index.js"), "export const a = 2;\n");
      await until(() => text.includes("event: reload"));
      assert.match(text, /event: reload/);
    } finally {
      s.destroy();
    }
  });
});
