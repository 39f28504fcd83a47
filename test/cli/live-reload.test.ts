/**
 * `tcpkit serve --live` in a real headless Chromium (playwright-core, /usr/bin/chromium): a page
 * reloads when a file changes, a CSS-only change restyles the page without a navigation, a page
 * without </body> reloads too, 50 files written in a burst give one reload; and with curl and raw
 * sockets: the injected page's framing and ETag (HEAD's alike), ranges untouched, a precompressed
 * variant injected uncompressed, --live-poll, and 200 idle event streams in bounded memory.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { launchChromiumProfile } from "../support/chromium.js";
import {
  processMemory,
  runCli,
  startServe,
  startServeOn,
  type RunningServer,
} from "../support/cli.js";
import { openSocket } from "../support/raw-socket.js";
import { runTool } from "../support/tools.js";

const ROOT = mkdtempSync(join(tmpdir(), "tcpkit-live-"));
const page1 = (text: string): string =>
  `<!doctype html><html><head><link rel="stylesheet" href="/style.css"></head>` +
  `<body><p id="t">${text}</p></body></html>\n`;
writeFileSync(join(ROOT, "index.html"), page1("one"));
writeFileSync(join(ROOT, "style.css"), "p { color: rgb(255, 0, 0); }\n");
writeFileSync(join(ROOT, "bare.html"), "<p id=t>bare one</p>");
mkdirSync(join(ROOT, "burst"));
const ZIPPED = `<html><body><p id="t">zipped</p></body></html>\n`;
writeFileSync(join(ROOT, "zipped.html"), ZIPPED);
writeFileSync(join(ROOT, "zipped.html.gz"), gzipSync(ZIPPED));

let server: RunningServer;
let browser: BrowserContext;
let page: Page;
let profile: string;
let base: string;

before(async () => {
  server = await startServe(ROOT, "--live");
  base = `http://127.0.0.1:${server.port}`;
  profile = mkdtempSync(join(tmpdir(), "tcpkit-chromium-"));
  browser = await launchChromiumProfile(profile);
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(20_000);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(ROOT, { recursive: true, force: true });
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

/** Loads `path` and waits until its event stream is open (the page is listening). */
async function open(path: string): Promise<void> {
  const connected = page.waitForResponse((r) => r.url().endsWith("/.tcpkit%2Flive"));
  await page.goto(base + path);
  await connected;
  await page.evaluate("window.marker = 1");
}

const marker = (): Promise<unknown> => page.evaluate("window.marker");
const text = (want: string): string =>
  `document.getElementById("t")?.textContent === ${JSON.stringify(want)}`;
const COLOR = `getComputedStyle(document.getElementById("t")).color`;

describe("live reload in Chromium", () => {
  it("reloads the page when it changes", async () => {
    await open("/");
    writeFileSync(join(ROOT, "index.html"), page1("two"));
    await page.waitForFunction(text("two"));
    assert.equal(await marker(), undefined, "the page was not reloaded");
  });

  it("swaps stylesheets for a CSS-only change, without a navigation", async () => {
    await open("/");
    const color = (): Promise<string> => page.evaluate(COLOR);
    assert.equal(await color(), "rgb(255, 0, 0)");
    writeFileSync(join(ROOT, "style.css"), "p { color: rgb(0, 0, 255); }\n");
    await page.waitForFunction(`${COLOR} === "rgb(0, 0, 255)"`);
    assert.equal(await marker(), 1, "the page navigated");
    assert.equal(await page.$$eval('link[rel="stylesheet"]', (l) => l.length), 1);
  });

  it("reloads a page without </body> or </html>", async () => {
    await open("/bare.html");
    writeFileSync(join(ROOT, "bare.html"), "<p id=t>bare two</p>");
    await page.waitForFunction(text("bare two"));
  });

  it("reloads once for 50 files written in a burst", async () => {
    await open("/");
    let loads = 0;
    const onLoad = (): void => void loads++;
    page.on("load", onLoad);
    const reloaded = page.waitForEvent("load");
    for (let i = 0; i < 50; i++) writeFileSync(join(ROOT, "burst", `f${i}.js`), `// ${i}\n`);
    await reloaded;
    // a second batch would be reported 100 ms after the writes that made it; wait well past it
    await new Promise((r) => setTimeout(r, 2000));
    page.off("load", onLoad);
    assert.equal(loads, 1);
  });
});

