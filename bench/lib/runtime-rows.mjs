// Rows of a benchmark table: each server definition once, except tcpkit's own, which run once per
// runtime named by `--runtime` (node24, node22, bun; scripts/runtimes.mjs installs and names
// them), interleaved with the peers in the same repetition so a ratio between runtimes is
// measured like a ratio between servers.
import { RUNTIME_NAMES, resolveRuntime } from "../../scripts/runtimes.mjs";

/** The `--runtime` line of a script's --help, its text starting at column `col`. */
export function runtimeHelp(col) {
  const pad = " ".repeat(col);
  return `${"--runtime a,b".padEnd(col - 2)}runtimes for tcpkit's rows, in this order (default node24):
${pad}${RUNTIME_NAMES.join(", ")}; Node 22 is installed under node_modules/.cache on first
${pad}use. Peers written for Node run on Node 24`;
}

/**
 * Resolves the `--runtime` list: { tcpkit: [runtime, ...], node: the Node 24 runtime for the
 * Node peers }. Throws an Error (one line) on an unknown or repeated name or a missing runtime.
 */
export function benchRuntimes(list, log) {
  const names = list.split(",").filter(Boolean);
  if (names.length === 0) throw new Error("--runtime needs at least one runtime");
  if (new Set(names).size !== names.length) throw new Error(`--runtime repeats a name: ${list}`);
  const tcpkit = names.map((name) => resolveRuntime(name, { log }));
  const node = tcpkit.find((rt) => rt.name === "node24") ?? resolveRuntime("node24", { log });
  return { tcpkit, node };
}

/** The row key: the server's name on Node 24, `name@runtime` on any other runtime. */
export const rowKey = (name, rt) => (rt.name === "node24" ? name : `${name}@${rt.name}`);

/**
 * One row per (definition, runtime): definitions with `runs: "tcpkit"` once per tcpkit runtime,
 * `runs: "node"` on the Node 24 runtime, anything else once with `nativeLabel(def)` as its
 * runtime. A row is { key, server, def, rt (undefined for native), runtime (label) }.
 */
export function expandRows(defs, runtimes, nativeLabel) {
  const rows = [];
  for (const def of defs) {
    if (def.runs === "tcpkit") {
      for (const rt of runtimes.tcpkit)
        rows.push({ key: rowKey(def.name, rt), server: def.name, def, rt, runtime: rt.label });
    } else if (def.runs === "node") {
      const rt = runtimes.node;
      rows.push({ key: def.name, server: def.name, def, rt, runtime: rt.label });
    } else {
      rows.push({ key: def.name, server: def.name, def, rt: undefined, runtime: nativeLabel(def) });
    }
  }
  return rows;
}

/** What the JSON report keeps of a row. */
export const rowInfo = ({ key, server, rt, runtime }) => ({
  key,
  server,
  runtime,
  ...(rt === undefined ? {} : { runtimeName: rt.name, runtimeVersion: rt.version }),
});
