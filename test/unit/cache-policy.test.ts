/** `--cache-control auto`: which names count as carrying a content hash, and each policy. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  autoCacheControl,
  hasContentHash,
  IMMUTABLE,
  REVALIDATE,
  SHORT,
} from "../../src/static/cache-policy.js";

describe("cache policy (--cache-control auto)", () => {
  const hashed = [
    "app.3f9a2c1b.js", // webpack, hex
    "main.5d41402abc4b2a76b9719d911017c592.css", // 32 hex
    "index-BdK3jZ9a.js", // Vite, base64url
    "index-DiwrgTda.css",
    "chunk-5QWXYZ7A.mjs", // esbuild, base32
    "logo.a1b2c3d4.svg",
    "font-Ab12Cd34.woff2",
  ];
  const plain = [
    "index.js",
    "report-20241204.pdf", // a date, not a hash
    "photo-iPhone12.jpg", // 8 characters, but not a bundler's file
    "app-Settings.js", // a word
    "jquery-3.7.1.min.js",
    "deadbeef.js", // no separator
    "vendor-lodash.js",
    "notes.txt",
    ".hidden",
  ];
  for (const name of hashed) it(`${name}: hashed`, () => assert.equal(hasContentHash(name), true));
  for (const name of plain)
    it(`${name}: not hashed`, () => assert.equal(hasContentHash(name), false));

  it("documents revalidate, hashed names are immutable, the rest 5 minutes", () => {
    assert.equal(autoCacheControl("index.html"), REVALIDATE);
    assert.equal(autoCacheControl("data.json"), REVALIDATE);
    assert.equal(autoCacheControl("index.html.br"), REVALIDATE); // a precompressed sibling
    assert.equal(autoCacheControl("page.3f9a2c1b.html"), REVALIDATE); // HTML first
    assert.equal(autoCacheControl("app.3f9a2c1b.js"), IMMUTABLE);
    assert.equal(autoCacheControl("app.3f9a2c1b.js.gz"), IMMUTABLE);
    assert.equal(autoCacheControl("photo.jpg"), SHORT);
    assert.equal(IMMUTABLE, "public, max-age=31536000, immutable");
  });
});
