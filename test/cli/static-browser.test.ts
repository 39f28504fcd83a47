/**
 * A real headless Chromium (Debian's, driven by playwright-core) against `tcpkit serve`: the
 * listing renders, links navigate into a folder and back, sort links reorder, a screenshot is
 * saved under .build/; and a <video> of a WebM clip (recorded by Chromium itself from a canvas,
 * so no binary is committed) is fetched with the browser's own Range requests, answered 206.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page, Response } from "playwright-core";
import { launchChromiumProfile } from "../support/chromium.js";
import { REPO_ROOT, type RunningServer, startServe } from "../support/cli.js";
import { makeStaticFixture, type StaticFixture } from "../support/static-fixture.js";

let fx: StaticFixture;
let server: RunningServer;
let browser: BrowserContext;
let page: Page;
let url: string;
let profile: string;

before(async () => {
  fx = makeStaticFixture();
  server = await startServe(fx.root);
  url = `http://127.0.0.1:${server.port}`;
  profile = mkdtempSync(join(tmpdir(), "tcpkit-chromium-"));
  browser = await launchChromiumProfile(profile, {
    args: ["--disable-quic", "--disable-component-update"],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(20_000);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  fx?.remove();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

/** The names in the listing table, in order. */
function rowNames(): Promise<string[]> {
  return page.$$eval("tbody tr td:first-child a", (links) => links.map((a) => a.textContent ?? ""));
}

describe("directory listing in Chromium", () => {
  it("renders, navigates into a folder and back, and sorts", async () => {
    await page.goto(`${url}/docs/`);
    assert.equal(await page.title(), "Index of /docs/");
    assert.deepEqual(await rowNames(), ["../", "sub/", "<b>&.txt", "a.txt", "bigger.txt"]);

    await page.click("text=sub/");
    await page.waitForURL(`${url}/docs/sub/`);
    assert.deepEqual(await rowNames(), ["../", "c.txt"]);
    await page.click("text=../");
    await page.waitForURL(`${url}/docs/`);

    await page.click("th a:text('Size')");
    await page.waitForURL(`${url}/docs/?sort=size&order=asc`);
    assert.deepEqual(await rowNames(), ["../", "sub/", "a.txt", "<b>&.txt", "bigger.txt"]);
    await page.click("th a:text('Size')");
    await page.waitForURL(`${url}/docs/?sort=size&order=desc`);
    assert.deepEqual(await rowNames(), ["../", "sub/", "bigger.txt", "<b>&.txt", "a.txt"]);

    await page.click("text=<b>&.txt");
    await page.waitForURL(`${url}/docs/%3Cb%3E%26.txt`);
    assert.equal(await page.textContent("body"), "tricky\n");
    await page.goBack();
    await page.waitForURL(`${url}/docs/?sort=size&order=desc`);

    const shots = join(REPO_ROOT, ".build", "screenshots");
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, "listing.png"), fullPage: true });
  });
});

describe("video in Chromium", () => {
  it("plays and seeks a <video> fetched with Range requests answered 206", async () => {
    await page.goto(`${url}/hello.txt`);
    const webm = Buffer.from(String(await page.evaluate(RECORD_WEBM)), "base64");
    assert.ok(webm.length > 500, `recorded ${webm.length} bytes`);
    writeFileSync(join(fx.root, "clip.webm"), webm);
    writeFileSync(
      join(fx.root, "video.html"),
      '<!doctype html><video id="v" src="/clip.webm" preload="auto" muted></video>\n',
    );
    const seen: { range: string | undefined; status: number; contentRange: string | undefined }[] =
      [];
    const collect = async (response: Response): Promise<void> => {
      if (!response.url().endsWith("/clip.webm")) return;
      const headers = await response.request().allHeaders();
      seen.push({
        range: headers["range"],
        status: response.status(),
        contentRange: (await response.allHeaders())["content-range"],
      });
    };
    page.on("response", (r) => void collect(r));
    await page.goto(`${url}/video.html`);
    const state = String(await page.evaluate(WAIT_FOR_VIDEO));
    assert.match(state, /^ready [234]$/);
    const seek = String(await page.evaluate(SEEK_VIDEO));
    assert.match(seek, /^seeked /, seek);
    const ranged = seen.filter((s) => s.range !== undefined);
    assert.ok(ranged.length >= 1, `range requests: ${JSON.stringify(seen)}`);
    for (const s of ranged) {
      assert.match(s.range ?? "", /^bytes=\d+-\d*$/);
      assert.equal(s.status, 206);
      assert.match(s.contentRange ?? "", new RegExp(`^bytes \\d+-\\d+/${webm.length}$`));
    }
  });
});

// Browser-side scripts, as strings: the tests compile without the DOM library.

/** Resolves "ready N" once the video has data, "error N" or "timeout N" otherwise. */
const WAIT_FOR_VIDEO = `new Promise((resolve) => {
  const v = document.getElementById("v");
  const done = () => resolve("ready " + v.readyState);
  if (v.readyState >= 2) done();
  v.addEventListener("loadeddata", done);
  v.addEventListener("error", () => resolve("error " + (v.error && v.error.code)));
  setTimeout(() => resolve("timeout " + v.readyState), 15000);
})`;

/** Seeks to 1 s and resolves "seeked T" once the browser has the frame there. */
const SEEK_VIDEO = `new Promise((resolve) => {
  const v = document.getElementById("v");
  v.addEventListener("seeked", () => resolve("seeked " + v.currentTime));
  v.addEventListener("error", () => resolve("error " + (v.error && v.error.code)));
  setTimeout(() => resolve("timeout " + v.currentTime + " " + v.readyState), 15000);
  v.currentTime = 1;
})`;

/** Records 1.5 s of a changing canvas as VP8 WebM; resolves with it as base64. */
const RECORD_WEBM = `(async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 48;
  const g = canvas.getContext("2d");
  const recorder = new MediaRecorder(canvas.captureStream(25), { mimeType: "video/webm;codecs=vp8" });
  const chunks = [];
  recorder.ondataavailable = (e) => chunks.push(e.data);
  let frame = 0;
  const timer = setInterval(() => {
    g.fillStyle = "hsl(" + ((frame++ * 20) % 360) + ",80%,50%)";
    g.fillRect(0, 0, 64, 48);
  }, 40);
  recorder.start();
  await new Promise((r) => setTimeout(r, 1500));
  const stopped = new Promise((r) => (recorder.onstop = r));
  recorder.stop();
  await stopped;
  clearInterval(timer);
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
})()`;
