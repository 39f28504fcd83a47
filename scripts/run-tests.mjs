// Runs every compiled test file with node's test runner. Node 20's `node --test` takes paths, not
// globs, so the list is built here; helpers under test/support are not test files.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = ".build/test";
const filter = process.argv.slice(2);

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...collect(full));
    else if (name.endsWith(".test.js")) out.push(full);
  }
  return out;
}

const files = collect(root).filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error("run-tests: no test files matched");
  process.exit(1);
}
const cli = process.env.TCPKIT_RUNTIME ? ` (the CLI on ${process.env.TCPKIT_RUNTIME})` : "";
console.log(`run-tests: ${files.length} files on Node ${process.versions.node}${cli}`);
const result = spawnSync(
  process.execPath,
  ["--test", "--test-concurrency=2", "--test-reporter=spec", ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
