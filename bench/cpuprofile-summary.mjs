#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): the top functions by self time, self time per
// source file, and inclusive time of tcpkit's own functions (each sample counted once per
// function however deep the recursion). Usage: node bench/cpuprofile-summary.mjs FILE [--top N]
import fs from "node:fs";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--"));
const top = Number(args[args.indexOf("--top") + 1]) || 25;
if (!file) {
  process.stderr.write("usage: node bench/cpuprofile-summary.mjs FILE.cpuprofile [--top N]\n");
  process.exit(2);
}

const profile = JSON.parse(fs.readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const shortUrl = (url) =>
  url
    .replace(/^file:\/\/.*?\/dist\//, "dist/")
    .replace(/^file:\/\/.*?\/node_modules\//, "node_modules/")
    .replace(/^node:/, "node:");
const keyOf = (cf) =>
  `${cf.functionName || "(anonymous)"}  ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ""}`;

const self = new Map();
const selfByFile = new Map();
const inclusive = new Map();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  if (dt <= 0) continue;
  let node = byId.get(profile.samples[i]);
  if (!node) continue;
  total += dt;
  const leaf = keyOf(node.callFrame);
  self.set(leaf, (self.get(leaf) ?? 0) + dt);
  const f = node.callFrame.url ? shortUrl(node.callFrame.url) : node.callFrame.functionName;
  selfByFile.set(f, (selfByFile.get(f) ?? 0) + dt);
  const seen = new Set();
  for (let depth = 0; node && depth < 500; depth++) {
    const k = keyOf(node.callFrame);
    if (!seen.has(k)) {
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
    node = byId.get(parent.get(node.id));
  }
}

const pct = (v) => `${((100 * v) / total).toFixed(1).padStart(5)}%`;
const print = (title, map, n, filter = () => true) => {
  console.log(`\n${title}`);
  [...map.entries()]
    .filter(([k]) => filter(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .forEach(([k, v]) => console.log(`${pct(v)}  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`));
};
const idle = self.get("(idle)  ") ?? 0;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${pct(total - idle).trim()} not idle`);
print(`Top ${top} functions by self time`, self, top);
print("Self time by file", selfByFile, 15);
print("Inclusive time of tcpkit functions (dist/)", inclusive, 20, (k) => k.includes(" dist/"));
