/**
 * The report as text: a header saying what was probed, one line per probe under its group's
 * heading (`id  level  verdict  observed`), the tally per level and a one-line verdict. Colour
 * only when asked (the CLI asks on a terminal). Pure: strings in, strings out.
 */
import type { CheckReport, Discovery, Level, ProbeResult, Verdict } from "./types.js";
import { hexEscape } from "../util/format.js";

export interface TextStyle {
  readonly colour: boolean;
}

const ID_WIDTH = 36;
const CODES: Readonly<Record<Verdict, string>> = {
  pass: "32",
  FAIL: "1;31",
  warn: "33",
  skip: "2",
};

function paint(style: TextStyle, code: string, text: string): string {
  return style.colour ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Control bytes a server sent are shown escaped, so a report cannot drive the terminal. */
function safe(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\x00-\x1f\x7f-\x9f]/g,
    hexEscape,
  );
}

/** The lines before the probes: URL, the path used and what the server offers. */
export function formatHeader(url: string, d: Discovery): string {
  const offers = [
    d.length === undefined ? undefined : `${d.length} bytes`,
    d.etag === undefined ? undefined : "ETag",
    d.lastModified === undefined ? undefined : "Last-Modified",
    d.ranges ? "ranges" : undefined,
  ].filter((s) => s !== undefined);
  const server = d.server === undefined ? "" : `, Server: ${safe(d.server)}`;
  return `tcpkit check ${url}\npath ${safe(d.how)}: ${d.status}${offers.length > 0 ? `, ${offers.join(", ")}` : ""}${server}\n`;
}

/** A group heading, printed before its first probe. */
export function formatGroup(group: string, style: TextStyle): string {
  return `\n${paint(style, "1", group)}\n`;
}

/** One probe's line. */
export function formatProbe(p: ProbeResult, style: TextStyle): string {
  const verdict = paint(style, CODES[p.verdict], p.verdict.padEnd(4));
  return `  ${p.id.padEnd(ID_WIDTH)} ${p.level.padEnd(6)} ${verdict}  ${safe(p.observed)}\n`;
}

/** "MUST 71/74, SHOULD 20/25, MAY 9/12 (4 warn, 3 skip)". */
export function formatTally(report: CheckReport): string {
  const levels: Level[] = ["MUST", "SHOULD", "MAY"];
  const parts = levels
    .filter((l) => report.tally[l].total + report.tally[l].skipped > 0)
    .map((l) => `${l} ${report.tally[l].passed}/${report.tally[l].total}`);
  const warned = levels.reduce((n, l) => n + report.tally[l].warned, 0);
  const skipped = levels.reduce((n, l) => n + report.tally[l].skipped, 0);
  const extra = [warned > 0 ? `${warned} warn` : "", skipped > 0 ? `${skipped} skip` : ""]
    .filter((s) => s !== "")
    .join(", ");
  return `${parts.join(", ")}${extra === "" ? "" : ` (${extra})`}`;
}

/** The closing lines: tally and verdict. */
export function formatSummary(report: CheckReport, style: TextStyle): string {
  const verdict = paint(style, report.ok ? "1;32" : "1;31", report.verdict);
  return `\n${formatTally(report)}\n${verdict}\n`;
}

/** The whole report as text (what the CLI prints probe by probe). */
export function formatReport(report: CheckReport, style: TextStyle): string {
  let out = formatHeader(report.url, report.discovery);
  let group = "";
  for (const p of report.probes) {
    if (p.group !== group) {
      group = p.group;
      out += formatGroup(group, style);
    }
    out += formatProbe(p, style);
  }
  return out + formatSummary(report, style);
}
