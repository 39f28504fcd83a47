/**
 * A subcommand, declared once: its usage line, description, flag table, notes, examples and
 * run(). defineCommand derives the `--help` text and the parsing from that declaration; the
 * command table (commands.ts) gives it its name and one-line summary.
 */
import type { FlagTable } from "./flags.js";
import { commandHelp, type Example } from "./help-text.js";
import { parseCommandLine, type ParsedCommandLine } from "./parse-command-line.js";

/** What a command module declares. */
export interface CommandSpec<F extends FlagTable> {
  /** What follows `tcpkit NAME` in the usage line: `[ROOT] [OPTIONS]`. */
  readonly usage: string;
  /** The paragraph(s) under the usage line, wrapped to 100 columns. */
  readonly description: string;
  /** Every flag the command takes (see flags.ts); `-h, --help` is added by the help text. */
  readonly flags: F;
  /** The most arguments besides flags (default: any number). */
  readonly maxPositionals?: number;
  /** Paragraphs after the flags (exit codes, notes), wrapped to 100 columns. */
  readonly notes?: string;
  /** A few example command lines, each with what it does; they end the help. */
  readonly examples?: readonly Example[];
  /** Runs the command with its parsed flags; resolves with the exit code. Throws UsageError. */
  run(args: ParsedCommandLine<F>): Promise<number>;
}

/** A command as main.ts runs it. */
export interface Command {
  /** The `tcpkit NAME --help` text. */
  help(name: string): string;
  /** Parses `argv` (after the command name) and runs; throws UsageError for bad arguments. */
  run(argv: readonly string[]): Promise<number>;
}

/** Makes a Command from its declaration. */
export function defineCommand<F extends FlagTable>(spec: CommandSpec<F>): Command {
  return {
    help: (name) => commandHelp({ name, ...spec }),
    run: (argv) => spec.run(parseCommandLine(argv, spec.flags, spec.maxPositionals)),
  };
}
