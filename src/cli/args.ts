/**
 * Flag parsing for every command: node:util parseArgs in strict mode, with its errors turned
 * into UsageError, plus the value checks flags share (ports, counts, seconds).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./usage-error.js";

/** A command's flag table, as node:util parseArgs takes it. */
export type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

/** What parseFlags returns for the flag table `T`: typed `values` and the `positionals`. */
export type ParsedFlags<T extends FlagOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

/**
 * Parses a command's argv against its flag table the way every command does (strict, with
 * positionals), usage errors as UsageError. The explicit return type keeps declaration emit happy.
 */
export function parseFlags<const T extends FlagOptions>(
  argv: string[],
  options: T,
): ParsedFlags<T> {
  return withUsageErrors(() =>
    parseArgs({ args: argv, options, allowPositionals: true as const, strict: true as const }),
  );
}

/**
 * Runs a parseArgs call (strict, as every command uses it) and turns its errors into UsageError
 * with a short message (parseFlags is the usual way in).
 */
export function withUsageErrors<R>(parse: () => R): R {
  try {
    return parse();
  } catch (err) {
    // parseArgs messages are long and mention internals; keep the first sentence.
    const text = err instanceof Error ? err.message : String(err);
    throw new UsageError(text.split(". ")[0]?.replace(/\.$/, "") ?? text);
  }
}

/** A TCP port, 0-65535 (0 asks the kernel for a free one). */
export function parsePort(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = parseInteger(value, flag);
  if (n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number from 0 to 65535`);
  return n;
}

/** A whole number >= min (default 1). */
export function parseCount(
  value: string | undefined,
  flag: string,
  fallback: number,
  min = 1,
): number {
  if (value === undefined) return fallback;
  const n = parseInteger(value, flag);
  if (n < min) throw new UsageError(`${flag} must be a whole number >= ${min}`);
  return n;
}

/** Seconds as a non-negative decimal ("0.5", "30"), returned in milliseconds. */
export function parseSecondsToMs(
  value: string | undefined,
  flag: string,
  fallbackMs: number,
): number {
  if (value === undefined) return fallbackMs;
  if (!/^\d+(?:\.\d+)?$/.test(value)) throw new UsageError(`${flag} must be a number of seconds`);
  return Math.round(Number(value) * 1000);
}

function parseInteger(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${flag} must be a whole number, not '${value}'`);
  }
  return Number(value);
}

/** Rejects positionals beyond `max`. */
export function expectPositionals(positionals: string[], max: number, command: string): void {
  if (positionals.length > max) {
    throw new UsageError(`${command}: unexpected argument '${positionals[max]}'`);
  }
}
