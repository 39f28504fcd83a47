#!/usr/bin/env node
// Prints docs/CHECK.md's probe count per group and level, then its probe tables (one per group, then the RFC sentences the group's probes
// rest on, each quoted once) from the built probe list:
//   npm run build && node scripts/check-probe-table.mjs
import { ALL_PROBES } from "../dist/check/probes/index.js";
import { GROUPS } from "../dist/check/types.js";

const cell = (text) => text.replace(/\|/g, "\\|");
const LEVELS = ["MUST", "SHOULD", "MAY"];
const count = (group, level) =>
  ALL_PROBES.filter((p) => (group === undefined || p.group === group) && p.level === level).length;
console.log("| group | MUST | SHOULD | MAY | all |");
console.log("| --- | --- | --- | --- | --- |");
for (const group of [...GROUPS, undefined]) {
  const counts = LEVELS.map((l) => count(group, l));
  const all = counts.reduce((a, b) => a + b, 0);
  console.log(`| ${group ?? "**all**"} | ${counts.join(" | ")} | ${all} |`);
}
console.log("");
for (const group of GROUPS) {
  const probes = ALL_PROBES.filter((p) => p.group === group);
  const sentences = [];
  for (const p of probes) {
    if (!sentences.some((s) => s.rfc === p.rfc && s.sentence === p.sentence)) sentences.push(p);
  }
  const ref = (p) =>
    `${p.rfc} [${sentences.findIndex((s) => s.rfc === p.rfc && s.sentence === p.sentence) + 1}]`;
  console.log(`### ${group} (${probes.length})\n`);
  console.log("| probe | level | rests on | sends / checks |");
  console.log("| --- | --- | --- | --- |");
  for (const p of probes)
    console.log(`| \`${p.id}\` | ${p.level} | ${ref(p)} | ${cell(p.title)} |`);
  console.log("");
  sentences.forEach((s, i) => console.log(`${i + 1}. ${s.rfc}: "${s.sentence}"`));
  console.log("");
}
