// Turning repetitions into medians, ratios to nginx, a Markdown table and a hand-written SVG bar
// chart (no dependency).
import fs from "node:fs";
import path from "node:path";

/** The metrics, in table order. `higher`: a larger value is better. */
export const METRICS = [
  { key: "W1_rps", label: "W1 keep-alive req/s", dec: 0, higher: true, ratio: true },
  { key: "W1_p99_ms", label: "W1 p99 ms", dec: 2, higher: false },
  { key: "W2_rps", label: "W2 HTTP/1.0 req/s", dec: 0, higher: true, ratio: true },
  { key: "W3_MBps", label: "W3 64 MiB MB/s", dec: 0, higher: true, ratio: true },
  { key: "W4_rps", label: "W4 404 req/s", dec: 0, higher: true, ratio: true },
  { key: "W5_rss_mib", label: "W5 RSS during W1 MiB", dec: 1, higher: false },
  { key: "W6_rss_mib", label: "W6 RSS 10k idle MiB", dec: 1, higher: false },
  { key: "W6_kib_per_conn", label: "W6 KiB/idle conn", dec: 2, higher: false },
];

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return undefined;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

const fmt = (v, dec) =>
  v === undefined ? "–" : dec === 0 ? Math.round(v).toLocaleString("en-US") : v.toFixed(dec);

/** { server: { metric: median } } from { server: { metric: [values] } }. */
export function medians(raw) {
  const out = {};
  for (const [server, metrics] of Object.entries(raw)) {
    out[server] = {};
    for (const [m, vals] of Object.entries(metrics)) out[server][m] = median(vals);
  }
  return out;
}

/**
 * A Markdown table: one row per server and runtime (`rows`: { key, server, runtime } in order,
 * bench/lib/runtime-rows.mjs), "median (ratio to nginx)" for throughput metrics, ` ±N%` when the
 * repetitions spread by more than 10 %. Rows flagged as giving wrong answers are marked "(!)".
 */
export function markdownTable(raw, rows, flagged, { ref = "nginx", metrics = METRICS } = {}) {
  const med = medians(raw);
  const present = rows.filter((row) => raw[row.key]);
  const servers = present.map((row) => row.key);
  const cols = metrics.filter((m) => servers.some((s) => med[s]?.[m.key] !== undefined));
  const lines = [];
  lines.push(`| server | runtime | ${cols.map((c) => c.label).join(" | ")} |`);
  lines.push(`| --- | --- | ${cols.map(() => "---:").join(" | ")} |`);
  for (const { key: s, server, runtime } of present) {
    const cells = cols.map((c) => {
      const v = med[s]?.[c.key];
      const vals = raw[s]?.[c.key] ?? [];
      let text = fmt(v, c.dec);
      if (v !== undefined && vals.length > 1) {
        const spread = (Math.max(...vals) - Math.min(...vals)) / (v || 1);
        if (spread > 0.1) text += ` ±${Math.round((spread * 100) / 2)}%`;
      }
      const r = med[ref]?.[c.key];
      if (c.ratio && v !== undefined && r && s !== ref) text += ` (${(v / r).toFixed(2)}x)`;
      return text;
    });
    lines.push(`| ${server}${flagged.has(s) ? " (!)" : ""} | ${runtime} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * An SVG chart: one panel per metric, a horizontal bar per row (server and runtime) scaled to
 * the panel's largest value, labelled with the median and its ratio to nginx. tcpkit bars are
 * highlighted.
 */
export function svgChart(raw, rows, { title, subtitle, ref = "nginx" }) {
  const med = medians(raw);
  const present = rows.filter((row) => raw[row.key]);
  const servers = present.map((row) => row.key);
  const label = new Map(present.map((row) => [row.key, `${row.server} · ${row.runtime}`]));
  const panels = METRICS.filter((m) =>
    ["W1_rps", "W2_rps", "W3_MBps", "W4_rps", "W6_rss_mib"].includes(m.key),
  ).filter((m) => servers.some((s) => med[s]?.[m.key] !== undefined));
  const W = 900;
  const labelW = 250;
  const barW = 470;
  const rowH = 18;
  let y = 56;
  const parts = [];
  for (const p of panels) {
    const rows = servers.filter((s) => med[s]?.[p.key] !== undefined);
    const max = Math.max(...rows.map((s) => med[s][p.key]));
    parts.push(
      `<text x="10" y="${y + 14}" class="h">${esc(p.label)}${p.higher ? " (higher is better)" : " (lower is better)"}</text>`,
    );
    y += 22;
    for (const s of rows) {
      const v = med[s][p.key];
      const w = max > 0 ? Math.max(1, Math.round((barW * v) / max)) : 1;
      const r = med[ref]?.[p.key];
      const ratio = r && s !== ref ? ` (${(v / r).toFixed(2)}x ${ref})` : "";
      const cls = s.startsWith("tcpkit") ? "t" : s === ref ? "r" : "b";
      parts.push(
        `<text x="${labelW - 6}" y="${y + 13}" class="l">${esc(label.get(s))}</text>` +
          `<rect x="${labelW}" y="${y + 2}" width="${w}" height="${rowH - 4}" class="${cls}"/>` +
          `<text x="${labelW + w + 5}" y="${y + 13}" class="v">${esc(fmt(v, p.dec))}${esc(ratio)}</text>`,
      );
      y += rowH;
    }
    y += 10;
  }
  const H = y + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<style>.h{font-weight:bold}.l{text-anchor:end}.v{fill:#333}.t{fill:#2a7ab0}.r{fill:#777}.b{fill:#b8c4cc}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="15" class="h">${esc(title)}</text>
<text x="10" y="38" fill="#555">${esc(subtitle)}</text>
${parts.join("\n")}
</svg>
`;
}

/**
 * Saves a benchmark's report in `outDir` as NAME-STAMP.md (the text printed) and NAME-STAMP.json
 * (`data`, for later comparison), STAMP being the UTC time to the second.
 */
export function saveResults(outDir, name, text, data) {
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  fs.writeFileSync(path.join(outDir, `${name}-${stamp}.md`), text);
  fs.writeFileSync(
    path.join(outDir, `${name}-${stamp}.json`),
    `${JSON.stringify(data, null, 2)}\n`,
  );
}
