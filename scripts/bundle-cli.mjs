// Part of `npm run build`, after tsc: bundles the compiled CLI (dist/cli/main.js) into
// dist/bundle/, one file per command plus the chunks they share, which bin/tcpkit.js runs.
// Why: Node's ESM loader spends about 0.3 ms per module (resolving, reading package.json scopes,
// linking) even with the compile cache, and `tcpkit get` alone loaded 55 modules: `tcpkit get
// --help` took 68 ms of CPU against 27 ms for `node -e 0`, 48 ms bundled. The commands stay
// separate entry points (esbuild's code splitting keeps commands.ts's dynamic imports), so a
// server still loads only its own command's code. npm packages stay outside the bundle and are
// loaded from node_modules as before. The library API (dist/index.js) is not bundled.
import { readdirSync, rmSync } from "node:fs";
import { build } from "esbuild";

// Chunk names change with their content: chunks of an earlier build must not pile up.
rmSync("dist/bundle", { recursive: true, force: true });

await build({
  // main and each command as an entry of its own (commands.ts imports them on demand), so that
  // dist/bundle/get-command.js is what `tcpkit get` loads beside main.js and shared chunks.
  entryPoints: [
    "dist/cli/main.js",
    ...readdirSync("dist/cli")
      .filter((name) => name.endsWith("-command.js"))
      .map((name) => `dist/cli/${name}`),
  ],
  outdir: "dist/bundle",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  packages: "external",
  // dist/bundle/ sits two levels below package.json, as dist/cli/ does (util/package-version.ts).
  chunkNames: "chunk-[hash]",
  logLevel: "warning",
});
