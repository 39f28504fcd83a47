/**
 * The listing's archive links in a real headless Chromium (Debian's, driven by playwright-core):
 * clicking ".zip" and ".tar.gz" downloads the folder under the name Content-Disposition gives
 * (filename* for a non-ASCII folder), and unzip / tar read what the browser saved.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { launchChromiumProfile } from "../support/chromium.js";
import { type RunningServer, startServe } from "../support/cli.js";
import { runTool } from "../support/tools.js";

let base: string;
let server: RunningServer;
let browser: BrowserContext;
let page: Page;
let url: string;

before(async () => {
  base = mkdtempSync(join(tmpdir(), "tcpkit-archive-browser-"));
  mkdirSync(join(base, "www", "photos ünï"), { recursive: true });
  writeFileSync(join(base, "www", "photos ünï", "cat.txt"), "meow\n");
  writeFileSync(join(base, "www", "readme.txt"), "hello\n");
  server = await startServe(join(base, "www"), "--archive");
  url = `http://127.0.0.1:${server.port}`;
  browser = await launchChromiumProfile(join(base, "profile"), { acceptDownloads: true });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(20_000);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (base !== undefined) rmSync(base, { recursive: true, force: true });
});

/** Clicks the listing's link `label` and saves the download; returns its name and path. */
async function clickDownload(label: string): Promise<{ name: string; path: string }> {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: label, exact: true }).click(),
  ]);
  const path = join(base, "saved-" + download.suggestedFilename());
  await download.saveAs(path);
  return { name: download.suggestedFilename(), path };
}

describe("archive links in Chromium", () => {
  it("downloads the root as .zip and a non-ASCII folder as .tar.gz, both readable", async () => {
    await page.goto(url + "/");
    const zip = await clickDownload(".zip");
    assert.equal(zip.name, "www.zip");
    const listed = await runTool("unzip", ["-Z1", zip.path]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.stdout.toString().trim().split("\n"), [
      "www/",
      "www/photos ünï/",
      "www/photos ünï/cat.txt",
      "www/readme.txt",
    ]);
    await page.goto(url + "/photos%20%C3%BCn%C3%AF/");
    const tgz = await clickDownload(".tar.gz");
    assert.equal(tgz.name, "photos ünï.tar.gz");
    const cat = await runTool("tar", ["-xzOf", tgz.path, "photos ünï/cat.txt"]);
    assert.equal(cat.stdout.toString(), "meow\n");
  });
});
