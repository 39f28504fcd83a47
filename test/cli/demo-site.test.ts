/**
 * The demo site (site/, what `npm start` serves) in Chromium: it works on any port and when
 * served from elsewhere (ROOT the clone, the site under /site/): its stylesheet and links are
 * relative, the shell examples name the address the page was loaded from, and code blocks that
 * do not fit show that they scroll (overflow, a visible edge shadow). `npm start` names no port,
 * so `npm start -- --port N` works.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { launchChromium } from "../support/chromium.js";
import { REPO_ROOT, type RunningServer, startServe } from "../support/cli.js";

let browser: Browser;
const servers: RunningServer[] = [];

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.stop();
});

interface SitePage {
  readonly here: string;
  readonly maxWidth: string;
  readonly scrolling: { overflowX: string; wider: boolean; shadow: boolean }[];
}

const MEASURE = `(() => ({
  here: document.getElementById("here").textContent,
  maxWidth: getComputedStyle(document.body).maxWidth,
  scrolling: [...document.querySelectorAll("pre")].map((p) => ({
    overflowX: getComputedStyle(p).overflowX,
    wider: p.scrollWidth > p.clientWidth,
    shadow: getComputedStyle(p).backgroundImage.includes("radial-gradient"),
  })),
}))()`;

describe("demo site", () => {
  it("npm start names no port, so `npm start -- --port N` is the only one", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    assert.equal(pkg.scripts["start"], "node bin/tcpkit.js serve site");
  });

  for (const [where, root, base] of [
    ["as ROOT", join(REPO_ROOT, "site"), "/"],
    ["from the clone, under /site/", REPO_ROOT, "/site/"],
  ] as const) {
    it(`works ${where} on a free port, code blocks visibly scroll on a phone`, async () => {
      const server = await startServe(root);
      servers.push(server);
      const url = `http://127.0.0.1:${server.port}`;
      const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
      try {
        const page = await context.newPage();
        page.setDefaultTimeout(20_000);
        const failed: string[] = [];
        page.on("response", (r) => {
          if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
        });
        await page.goto(`${url}${base}`);
        const m = (await page.evaluate(MEASURE)) as SitePage;
        assert.equal(m.here, `${url}${base}`, "the examples name this address");
        assert.equal(m.maxWidth, "672px", "the stylesheet loaded");
        assert.deepEqual(failed, []);
        assert.ok(
          m.scrolling.some((p) => p.wider),
          `a code block wider than a phone: ${JSON.stringify(m)}`,
        );
        for (const p of m.scrolling) {
          assert.equal(p.overflowX, "auto");
          assert.ok(p.shadow, "an edge shadow shows there is more");
        }
        await page.click("text=A folder without index.html");
        await page.waitForURL(`${url}${base}docs/`);
        assert.equal(await page.title(), `Index of ${base}docs/`);
      } finally {
        await context.close();
      }
    });
  }
});
