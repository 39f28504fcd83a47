/**
 * serveStatic as a plain Handler, called with RequestHead objects over a temporary site: files,
 * path safety, symlinks, dotfiles, folders, redirects and listings.
 */
import assert from "node:assert/strict";
import { mkdirSync, rmdirSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { serveStatic } from "../../src/static/serve-static.js";
import type { FileRange } from "../../src/http/types.js";
import { TcpkitError } from "../../src/util/tcpkit-error.js";
import {
  planBody,
  planHeader,
  requestHead as req,
  NO_NEXT,
  TEST_CONTEXT,
  useStaticSite,
} from "../support/static-fixture.js";

const site = useStaticSite();
const get = site.get;

describe("serveStatic: files", () => {
  it("serves a small file with validators, type and Cache-Control", async () => {
    const p = await get("/hello.txt");
    assert.equal(p.status, 200);
    assert.equal(planBody(p).toString(), "Hello, world!\n");
    assert.equal(planHeader(p, "content-type"), "text/plain; charset=utf-8");
    assert.match(planHeader(p, "etag") ?? "", /^"[0-9a-z]+-[0-9a-z]+-[0-9a-z]+"$/);
    assert.match(planHeader(p, "last-modified") ?? "", /GMT$/);
    assert.equal(planHeader(p, "accept-ranges"), "bytes");
    assert.equal(planHeader(p, "cache-control"), "no-cache");
    assert.equal(p.body.kind, "bytes");
  });

  it("serves a large file as a file range, not from memory", async () => {
    const p = await get("/big.bin");
    assert.equal(p.status, 200);
    assert.equal(p.body.kind, "file");
    const { kind, path, start, end, open } = p.body as FileRange;
    assert.deepEqual(
      { kind, path, start, end },
      {
        kind: "file",
        path: join(site.fx.root, "big.bin"),
        start: 0,
        end: site.fx.big.length,
      },
    );
    // Opened through the file table's check beneath the root (issue 18 #2).
    assert.equal(typeof open, "function");
    assert.equal(planHeader(p, "content-type"), "application/octet-stream");
  });

  it("decodes UTF-8 names and spaces", async () => {
    const p = await get("/%C3%A9vent%20space/%C3%A9t%C3%A9.txt");
    assert.equal(p.status, 200);
    assert.equal(planBody(p).toString(), "unicode\n");
  });

  it("sees a changed file on the very next request", async () => {
    const path = join(site.fx.root, "docs", "a.txt");
    const first = await get("/docs/a.txt");
    writeFileSync(path, "changed\n");
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    const handler = serveStatic(site.fx.root);
    const ctx = TEST_CONTEXT;
    const a = await handler(req("/docs/a.txt"), ctx, NO_NEXT);
    writeFileSync(path, "changed again, longer\n");
    // Called directly (no dispatch turn), the handler stats afresh: no wait is needed.
    const b = await handler(req("/docs/a.txt"), ctx, NO_NEXT);
    assert.equal(planBody(a).toString(), "changed\n");
    assert.equal(planBody(b).toString(), "changed again, longer\n");
    assert.notEqual(planHeader(first, "etag"), planHeader(b, "etag"));
    writeFileSync(path, "a\n");
  });
});

describe("serveStatic: safety", () => {
  const notFound = [
    "/.env",
    "/.git/config",
    "/.git/",
    "/docs/.hidden",
    "/link-out.txt",
    "/link-dir-out/outside.txt",
    "/link-dir-out/www-secret/secret.txt",
    "/link-to-dotfile",
    "/missing",
    "/hello.txt/",
    "//etc/passwd",
  ];
  for (const target of notFound) {
    it(`404 for ${target}`, async () => {
      const p = await get(target);
      assert.equal(p.status, 404);
      assert.equal(planBody(p).toString(), "404 Not Found\n");
    });
  }
  const bad = [
    "/../outside.txt",
    "/%2e%2e/outside.txt",
    "/..%2foutside.txt",
    "/%2e%2e%5coutside.txt",
    "/..\\outside.txt",
    "/../www-secret/secret.txt",
    "/a/../../outside.txt",
    "/hello.txt%00.html",
    "/%zz",
    "*",
  ];
  for (const target of bad) {
    it(`400 for ${target}`, async () => {
      const p = await get(target);
      assert.equal(p.status, 400);
      assert.ok(!planBody(p).toString().includes("SECRET"));
    });
  }

  it("decodes only once: %252e%252e is a literal name, not a climb", async () => {
    const p = await get("/%252e%252e/outside.txt");
    assert.equal(p.status, 404);
  });

  it("follows a symlink inside the root", async () => {
    const p = await get("/link-in.txt");
    assert.equal(p.status, 200);
    assert.equal(planBody(p).toString(), "Hello, world!\n");
  });

  it("--follow-symlinks and --dotfiles open what they say", async () => {
    const out = await get("/link-out.txt", {}, { followSymlinks: true });
    assert.equal(planBody(out).toString(), "SECRET outside\n");
    const env = await get("/.env", {}, { dotfiles: true });
    assert.equal(env.status, 200);
  });

  it("revalidates symlinks: a link retargeted outside the root is 404 on the next request", async () => {
    const handler = serveStatic(site.fx.root);
    const ctx = TEST_CONTEXT;
    const link = join(site.fx.root, "swing.txt");
    symlinkSync(join(site.fx.root, "hello.txt"), link);
    try {
      assert.equal((await handler(req("/swing.txt"), ctx, NO_NEXT)).status, 200);
      unlinkSync(link);
      symlinkSync(join(site.fx.base, "outside.txt"), link);
      const after = await handler(req("/swing.txt"), ctx, NO_NEXT);
      assert.equal(after.status, 404);
      assert.ok(!planBody(after).toString().includes("SECRET"));
    } finally {
      unlinkSync(link);
    }
  });

  it("revalidates folders: a folder link retargeted outside the root is 404 at once", async () => {
    const handler = serveStatic(site.fx.root);
    const link = join(site.fx.root, "swing-dir");
    symlinkSync(join(site.fx.root, "docs"), link);
    try {
      assert.equal((await handler(req("/swing-dir/"), TEST_CONTEXT, NO_NEXT)).status, 200);
      assert.equal((await handler(req("/swing-dir/"), TEST_CONTEXT, NO_NEXT)).status, 200);
      unlinkSync(link);
      symlinkSync(site.fx.base, link);
      assert.equal((await handler(req("/swing-dir/"), TEST_CONTEXT, NO_NEXT)).status, 404);
      assert.equal(
        (await handler(req("/swing-dir/outside.txt"), TEST_CONTEXT, NO_NEXT)).status,
        404,
      );
    } finally {
      unlinkSync(link);
    }
  });

  it("a file replaced by a folder is seen as a folder at once", async () => {
    const handler = serveStatic(site.fx.root);
    const ctx = TEST_CONTEXT;
    const path = join(site.fx.root, "morph");
    writeFileSync(path, "file\n");
    assert.equal(planBody(await handler(req("/morph"), ctx, NO_NEXT)).toString(), "file\n");
    unlinkSync(path);
    mkdirSync(path);
    assert.equal((await handler(req("/morph"), ctx, NO_NEXT)).status, 301);
    rmdirSync(path);
    assert.equal((await handler(req("/morph"), ctx, NO_NEXT)).status, 404);
  });

  it("refuses a root that is not a folder", () => {
    assert.throws(
      () => serveStatic(join(site.fx.root, "nope")),
      (e: unknown) => e instanceof TcpkitError && e.code === "ERR_FILE",
    );
  });
});

describe("serveStatic: folders", () => {
  it("redirects a folder without its slash, keeping the query", async () => {
    const p = await get("/docs?sort=size");
    assert.equal(p.status, 301);
    assert.equal(planHeader(p, "location"), "/docs/?sort=size");
  });

  it("never redirects to another host", async () => {
    const p = await get("//evil.example");
    assert.equal(p.status, 301);
    assert.equal(planHeader(p, "location"), "/evil.example/");
    const q = await get("/%2Fevil.example");
    assert.equal(planHeader(q, "location"), "/evil.example/");
  });

  it("re-encodes the Location of a folder with awkward characters", async () => {
    const p = await get("/%C3%A9vent%20space");
    assert.equal(planHeader(p, "location"), "/%C3%A9vent%20space/");
  });

  it("puts other wings' listing extras under the heading, given the folder's URL path", async () => {
    const seen: string[] = [];
    const extra = (folder: string): string => {
      seen.push(folder);
      return `<p id="extra">for ${folder}</p>`;
    };
    const html = planBody(await get("/%C3%A9vent%20space/", {}, { listingExtras: [extra] }));
    assert.deepEqual(seen, ["/%C3%A9vent%20space/"]);
    // Under the heading and the entry count, above the table.
    assert.match(
      html.toString(),
      /<\/h1>\n<p class="meta count">[^<]*<\/p>\n<p id="extra">for \/%C3%A9vent%20space\/<\/p><table>/,
    );
    const json = await get("/docs/", { accept: "application/json" }, { listingExtras: [extra] });
    assert.doesNotMatch(planBody(json).toString(), /extra/);
  });

  it("serves index.html for a folder", async () => {
    const p = await get("/");
    assert.equal(p.status, 200);
    assert.match(planBody(p).toString(), /<h1>home<\/h1>/);
  });

  it("lists a folder without index.html: HTML, JSON, text", async () => {
    const html = await get("/docs/");
    assert.equal(planHeader(html, "content-type"), "text/html; charset=utf-8");
    const text = planBody(html).toString();
    assert.ok(text.includes("sub/") && text.includes("a.txt"));
    assert.ok(text.includes("&lt;b&gt;&amp;.txt"));
    assert.ok(!text.includes(".hidden"));
    assert.ok(!text.includes(site.fx.root), "no server path");
    assert.ok(text.indexOf("sub/") < text.indexOf("a.txt"), "folders first");
    const json = await get("/docs/", { accept: "application/json" });
    const parsed = JSON.parse(planBody(json).toString()) as {
      path: string;
      entries: { name: string }[];
    };
    assert.equal(parsed.path, "/docs/");
    assert.deepEqual(
      parsed.entries.map((e) => e.name),
      ["sub", "<b>&.txt", "a.txt", "bigger.txt"],
    );
    const plain = await get("/docs/", { accept: "text/plain" });
    assert.equal(planHeader(plain, "content-type"), "text/plain; charset=utf-8");
    const bySize = await get("/docs/?sort=size&order=desc", { accept: "application/json" });
    const sized = JSON.parse(planBody(bySize).toString()) as { entries: { name: string }[] };
    assert.deepEqual(
      sized.entries.map((e) => e.name),
      ["sub", "bigger.txt", "<b>&.txt", "a.txt"],
    );
  });

  it("shows dotfiles in listings only with --dotfiles; --no-listing gives 404", async () => {
    const shown = await get("/docs/", { accept: "text/plain" }, { dotfiles: true });
    assert.ok(planBody(shown).toString().includes(".hidden"));
    const off = await get("/docs/", {}, { listing: false });
    assert.equal(off.status, 404);
  });
});
