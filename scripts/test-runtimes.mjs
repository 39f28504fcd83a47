// The suite again on the project's other runtimes, after `npm test` ran it on Node 24: every
// compiled test on Node 22 LTS, then the black-box CLI tests with the CLI started by Bun (the
// test runner stays on Node; test/support/runtime.ts reads TCPKIT_RUNTIME). Node 22 comes from
// the npm registry's official binaries, installed once under node_modules/.cache.
// Usage: node scripts/test-runtimes.mjs [node22] [bun]   (both when none is named)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const NODE22_DIR = join("node_modules", ".cache", "tcpkit-runtimes", "node22");
const NODE22 = join(NODE22_DIR, "node_modules", ".bin", "node");

const wanted = process.argv.slice(2);
const runs = wanted.length === 0 ? ["node22", "bun"] : wanted;
let failed = false;

for (const run of runs) {
  if (run === "node22") {
    if (!existsSync(NODE22)) {
      console.log(`test-runtimes: installing Node 22 into ${NODE22_DIR}`);
      must(
        spawnSync(
          "npm",
          ["install", "--prefix", NODE22_DIR, "--no-save", "--no-audit", "--no-fund", "node@22"],
          { stdio: "inherit" },
        ),
        "npm install node@22",
      );
    }
    failed = !step(NODE22, ["scripts/run-tests.mjs"], {}) || failed;
  } else if (run === "bun") {
    failed =
      !step(process.execPath, ["scripts/run-tests.mjs", "test/cli/"], { TCPKIT_RUNTIME: "bun" }) ||
      failed;
  } else {
    console.error(`test-runtimes: unknown runtime ${run} (node22 or bun)`);
    process.exit(2);
  }
}
process.exit(failed ? 1 : 0);

function step(exe, args, env) {
  const r = spawnSync(exe, args, { stdio: "inherit", env: { ...process.env, ...env } });
  return r.status === 0;
}

function must(result, what) {
  if (result.status !== 0) {
    console.error(`test-runtimes: ${what} failed`);
    process.exit(1);
  }
}