describe("live reload in many tabs of one browser", () => {
  const tabPage = (text: string): string =>
    `<!doctype html><html><head><link rel="stylesheet" href="/tabs.css"></head>` +
    `<body><p id="t">${text}</p></body></html>\n`;

  it("shares one event stream between 8 tabs, which all reload and restyle, also after the tab holding it closes", async () => {
    writeFileSync(join(ROOT, "tabs.html"), tabPage("one"));
    writeFileSync(join(ROOT, "tabs.css"), "p { color: rgb(255, 0, 0); }\n");
    const dir = mkdtempSync(join(tmpdir(), "tcpkit-chromium-tabs-"));
    const context = await launchChromiumProfile(dir);
    try {
      // Which tab opened each event stream, in order: the last one holds the stream now.
      const streams: Page[] = [];
      context.on("request", (r) => {
        if (r.url().endsWith("/.tcpkit%2Flive")) streams.push(r.frame().page());
      });
      const until = async (what: string, done: () => boolean): Promise<void> => {
        for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(done(), what);
      };
      let tabs: Page[] = [];
      for (let i = 0; i < 8; i++) {
        const tab =
          i === 0 ? (context.pages()[0] ?? (await context.newPage())) : await context.newPage();
        tab.setDefaultTimeout(20_000);
        // With a stream per tab, the 7th tab's load waits forever for a connection (6 per origin).
        await tab.goto(`${base}/tabs.html`);
        tabs.push(tab);
      }
      await until("the first tab opens the stream", () => streams.length >= 1);
      assert.equal(streams.length, 1, "one stream for 8 tabs");
      const all = (expr: string): Promise<unknown> =>
        Promise.all(tabs.map((t) => t.waitForFunction(expr)));
      const markAll = (): Promise<unknown> =>
        Promise.all(tabs.map((t) => t.evaluate("window.marker = 1")));

      await markAll();
      writeFileSync(join(ROOT, "tabs.html"), tabPage("two"));
      await all(`${text("two")} && window.marker === undefined`);
      await until("a tab opens the stream again after the reload", () => streams.length >= 2);

      await markAll();
      writeFileSync(join(ROOT, "tabs.css"), "p { color: rgb(0, 0, 255); }\n");
      await all(`${COLOR} === "rgb(0, 0, 255)"`);
      for (const tab of tabs)
        assert.equal(await tab.evaluate("window.marker"), 1, "a tab navigated");

      const holder = streams.at(-1) as Page;
      const before = streams.length;
      await holder.close();
      tabs = tabs.filter((t) => t !== holder);
      await until("another tab takes the stream over", () => streams.length === before + 1);
      assert.notEqual(streams.at(-1), holder);
      writeFileSync(join(ROOT, "tabs.html"), tabPage("three"));
      await all(text("three"));
      assert.equal(tabs.length, 7);
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("live reload across restarts, and without Web Locks", () => {
  it("reloads once the server is back after a restart", async () => {
    const first = await startServe(ROOT, "--live");
    const port = first.port;
    let second: RunningServer | undefined;
    const dir = mkdtempSync(join(tmpdir(), "tcpkit-chromium-restart-"));
    const context = await launchChromiumProfile(dir);
    try {
      const tab = context.pages()[0] ?? (await context.newPage());
      tab.setDefaultTimeout(20_000);
      const connected = tab.waitForResponse((r) => r.url().endsWith("/.tcpkit%2Flive"));
      await tab.goto(`http://127.0.0.1:${port}/`);
      await connected;
      await tab.evaluate("window.marker = 1");
      await first.stop();
      second = await startServeOn(port, ROOT, "--live");
      // EventSource reconnects (retry: 500 ms); the new server's state differs: a reload
      await tab.waitForFunction("window.marker === undefined");
    } finally {
      await context.close();
      await second?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives each tab its own stream where Web Locks are missing (no secure context)", async () => {
    writeFileSync(join(ROOT, "plain.html"), "<html><body><p id=t>plain one</p></body></html>");
    const dir = mkdtempSync(join(tmpdir(), "tcpkit-chromium-nolocks-"));
    const context = await launchChromiumProfile(dir);
    try {
      // As on http://192.168.x.y: navigator.locks exists only in secure contexts.
      await context.addInitScript(
        "Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined })",
      );
      let streams = 0;
      context.on("request", (r) => void (r.url().endsWith("/.tcpkit%2Flive") && streams++));
      const tabs: Page[] = [];
      for (let i = 0; i < 2; i++) {
        const tab =
          i === 0 ? (context.pages()[0] ?? (await context.newPage())) : await context.newPage();
        tab.setDefaultTimeout(20_000);
        const connected = tab.waitForResponse((r) => r.url().endsWith("/.tcpkit%2Flive"));
        await tab.goto(`${base}/plain.html`);
        await connected;
        tabs.push(tab);
      }
      assert.equal(streams, 2);
      writeFileSync(join(ROOT, "plain.html"), "<html><body><p id=t>plain two</p></body></html>");
      await Promise.all(tabs.map((t) => t.waitForFunction(text("plain two"))));
      // A hidden tab lets its stream go; shown again, it reconnects and sees it missed a change.
      const [shown, hidden] = tabs as [Page, Page];
      await hidden.waitForFunction('document.readyState === "complete"');
      const setHidden = (value: boolean): Promise<unknown> =>
        hidden.evaluate(
          `Object.defineProperty(document, "hidden", { configurable: true, get: () => ${value} });` +
            `document.dispatchEvent(new Event("visibilitychange"))`,
        );
      await setHidden(true);
      await hidden.evaluate("window.marker = 1");
      writeFileSync(join(ROOT, "plain.html"), "<html><body><p id=t>plain three</p></body></html>");
      await shown.waitForFunction(text("plain three"));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await hidden.evaluate("window.marker"), 1, "a hidden tab reloaded");
      const reconnected = hidden.waitForResponse((r) => r.url().endsWith("/.tcpkit%2Flive"));
      await setHidden(false);
      await reconnected;
      await hidden.waitForFunction(text("plain three"));
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("live reload's HTTP side", () => {
  it("injects with a right Content-Length and a distinct ETag; HEAD alike; ranges untouched", async () => {
    const plain = await runTool("curl", ["-sS", "-i", `${base}/zipped.html`]);
    const [head, body] = plain.stdout.toString("latin1").split("\r\n\r\n") as [string, string];
    assert.match(body, /<script data-tcpkit-live>[^]*<\/script><\/body><\/html>\n$/);
    assert.equal(Number(/\r\nContent-Length: (\d+)/.exec(head)?.[1]), Buffer.byteLength(body));
    assert.match(head, /\r\nETag: "[^"]+-live"\r\n/);
    assert.doesNotMatch(head, /Accept-Ranges|Last-Modified|Repr-Digest/i);
    // tcpkit get asks for and checks the digest (RFC 9530): the plain file's would not match
    const got = await runCli(["get", "-O", "-", `${base}/zipped.html`]);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /<script data-tcpkit-live>/);
    const zipped = await runTool("curl", [
      "-sS",
      "-i",
      "-H",
      "Accept-Encoding: gzip",
      `${base}/zipped.html`,
    ]);
    const zippedText = zipped.stdout.toString("latin1");
    assert.doesNotMatch(zippedText, /Content-Encoding/i);
    assert.match(zippedText, /<p id="t">zipped<\/p><script data-tcpkit-live>/);
    // HEAD: the fields a GET gets (RFC 9110 §9.3.2), the injected length and ETag, no body
    const headOnly = (await runTool("curl", ["-sS", "-I", `${base}/zipped.html`])).stdout.toString(
      "latin1",
    );
    const field = (text: string, name: string): string | undefined =>
      new RegExp(`\r\n${name}: ([^\r\n]*)`, "i").exec(text)?.[1];
    assert.equal(field(headOnly, "Content-Length"), String(Buffer.byteLength(body)));
    assert.equal(field(headOnly, "ETag"), field(head, "ETag"));
    assert.doesNotMatch(headOnly, /Last-Modified|Repr-Digest/i);
    const range = await runTool("curl", ["-sS", "-r", "0-5", `${base}/zipped.html`]);
    assert.equal(range.stdout.toString(), ZIPPED.slice(0, 6));
  });

  it("holds 200 idle event streams in bounded memory, and reaches all of them", async () => {
    const pid = server.child.pid as number;
    const before = await processMemory(pid, "VmRSS");
    const sockets: Socket[] = [];
    const seen: string[] = [];
    try {
      for (let i = 0; i < 200; i++) {
        const s = await openSocket(server.port);
        seen.push("");
        s.setEncoding("latin1");
        s.on("data", (c: string) => (seen[i] += c));
        s.write("GET /.tcpkit%2Flive HTTP/1.1\r\nHost: x\r\n\r\n");
        sockets.push(s);
      }
      for (let i = 0; i < 100 && !seen.every((t) => t.includes("tcpkit live reload")); i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.ok(seen.every((t) => /^HTTP\/1\.1 200 OK\r\n[^]*text\/event-stream/.test(t)));
      const grown = (await processMemory(pid, "VmRSS")) - before;
      assert.ok(grown < 24 * 1024 * 1024, `RSS grew ${grown} bytes for 200 streams`);
      writeFileSync(join(ROOT, "burst", "ping.txt"), String(Date.now()));
      for (let i = 0; i < 100 && !seen.every((t) => t.includes("event: reload")); i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.equal(seen.filter((t) => t.includes("event: reload")).length, 200);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it("polls with --live-poll, and refuses --live-poll without --live", async () => {
    const polled = await startServe(ROOT, "--live", "--live-poll", "100");
    try {
      const s = await openSocket(polled.port);
      let text = "";
      s.setEncoding("latin1");
      s.on("data", (c: string) => (text += c));
      s.write("GET /.tcpkit%2Flive HTTP/1.1\r\nHost: x\r\n\r\n");
      for (let i = 0; i < 100 && !text.includes("tcpkit live reload"); i++)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300)); // the first walk is the baseline
      writeFileSync(join(ROOT, "burst", "polled.txt"), String(Date.now()));
      for (let i = 0; i < 100 && !text.includes("event: reload"); i++)
        await new Promise((r) => setTimeout(r, 50));
      s.destroy();
      assert.match(text, /event: reload/);
    } finally {
      await polled.stop();
    }
    const r = await runCli(["serve", ROOT, "--live-poll", "100"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--live-poll needs --live/);
  });
});
