/**
 * Parses a command's argv against its flag table (flags.ts): node:util parseArgs splits the
 * arguments into tokens, and the loop here turns them into typed values, refusing every mistake
 * with one plain sentence (a UsageError): an unknown flag (with "did you mean" when one is
 * close), a missing value, a flag where a value was expected, a value for a switch, `--x` with
 * `--no-x`, too many arguments.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { closestName } from "./did-you-mean.js";
import type { FlagTable, FlagValues, GivenValue } from "./flags.js";
import { UsageError } from "./usage-error.js";

/** What parseCommandLine returns. */
export interface ParsedCommandLine<T extends FlagTable> {
  /** Every flag's value: what was given, else its default. */
  values: FlagValues<T>;
  /** The flags that were on the command line (to tell a default from an explicit value). */
  given: ReadonlySet<keyof T & string>;
  /** The arguments that are not flags, in order. */
  positionals: string[];
}

type Token = NonNullable<ReturnType<typeof parseArgs>["tokens"]>[number];

/** Parses `argv` (the arguments after the command name) against `flags`. */
export function parseCommandLine<T extends FlagTable>(
  argv: readonly string[],
  flags: T,
  maxPositionals = Infinity,
): ParsedCommandLine<T> {
  const { tokens } = parseArgs({
    args: withOptionalValues(argv, flags),
    options: parseArgsOptions(flags),
    // Not strict: the loop below gives each mistake its own sentence (parseArgs' own messages
    // are several lines long and name its internals).
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const given = new Map<string, GivenValue>();
  const seenAs = new Map<string, string>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const [name, negated] = flagOf(token, flags);
    const f = flags[name] as FlagTable[string];
    if (!f.takesValue) {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`);
      const previous = seenAs.get(name);
      if (previous !== undefined && given.get(name) === negated) {
        throw new UsageError(`${previous} and ${token.rawName} contradict each other`);
      }
      given.set(name, !negated);
      seenAs.set(name, token.rawName);
      continue;
    }
    const text = valueOf(token, flags);
    given.set(
      name,
      f.multiple ? [...((given.get(name) as string[] | undefined) ?? []), text] : text,
    );
  }
  if (positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument '${positionals[maxPositionals]}'`);
  }
  const values: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(flags))
    values[name] = f.value(given.get(name), `--${name}`);
  return {
    values: values as FlagValues<T>,
    given: new Set(given.keys()) as ReadonlySet<keyof T & string>,
    positionals,
  };
}

/** The parseArgs options of a flag table (a negatable switch adds its `no-` form). */
export function parseArgsOptions(flags: FlagTable): NonNullable<ParseArgsConfig["options"]> {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const [name, f] of Object.entries(flags)) {
    options[name] = {
      type: f.takesValue ? "string" : "boolean",
      ...(f.multiple ? { multiple: true } : {}),
      ...(f.short === undefined ? {} : { short: f.short }),
    };
    if (f.negatable) options[`no-${name}`] = { type: "boolean" };
  }
  return options;
}

/** The flag a token names, and whether it was the `--no-` form; throws for an unknown one. */
function flagOf(token: Token & { kind: "option" }, flags: FlagTable): [string, boolean] {
  if (Object.hasOwn(flags, token.name)) return [token.name, false];
  const positive = token.name.startsWith("no-") ? token.name.slice(3) : undefined;
  if (positive !== undefined && flags[positive]?.negatable === true) return [positive, true];
  if (positive !== undefined && Object.hasOwn(flags, positive) && !token.rawName.includes("=")) {
    throw new UsageError(`unknown option ${token.rawName}; --${positive} is off unless given`);
  }
  const suggestion = token.rawName.startsWith("--")
    ? closestName(token.name, [...longNames(flags), "help"])
    : undefined;
  if (suggestion === undefined) throw new UsageError(`unknown option ${token.rawName}`);
  throw new UsageError(`unknown option ${token.rawName}; did you mean --${suggestion}?`, {
    seeHelp: false,
  });
}

function longNames(flags: FlagTable): string[] {
  return Object.entries(flags).flatMap(([name, f]) =>
    f.negatable ? [name, `no-${name}`] : [name],
  );
}

/**
 * The text a value flag was given. parseArgs takes the next argument whatever it looks like;
 * one starting with "-" is refused (the value was forgotten), except a negative number, which
 * the flag's own check then refuses in its own words (`--count must be ..., not '-1'`).
 */
function valueOf(token: Token & { kind: "option" }, flags: FlagTable): string {
  const text = token.value;
  const name = token.rawName;
  if (text === undefined) throw new UsageError(`${name} needs a value`);
  if (token.inlineValue === true || !text.startsWith("-") || text === "-") return text;
  if (namesFlag(text, flags)) {
    throw new UsageError(`${name} needs a value, but the next argument is the option ${text}`);
  }
  if (/^-\d+(?:\.\d+)?$/.test(text)) return text;
  throw new UsageError(
    `${name} needs a value; write ${name.startsWith("--") ? `${name}=` : name}${text} for one that starts with '-'`,
  );
}

function namesFlag(arg: string, flags: FlagTable): boolean {
  if (arg === "--help" || arg === "-h") return true;
  if (arg.startsWith("--")) return longNames(flags).includes(arg.slice(2).split("=")[0] ?? "");
  return Object.values(flags).some((f) => f.short !== undefined && arg[1] === f.short);
}

/**
 * Rewrites a flag whose value may be left out (Flag.optionalValue): `--spa FILE.html` becomes
 * `--spa=FILE.html` when the flag accepts the next argument, a bare `--spa` becomes `--spa=`,
 * so that parseArgs never takes an unrelated argument (`--spa ROOT`) as the value.
 */
function withOptionalValues(argv: readonly string[], flags: FlagTable): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const accepts = arg.startsWith("--") ? flags[arg.slice(2)]?.optionalValue : undefined;
    if (accepts === undefined) {
      out.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("-") && accepts(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(`${arg}=`);
    }
  }
  return out;
}
