/**
 * The listing's and error pages' look in a real Chromium (Debian's, driven by playwright-core),
 * checked by measuring the rendered page, not by eye: at 1280x900 and 390x844, light and dark, a
 * listing holding a 90-character file name keeps every size and date on one line (one client
 * rect per cell text), never scrolls sideways, hides the date on a phone with each ordinary entry
 * on one line, is dark in dark mode, shows an entry count and carries no script. A 404 page for
 * a browser links to the nearest folder. Screenshots go to .build/screenshots/ for people.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../support/chromium.js";
import { REPO_ROOT, type RunningServer, startServe } from "../support/cli.js";

const LONG_NAME =
  `${"quarterly-report-final-".repeat(3)}draft-v2-with-comments-and-annex.pdf`.slice(-90);

let root: string;
let server: RunningServer;
let browser: Browser;
let url: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-layout-"));
  const docs = join(root, "docs");
  mkdirSync(join(docs, "photos"), { recursive: true });
  mkdirSync(join(docs, "a folder with a rather long name as people make them"));
  writeFileSync(join(docs, LONG_NAME), Buffer.alloc(3 * 1024 * 1024 + 17));
  writeFileSync(join(docs, "notes.txt"), "notes\n");
  writeFileSync(join(docs, "ünïcode name.md"), "# hi\n");
  writeFileSync(join(docs, "big.iso"), "");
  server = await startServe(root);
  url = `http://127.0.0.1:${server.port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

interface Layout {
  /** Client rects of the text of each visible size and date cell (1 = not wrapped). */
  readonly cellLines: number[];
  /** Lines of each ordinary row's name (rows other than the long name). */
  readonly shortNameLines: number[];
  readonly longNameLines: number;
  readonly dateShown: boolean;
  readonly scrollWidth: number;
  readonly innerWidth: number;
  readonly background: string;
  readonly count: string;
  readonly scripts: number;
  readonly icon: string | null;
  readonly colorSchemeMeta: string | null;
}

/** Measures the listing in the page (a string: the tests compile without the DOM library). */
const MEASURE = `(() => {
  const lines = (el) => {
    const r = document.createRange();
    r.selectNodeContents(el);
    const tops = new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top)));
    return tops.size;
  };
  const visible = (el) => getComputedStyle(el).display !== "none" && el.getClientRects().length > 0;
  const cells = [...document.querySelectorAll("tbody td.size, tbody td.date")].filter(visible).filter((c) => c.textContent !== "");
  const names = [...document.querySelectorAll("tbody td.name a")];
  const long = names.find((a) => a.textContent.length >= 90);
  return {
    cellLines: cells.map(lines),
    shortNameLines: names.filter((a) => a !== long).map(lines),
    longNameLines: long ? lines(long) : 0,
    dateShown: [...document.querySelectorAll("td.date")].some(visible),
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    background: getComputedStyle(document.body).backgroundColor,
    count: document.querySelector(".count")?.textContent ?? "",
    scripts: document.scripts.length,
    icon: document.querySelector('link[rel="icon"]')?.getAttribute("href") ?? null,
    colorSchemeMeta: document.querySelector('meta[name="color-scheme"]')?.getAttribute("content") ?? null,
  };
})()`;

/** Relative luminance-ish brightness of "rgb(r, g, b)", 0..1. */
function brightness(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+/g) ?? []).map(Number);
  return ((r ?? 0) * 0.299 + (g ?? 0) * 0.587 + (b ?? 0) * 0.114) / 255;
}

async function openPage(
  width: number,
  height: number,
  colorScheme: "light" | "dark",
): Promise<{ page: Page; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return { page, close: () => context.close() };
}

describe("listing layout in Chromium", () => {
  const shots = join(REPO_ROOT, ".build", "screenshots");
  for (const [width, height] of [
    [1280, 900],
    [390, 844],
  ] as const) {
    for (const scheme of ["light", "dark"] as const) {
      it(`${width}x${height} ${scheme}: sizes and dates on one line, no sideways scroll`, async () => {
        const { page, close } = await openPage(width, height, scheme);
        try {
          const favicon: string[] = [];
          page.on("request", (r) => {
            if (r.url().endsWith("/favicon.ico")) favicon.push(r.url());
          });
          await page.goto(`${url}/docs/`);
          const m = (await page.evaluate(MEASURE)) as Layout;
          const phone = width < 600;
          assert.ok(m.cellLines.length >= 5, JSON.stringify(m));
          assert.deepEqual(
            m.cellLines.filter((n) => n !== 1),
            [],
            `a size or date cell wrapped: ${JSON.stringify(m)}`,
          );
          assert.ok(m.scrollWidth <= m.innerWidth, `scrolls sideways: ${JSON.stringify(m)}`);
          assert.equal(m.dateShown, !phone, "the date is hidden on a phone only");
          // Each ordinary entry is one line, even on a phone; the long name wraps there.
          assert.ok(
            m.shortNameLines.every((n) => n <= (phone ? 2 : 1)),
            JSON.stringify(m.shortNameLines),
          );
          assert.ok(
            m.longNameLines >= 1 && m.longNameLines <= (phone ? 3 : 1),
            String(m.longNameLines),
          );
          assert.equal(m.count, "2 folders, 4 files");
          assert.equal(m.scripts, 0, "no JavaScript");
          assert.equal(m.icon, "data:,");
          assert.equal(m.colorSchemeMeta, "light dark");
          const light = brightness(m.background);
          if (scheme === "dark") assert.ok(light < 0.2, `dark background: ${m.background}`);
          else assert.ok(light > 0.8, `light background: ${m.background}`);
          assert.deepEqual(favicon, [], "the browser asked for /favicon.ico");
          mkdirSync(shots, { recursive: true });
          await page.screenshot({
            path: join(shots, `listing-${width}x${height}-${scheme}.png`),
            fullPage: true,
          });
        } finally {
          await close();
        }
      });
    }
  }

  it("a 404 page for a browser, in the same look, links to the nearest folder", async () => {
    const { page, close } = await openPage(390, 844, "dark");
    try {
      const response = await page.goto(`${url}/docs/photos/missing/deeper.jpg`);
      assert.equal(response?.status(), 404);
      assert.equal(await page.title(), "404 Not Found");
      assert.ok(brightness(String(await page.evaluate(BODY_BACKGROUND))) < 0.2);
      await page.click("text=Go to /docs/photos/");
      await page.waitForURL(`${url}/docs/photos/`);
      assert.equal(await page.title(), "Index of /docs/photos/");
    } finally {
      await close();
    }
  });
});

const BODY_BACKGROUND = "getComputedStyle(document.body).backgroundColor";
