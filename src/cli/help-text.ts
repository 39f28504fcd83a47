/**
 * Help text, derived: a command's `--help` from its usage line, description, flag table
 * (flags.ts), notes and examples; one aligned, wrapped line per flag, grouped by section.
 */
import type { Flag, FlagTable } from "./flags.js";

/** Help lines are wrapped to this many columns. */
export const HELP_WIDTH = 100;

/** An example invocation and what it does, shown at the end of a command's help. */
export type Example = readonly [commandLine: string, what: string];

/** What a command's help is made of (see CommandSpec in command.ts). */
export interface HelpParts {
  /** The command's name, as typed after `tcpkit`. */
  name: string;
  /** What follows `tcpkit NAME` in the usage line (`[ROOT] [OPTIONS]`). */
  usage: string;
  /** Paragraphs under the usage line, already wrapped. */
  description: string;
  flags: FlagTable;
  /** Paragraphs after the flags (modes, exit codes), already wrapped. */
  notes?: string | undefined;
  examples?: readonly Example[] | undefined;
}

const HELP_FLAG = "show this help";

/** The whole `tcpkit NAME --help` text. */
export function commandHelp(parts: HelpParts): string {
  const usage = `Usage: tcpkit ${parts.name} ${parts.usage}`.trimEnd();
  const out = [usage, "", parts.description.trimEnd(), ""];
  const sections = new Map<string, [string, string][]>([["Options", []]]);
  // Long names line up under `-x, --long` when any flag has a short alias.
  const aligned = Object.values(parts.flags).some((f) => f.short !== undefined);
  for (const [name, f] of Object.entries(parts.flags)) {
    const heading = f.section ?? "Options";
    const rows = sections.get(heading) ?? [];
    sections.set(heading, rows);
    rows.push([flagCell(name, f, aligned), flagHelp(f)]);
  }
  sections.get("Options")?.push(["-h, --help", HELP_FLAG]);
  for (const [heading, rows] of sections) out.push(`${heading}:`, ...columns(rows), "");
  if (parts.notes !== undefined) out.push(parts.notes.trimEnd(), "");
  if (parts.examples !== undefined && parts.examples.length > 0) {
    out.push("Examples:", ...exampleLines(parts.examples), "");
  }
  return out.join("\n");
}

/**
 * The left cell of a flag's line: `-o, --output FILE`, `--[no-]nodelay`, `--spa [FILE.html]`,
 * `--upload[=DIR]`.
 */
function flagCell(name: string, f: Flag<unknown>, aligned: boolean): string {
  const alias = f.short !== undefined ? `-${f.short}, ` : aligned ? "    " : "";
  const long = f.negatable ? `--[no-]${name}` : `--${name}`;
  // A value given only with "=" (`--upload[=DIR]`, GNU style) is written as it is typed.
  const value =
    f.metavar === undefined
      ? ""
      : f.metavar.startsWith("[=")
        ? f.metavar
        : f.optionalValue === undefined
          ? ` ${f.metavar}`
          : ` [${f.metavar}]`;
  return `${alias}${long}${value}`;
}

/** The help with its default, which is never split over two lines. */
function flagHelp(f: Flag<unknown>): string {
  if (f.defaultText === undefined) return f.help;
  return `${f.help} (default ${f.defaultText.replaceAll(" ", NBSP)})`;
}

const NBSP = "\u00a0";

/**
 * Two-column rows, indented 2, the right column two past the widest left cell and wrapped to
 * HELP_WIDTH with continuation lines under it.
 */
export function columns(rows: readonly (readonly [string, string])[]): string[] {
  const left = Math.max(...rows.map(([cell]) => cell.length)) + 4;
  const lines: string[] = [];
  for (const [cell, text] of rows) {
    const wrapped = wrap(text, Math.max(HELP_WIDTH - left, 30)).map((l) => l.replaceAll(NBSP, " "));
    lines.push(`  ${cell.padEnd(left - 2)}${wrapped[0] ?? ""}`.trimEnd());
    for (const more of wrapped.slice(1)) lines.push(`${" ".repeat(left)}${more}`);
  }
  return lines;
}

/** Examples as shell lines with aligned `# what` comments (the comment above when too long). */
function exampleLines(examples: readonly Example[]): string[] {
  const width = Math.max(...examples.map(([line]) => line.length)) + 5;
  const lines: string[] = [];
  for (const [line, what] of examples) {
    if (width + what.length + 2 <= HELP_WIDTH) lines.push(`  ${line.padEnd(width - 2)}# ${what}`);
    else lines.push(`  # ${what}`, `  ${line}`);
  }
  return lines;
}

/** Splits `text` into lines of at most `width` columns at spaces (a longer word stays whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}
