/**
 * Guards util/runtime-tuning.ts: every V8 internal it leans on must still exist in the Node that
 * runs the tests. When one disappears these tests fail by name, so the tuning is re-measured and
 * dropped rather than left to do nothing (V8 only warns about an unknown flag).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { V8_FLAGS } from "../../src/util/runtime-tuning.js";

describe("runtime tuning guards", () => {
  const options = execFileSync(process.execPath, ["--v8-options"], { encoding: "utf8" });
  for (const flag of V8_FLAGS) {
    it(`V8 still has ${flag}`, () => {
      // `node --v8-options` lists each flag as "  --name (description)".
      assert.match(
        options,
        new RegExp(`^\\s+${flag} \\(`, "m"),
        `Node ${process.version} (V8 ${process.versions.v8}) has no ${flag}: ` +
          "src/util/runtime-tuning.ts no longer tunes anything; re-measure and remove it",
      );
    });
  }

  it("minorGc() yields V8's young-generation collection", () => {
    // In a child process, so the test runner's own V8 keeps its flags.
    const module = pathToFileURL(
      new URL("../../src/util/runtime-tuning.js", import.meta.url).pathname,
    );
    const script = `import(${JSON.stringify(module.href)}).then((m) => { const gc = m.minorGc(); gc?.(); console.log(typeof gc); })`;
    const out = execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }).trim();
    assert.equal(out, "function", "vm.runInNewContext('gc') after --expose-gc is gone");
  });
});
