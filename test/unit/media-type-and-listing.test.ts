/** Media types from mime-db, and directory-listing rendering (escaping, order, forms). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import type { MimeDatabase } from "mime-db";
import { formatSize } from "../../src/util/format.js";
import {
  escapeHtml,
  parseSortQuery,
  renderHtml,
  renderJson,
  renderText,
  sortEntries,
  type ListingEntry,
} from "../../src/static/directory-listing.js";
import { mediaTypeFor } from "../../src/static/media-type.js";
import { tableFromMimeDb } from "../../src/static/media-type-table.js";
import { REPO_ROOT } from "../support/cli.js";

describe("mediaTypeFor", () => {
  const rows: [string, string, boolean][] = [
    ["index.html", "text/html; charset=utf-8", true],
    ["INDEX.HTM", "text/html; charset=utf-8", true],
    ["app.js", "text/javascript; charset=utf-8", true],
    ["m.mjs", "text/javascript; charset=utf-8", true],
    ["s.css", "text/css; charset=utf-8", true],
    ["d.json", "application/json; charset=utf-8", true],
    ["notes.md", "text/markdown; charset=utf-8", true],
    ["a.txt", "text/plain; charset=utf-8", true],
    ["i.svg", "image/svg+xml", true],
    ["p.png", "image/png", false],
    ["v.mp4", "video/mp4", false],
    ["v.webm", "video/webm", false],
    ["f.woff2", "font/woff2", false],
    ["x.wasm", "application/wasm", true],
    ["noext", "application/octet-stream", false],
    ["trailing.", "application/octet-stream", false],
    ["weird.zzzz", "application/octet-stream", false],
  ];
  for (const [name, type, compressible] of rows) {
    it(name, () => {
      assert.deepEqual(mediaTypeFor(name), { contentType: type, compressible });
    });
  }
  it("is not fooled by names of Object.prototype's properties", () => {
    for (const name of ["a.constructor", "a.__proto__", "a.toString", "a.hasOwnProperty"]) {
      assert.deepEqual(mediaTypeFor(name), {
        contentType: "application/octet-stream",
        compressible: false,
      });
    }
  });
  it("the build's dist/media-types.json is the table the installed mime-db gives", () => {
    // The CLI reads the precomputed table; here (sources compiled apart) it is derived at once.
    const db = createRequire(import.meta.url)("mime-db") as MimeDatabase;
    const built: unknown = JSON.parse(readFileSync(`${REPO_ROOT}dist/media-types.json`, "utf8"));
    const table = tableFromMimeDb(db);
    assert.deepEqual(built, table);
    assert.ok(Object.keys(table.extensions).length > 1000, "about 1,200 extensions");
  });
});

const ENTRIES: ListingEntry[] = [
  { name: "b.txt", isDirectory: false, size: 10, mtimeMs: 3000 },
  { name: "a.txt", isDirectory: false, size: 300, mtimeMs: 1000 },
  { name: "zdir", isDirectory: true, size: 4096, mtimeMs: 2000 },
  { name: "<script>&\"'.html", isDirectory: false, size: 2048, mtimeMs: 500 },
  { name: "adir", isDirectory: true, size: 4096, mtimeMs: 4000 },
];

describe("directory listing", () => {
  it("sorts folders first, by name, size or date, both orders", () => {
    const names = (s: "name" | "size" | "date", o: "asc" | "desc") =>
      sortEntries(ENTRIES, s, o).map((e) => e.name);
    assert.deepEqual(names("name", "asc"), ["adir", "zdir", "<script>&\"'.html", "a.txt", "b.txt"]);
    assert.deepEqual(names("name", "desc"), [
      "zdir",
      "adir",
      "b.txt",
      "a.txt",
      "<script>&\"'.html",
    ]);
    assert.deepEqual(names("size", "asc"), ["adir", "zdir", "b.txt", "a.txt", "<script>&\"'.html"]);
    assert.deepEqual(names("date", "desc"), [
      "adir",
      "zdir",
      "b.txt",
      "a.txt",
      "<script>&\"'.html",
    ]);
  });

  it("reads sort and order from the query, defaulting safely", () => {
    assert.deepEqual(parseSortQuery("sort=size&order=desc"), { sort: "size", order: "desc" });
    assert.deepEqual(parseSortQuery("sort=evil&order=up"), { sort: "name", order: "asc" });
    assert.deepEqual(parseSortQuery(""), { sort: "name", order: "asc" });
  });

  it("escapes names in HTML and links, and shows breadcrumbs", () => {
    const html = renderHtml(["docs", "a b"], ENTRIES, "name", "asc", false);
    assert.ok(!html.includes("<script>&"), "raw name must not appear");
    assert.ok(html.includes("&lt;script&gt;&amp;&quot;&#39;.html"));
    assert.ok(html.includes('href="%3Cscript%3E%26%22%27.html"'));
    assert.ok(html.includes('<a href="/docs/">docs/</a>'));
    assert.ok(html.includes('<a href="/docs/a%20b/">a b/</a>'));
    assert.ok(html.includes('<a href="../">../</a>'));
    assert.ok(html.includes('href="?sort=name&amp;order=desc"'), "name toggles to desc");
    assert.ok(html.includes('href="?sort=size&amp;order=asc"'));
    assert.ok(html.includes("2.0 KiB"));
    assert.ok(!html.includes("<script"), "no JavaScript");
  });

  it("renders JSON and text forms", () => {
    const json = JSON.parse(renderJson(["docs"], ENTRIES.slice(0, 1), false)) as unknown;
    assert.deepEqual(json, {
      path: "/docs/",
      entries: [{ name: "b.txt", type: "file", size: 10, modified: "1970-01-01T00:00:03.000Z" }],
      truncated: false,
    });
    assert.equal(
      renderText([ENTRIES[2] as ListingEntry]),
      "zdir/\t4096\t1970-01-01T00:00:02.000Z\n",
    );
  });

  it("formats sizes and escapes text", () => {
    assert.equal(formatSize(0), "0 B");
    assert.equal(formatSize(1023), "1023 B");
    assert.equal(formatSize(1536), "1.5 KiB");
    assert.equal(formatSize(200 * 1024 * 1024), "200 MiB");
    assert.equal(
      escapeHtml(`<a href="x">'&'</a>`),
      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
    );
  });
});
