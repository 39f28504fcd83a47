// The JavaScript runtimes tcpkit supports, as executables in this checkout: Node 24 (the `node`
// dev dependency), Node 22 (the official binary from the npm registry, installed on first use
// under node_modules/.cache, outside package.json so `npm ci` stays one runtime) and Bun (the
// `bun` dev dependency). Shared by scripts/test-runtimes.mjs and the benchmarks in bench/.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const BIN = join(REPO, "node_modules", ".bin");
const NODE22_DIR = join(REPO, "node_modules", ".cache", "tcpkit-runtimes", "node22");

/** name -> { exe, major (expected major version), install (npm spec when not installed yet) }. */
const RUNTIMES = {
  node24: { exe: join(BIN, "node"), kind: "Node", major: 24 },
  node22: {
    exe: join(NODE22_DIR, "node_modules", ".bin", "node"),
    kind: "Node",
    major: 22,
    install: { dir: NODE22_DIR, spec: "node@22" },
  },
  bun: { exe: join(BIN, "bun"), kind: "Bun" },
};

export const RUNTIME_NAMES = Object.keys(RUNTIMES);

/**
 * The runtime `name` (node24, node22, bun), installed first when it is Node 22 and missing:
 * { name, exe, version ("24.21.0"), label ("Node 24.21.0") }. Throws an Error with one line of
 * explanation when the name is unknown or the executable is missing or of another version.
 */
export function resolveRuntime(name, { log = (text) => console.log(text) } = {}) {
  const def = RUNTIMES[name];
  if (def === undefined)
    throw new Error(`unknown runtime ${name} (one of ${RUNTIME_NAMES.join(", ")})`);
  if (!existsSync(def.exe) && def.install !== undefined) {
    log(`installing ${def.install.spec} into ${def.install.dir}`);
    const r = spawnSync(
      "npm",
      [
        "install",
        "--prefix",
        def.install.dir,
        "--no-save",
        "--no-audit",
        "--no-fund",
        def.install.spec,
      ],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    if (r.status !== 0) throw new Error(`npm install ${def.install.spec} failed`);
  }
  if (!existsSync(def.exe)) throw new Error(`${def.exe} is missing: run npm ci first`);
  const version = execFileSync(def.exe, ["--version"], { encoding: "utf8" })
    .trim()
    .replace(/^v/, "");
  if (def.major !== undefined && Number(version.split(".")[0]) !== def.major)
    throw new Error(`${def.exe} is ${def.kind} ${version}, expected ${def.major}.x`);
  return { name, exe: def.exe, version, label: `${def.kind} ${version}` };
}
