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
    // The writes come from this process, which also runs the watcher: a loaded machine that
    // stalls it for the quiet time (600 ms) between two writes makes two batches rightly, and
    // one that slows each write leaves fewer files in the 2 s. Such a run is not the stream this
    // test is about: it is run again (at most 3 times) when its own writes were not within
    // 300 ms of each other; a run that was such a stream must give exactly one batch.
    let last: { batches: (readonly string[])[]; written: string[] } | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const run = await writeStream();
      last = run;
      if (run.maxGapMs < 300) break;
    }
    const { batches, written } = last!;
    assert.equal(batches.length, 1, `batches: ${batches.map((b) => b.length).join(", ")}`);
    // Every file written is in it, and nothing from node_modules.
    assert.deepEqual([...(batches[0] ?? [])].sort(), [...written].sort());
    assert.ok(written.length >= 7, `${written.length} writes`);
  });

  it("ignores dot-named and node_modules paths unless those are served", () => {
    assert.equal(ignored(join("a", ".git", "x"), false), true);
    assert.equal(ignored(join("a", ".well-known", "x"), true), false);
    assert.equal(ignored(join("node_modules", "lib", "x.js"), false), true);
    assert.equal(ignored(join("node_modules", "lib", "x.js"), false, true), false);
    assert.equal(ignored(join("src", "x.js"), false), false);
  });
});

/**
 * Writes a file (and one in node_modules) every 50 ms for 2 s under a watcher with a 600 ms
 * quiet time; returns the batches reported, the files written and the longest gap between two
 * writes as this process saw it.
 */
async function writeStream(): Promise<{
  batches: (readonly string[])[];
  written: string[];
  maxGapMs: number;
}> {
  const root = mkdtempSync(join(tmpdir(), "tcpkit-watch-"));
  mkdirSync(join(root, "node_modules"));
  const batches: (readonly string[])[] = [];
  const written: string[] = [];
  let maxGapMs = 0;
  const stop = watchTree(root, { dotfiles: false, debounceMs: 600 }, (paths) =>
    batches.push(paths),
  );
  try {
    await new Promise((r) => setTimeout(r, 100)); // inotify watches are in place
    const started = Date.now();
    let previous = started;
    for (let i = 0; Date.now() - started < 2000 && i < 100; i++) {
      writeFileSync(join(root, `f${i}.js`), `// ${i}\n`);
      writeFileSync(join(root, "node_modules", `m${i}.js`), `// ${i}\n`);
      written.push(`f${i}.js`);
      const now = Date.now();
      maxGapMs = Math.max(maxGapMs, now - previous);
      previous = now;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let i = 0; i < 100 && batches.length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 800)); // past the quiet time: nothing more comes
    return { batches, written, maxGapMs };
  } finally {
    stop();
    rmSync(root, { recursive: true, force: true });
  }
}
