// The suite again on the project's other runtimes, after `npm test` ran it on Node 24: every
// compiled test on Node 22 LTS, then the black-box CLI tests with the CLI started by Bun (the
// test runner stays on Node; test/support/runtime.ts reads TCPKIT_RUNTIME). Node 22 comes from
// the npm registry's official binaries, installed once under node_modules/.cache
// (scripts/runtimes.mjs).
// Usage: node scripts/test-runtimes.mjs [node22] [bun]   (both when none is named)
import { spawnSync } from "node:child_process";
import { resolveRuntime } from "./runtimes.mjs";

const wanted = process.argv.slice(2);
const runs = wanted.length === 0 ? ["node22", "bun"] : wanted;
let failed = false;

for (const run of runs) {
  if (run !== "node22" && run !== "bun") {
    console.error(`test-runtimes: unknown runtime ${run} (node22 or bun)`);
    process.exit(2);
  }
  let runtime;
  try {
    runtime = resolveRuntime(run, { log: (text) => console.log(`test-runtimes: ${text}`) });
  } catch (err) {
    console.error(`test-runtimes: ${err.message}`);
    process.exit(1);
  }
  console.log(`test-runtimes: ${runtime.label}`);
  if (run === "node22") failed = !step(runtime.exe, ["scripts/run-tests.mjs"], {}) || failed;
  else
    failed =
      !step(process.execPath, ["scripts/run-tests.mjs", "test/cli/"], { TCPKIT_RUNTIME: "bun" }) ||
      failed;
}
process.exit(failed ? 1 : 0);

function step(exe, args, env) {
  const r = spawnSync(exe, args, { stdio: "inherit", env: { ...process.env, ...env } });
  return r.status === 0;
}
