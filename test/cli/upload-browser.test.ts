/**
 * The listing's upload form in a real headless Chromium (Debian's, via playwright-core): pick two
 * files, submit without JavaScript of ours, land back on the listing (303) and see them listed;
 * the stored bytes equal the picked ones. And with --cors, a page of another origin uploading with
 * fetch(): Chromium's preflight, then the PUT, whose answer the page may read.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { launchChromiumProfile } from "../support/chromium.js";
import { type RunningServer, startServe } from "../support/cli.js";

let root: string;
let profile: string;
let server: RunningServer;
let browser: BrowserContext;
let page: Page;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-upload-browser-"));
  server = await startServe(root, "--upload");
  profile = mkdtempSync(join(tmpdir(), "tcpkit-chromium-"));
  browser = await launchChromiumProfile(profile);
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(20_000);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

describe("the upload form in Chromium", () => {
  it("uploads two picked files and shows them in the listing", async () => {
    const url = `http://127.0.0.1:${server.port}/`;
    const binary = randomBytes(300_000);
    await page.goto(url);
    await page.setInputFiles("form.upload input[type=file]", [
      { name: "photo €.bin", mimeType: "application/octet-stream", buffer: binary },
      { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello\n") },
    ]);
    await Promise.all([page.waitForURL(url), page.click("form.upload button[type=submit]")]);
    const names = await page.$$eval("tbody tr td:first-child a", (a) =>
      a.map((x) => x.textContent ?? ""),
    );
    assert.ok(names.includes("photo €.bin"), names.join(", "));
    assert.ok(names.includes("notes.txt"), names.join(", "));
    assert.ok(readFileSync(join(root, "photo €.bin")).equals(binary));
    assert.equal(readFileSync(join(root, "notes.txt"), "utf8"), "hello\n");
  });

  it("--cors: a page of another origin uploads with fetch() and reads the answer", async () => {
    // Another port is another origin. Content-Type application/octet-stream is not one a page
    // may send unasked, so Chromium first sends a preflight naming the method and that header.
    const otherRoot = mkdtempSync(join(tmpdir(), "tcpkit-upload-cors-"));
    mkdirSync(join(otherRoot, "in"));
    const other = await startServe(otherRoot, "--upload=in", "--cors");
    try {
      await page.goto(`http://127.0.0.1:${server.port}/`);
      const answer = await page.evaluate(async (url) => {
        const r = await fetch(url, {
          method: "PUT",
          headers: { "Content-Type": "application/octet-stream" },
          body: "from another origin\n",
        });
        return { status: r.status, location: r.headers.get("Location") };
      }, `http://127.0.0.1:${other.port}/in/cross.txt`);
      assert.deepEqual(answer, { status: 201, location: "/in/cross.txt" });
      assert.equal(
        readFileSync(join(otherRoot, "in", "cross.txt"), "utf8"),
        "from another origin\n",
      );
    } finally {
      await other.stop();
      rmSync(otherRoot, { recursive: true, force: true });
    }
  });
});
