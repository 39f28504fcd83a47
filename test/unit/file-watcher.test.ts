/**
 * The live-reload watcher's debounce: a build that keeps writing (a file every 50 ms, gaps far
 * below the quiet time) is one batch however long it runs up to the cap, and what the batch holds.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ignored, watchTree } from "../../src/live/file-watcher.js";

describe("watchTree", () => {
  it("reports a 2 s stream of writes as one batch (the cap is 3 s), ignoring node_modules", async () => {
    const root = mkdtempSync(join(tmpdir(), "tcpkit-watch-"));
    mkdirSync(join(root, "node_modules"));
    const batches: (readonly string[])[] = [];
    const stop = watchTree(root, { dotfiles: false, debounceMs: 600 }, (paths) =>
      batches.push(paths),
    );
    try {
      await new Promise((r) => setTimeout(r, 100)); // inotify watches are in place
      const started = Date.now();
      for (let i = 0; Date.now() - started < 2000 && i < 100; i++) {
        writeFileSync(join(root, `f${i}.js`), `// ${i}\n`);
        writeFileSync(join(root, "node_modules", `m${i}.js`), `// ${i}\n`);
        await new Promise((r) => setTimeout(r, 50));
      }
      for (let i = 0; i < 100 && batches.length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 800)); // past the quiet time: nothing more comes
      assert.equal(batches.length, 1, `batches: ${batches.map((b) => b.length).join(", ")}`);
      assert.ok((batches[0]?.length ?? 0) >= 20);
      assert.ok(batches[0]?.every((p) => /^f\d+\.js$/.test(p)));
    } finally {
      stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("ignores dot-named and node_modules paths unless those are served", () => {
    assert.equal(ignored(join("a", ".git", "x"), false), true);
    assert.equal(ignored(join("a", ".well-known", "x"), true), false);
    assert.equal(ignored(join("node_modules", "lib", "x.js"), false), true);
    assert.equal(ignored(join("node_modules", "lib", "x.js"), false, true), false);
    assert.equal(ignored(join("src", "x.js"), false), false);
  });
});
