/**
 * Command-line flags, each declared once: its name (the key in a command's flag table), short
 * alias, metavar, default, help line and how its text becomes a value (with the check that
 * refuses a bad one). The parseArgs options and the flag loop (parse-command-line.ts), the help
 * text (help-text.ts) and the TypeScript type of the parsed values (FlagValues) are all derived
 * from the table, as Go's flag package derives PrintDefaults from its IntVar/StringVar calls.
 *
 * A new flag is one entry in a table:
 *
 *   retries: flag.count({ min: 0, default: 3, help: "attempts after a failed segment" }),
 *
 * and `values.retries` is then a number in the command's run().
 */
import { UsageError } from "./usage-error.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/**
 * What the command line gave for one flag, before conversion: nothing (undefined), a switch
 * (true, or false for a `--no-NAME` form), the last text of a value flag, or every text of a
 * repeatable one.
 */
export type GivenValue = undefined | boolean | string | readonly string[];

/** One flag's declaration. Built with the `flag.*` constructors below, never by hand. */
export interface Flag<V> {
  /** False for a switch (`--trace`), true for a flag that takes a value (`--port N`). */
  readonly takesValue: boolean;
  /** Repeatable: every occurrence is kept (`-H A -H B`). */
  readonly multiple: boolean;
  /** One-character alias, without the dash (`o` for `-o`). */
  readonly short: string | undefined;
  /** The value's placeholder in the help (`N`, `FILE`); undefined for a switch. */
  readonly metavar: string | undefined;
  /** The help line, without the default (appended from `defaultText`). */
  readonly help: string;
  /** The default as the help shows it, or undefined to show none. */
  readonly defaultText: string | undefined;
  /** The help section heading; undefined: "Options". Set for a group with `section()`. */
  readonly section: string | undefined;
  /** A switch that also has a `--no-NAME` form. */
  readonly negatable: boolean;
  /**
   * For a flag whose value may be left out (`--spa` or `--spa FILE.html`): whether the next
   * argument is its value. A bare flag gets the value "".
   */
  readonly optionalValue: ((next: string) => boolean) | undefined;
  /** The flag's value from what was given (`given` undefined: the default); throws UsageError. */
  readonly value: (given: GivenValue, name: string) => V;
}

/** A command's flags by long name (without the dashes). */
export type FlagTable = Readonly<Record<string, Flag<unknown>>>;

/** The parsed values of a flag table: one typed property per flag, named as the flag. */
export type FlagValues<T extends FlagTable> = {
  -readonly [K in keyof T]: T[K] extends Flag<infer V> ? V : never;
};

/** What every flag declaration says. */
interface FlagOptions {
  /** One-line help (wrapped in the help text); the default is appended, do not write it. */
  help: string;
  /** One-character alias (`"o"` for `-o`). */
  short?: string;
}

/** What a flag that takes a value adds. `D` is the default's type (undefined: no default). */
interface ValueOptions<D> extends FlagOptions {
  /** The placeholder in the help (`FILE`, `ADDR`). */
  metavar?: string;
  /** The value when the flag is absent; without one the value is undefined then. */
  default?: D;
  /** The default as the help shows it, or false to show none (derived from `default` if unset). */
  defaultText?: string | false;
  /**
   * For a value that may be left out (`--spa` or `--spa FILE.html`): whether the next argument
   * is the value. A bare flag gets the value "".
   */
  optionalValue?: (next: string) => boolean;
}

/** The one sentence every bad value gets: `--port must be a port number from 0 to 65535, not '-1'`. */
export function invalidValue(name: string, expected: string, text: string): UsageError {
  return new UsageError(`${name} must be ${expected}, not '${text}'`);
}

/**
 * Runs a library check on flag `name`'s value (parseFieldArgument, resolveSpaFile...): its
 * ERR_INVALID_ARGUMENT becomes the usage error `NAME: message`, so a bad value exits 2.
 */
export function checkedBy<T>(name: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof TcpkitError && err.code === "ERR_INVALID_ARGUMENT") {
      throw new UsageError(`${name}: ${err.message}`);
    }
    throw err;
  }
}

function declare<V>(
  o: FlagOptions & { metavar?: string | undefined; defaultText?: string | undefined },
  fields: Pick<Flag<V>, "takesValue" | "value"> & Partial<Flag<V>>,
): Flag<V> {
  return {
    multiple: false,
    short: o.short,
    metavar: o.metavar,
    help: o.help,
    defaultText: o.defaultText,
    section: undefined,
    negatable: false,
    optionalValue: undefined,
    ...fields,
  };
}

/** A value flag whose text `convert` turns into a value (or throws UsageError). */
function valueFlag<V, D extends V | undefined>(
  o: ValueOptions<D>,
  metavar: string,
  convert: (text: string, name: string) => V,
  showDefault: (value: D & V) => string = String,
): Flag<V | D> {
  const fallback = o.default as D;
  const defaultText =
    o.defaultText === false
      ? undefined
      : (o.defaultText ?? (fallback === undefined ? undefined : showDefault(fallback as D & V)));
  return declare<V | D>(
    { ...o, metavar: o.metavar ?? metavar, defaultText },
    {
      takesValue: true,
      optionalValue: o.optionalValue,
      value: (given, name) => (typeof given === "string" ? convert(given, name) : fallback),
    },
  );
}

/**
 * The longest delay a timer takes: Node (and Bun) run a setTimeout or setInterval of more than
 * 2^31 - 1 ms after 1 ms, with a warning on stderr, so a --timeout of 10^11 s timed out at once
 * and a --stats-interval of that printed a thousand times a second.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer flag's milliseconds, or a usage error past MAX_TIMER_MS (24.8 days). */
function timerMs(ms: number, name: string, text: string): number {
  if (ms > MAX_TIMER_MS) {
    throw new UsageError(`${name} must be at most 24 days (2147483s), not '${text}'`);
  }
  return ms;
}

function wholeNumber(text: string, name: string, expected: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw invalidValue(name, expected, text);
  return n;
}

/** The flag constructors. Each returns a declaration for a command's flag table. */
export const flag = {
  /** A switch: false unless given; `negatable` adds `--no-NAME`, and `default: true` inverts it. */
  bool(o: FlagOptions & { negatable?: boolean; default?: boolean }): Flag<boolean> {
    const fallback = o.default ?? false;
    return declare(
      { ...o, defaultText: fallback ? "on" : undefined },
      {
        takesValue: false,
        negatable: o.negatable ?? false,
        value: (given) => (typeof given === "boolean" ? given : fallback),
      },
    );
  },

  /** Free text (a path, an address); `check` may refuse some (throwing UsageError). */
  text<D extends string | undefined = undefined>(
    o: ValueOptions<D> & { check?: (text: string, name: string) => void },
  ): Flag<string | D> {
    return valueFlag<string, D>(o, "VALUE", (text, name) => {
      o.check?.(text, name);
      return text;
    });
  },

  /** A whole number from `min` (default 1) to `max`. */
  count<D extends number | undefined = undefined>(
    o: ValueOptions<D> & { min?: number; max?: number },
  ): Flag<number | D> {
    const min = o.min ?? 1;
    const expected =
      o.max === undefined
        ? `a whole number of at least ${min}`
        : `a whole number from ${min} to ${o.max}`;
    return valueFlag<number, D>(o, "N", (text, name) => {
      const n = wholeNumber(text, name, expected);
      if (n < min || (o.max !== undefined && n > o.max)) throw invalidValue(name, expected, text);
      return n;
    });
  },

  /**
   * A TCP or UDP port, 0-65535 (0 asks the kernel for a free one); 1-65535 with `remote`, a port
   * to connect to (nothing listens on 0: a connection there is refused).
   */
  port<D extends number | undefined = undefined>(
    o: ValueOptions<D> & { remote?: boolean },
  ): Flag<number | D> {
    const min = o.remote === true ? 1 : 0;
    const expected = `a port number from ${min} to 65535`;
    return valueFlag<number, D>(o, "N", (text, name) => {
      const n = wholeNumber(text, name, expected);
      if (n < min || n > 65535) throw invalidValue(name, expected, text);
      return n;
    });
  },

  /**
   * Seconds as a decimal ("0.5", "30"), the value in milliseconds (so is `default`). More than 0
   * unless `zero` says what 0 means ("never"); at most MAX_TIMER_MS unless `untimed` (a value
   * compared with the clock, never given to a timer).
   */
  seconds<D extends number | undefined = undefined>(
    o: ValueOptions<D> & { zero?: string; untimed?: boolean },
  ): Flag<number | D> {
    const expected =
      o.zero === undefined ? "a number of seconds above 0" : "a number of seconds (0 or more)";
    return valueFlag<number, D>(
      { ...o, help: o.zero === undefined ? o.help : `${o.help}; 0: ${o.zero}` },
      "SECONDS",
      (text, name) => {
        const ms = Math.round(Number(text) * 1000);
        if (!/^\d+(?:\.\d+)?$/.test(text) || (ms === 0 && o.zero === undefined)) {
          throw invalidValue(name, expected, text);
        }
        return o.untimed === true ? ms : timerMs(ms, name, text);
      },
      (ms) => String(ms / 1000),
    );
  },

  /**
   * A duration with its unit ("200ms", "0.5s", "2m"; also "us"), the value in milliseconds (so is
   * `default`). A bare number is in `bareUnit`: seconds, or whole milliseconds for the flags
   * that always took milliseconds (a bare "0.2" there is refused: it would be a ping habit, 0.2 s).
   * More than 0 unless `zero` says what 0 means; at most MAX_TIMER_MS unless `untimed`.
   */
  duration<D extends number | undefined = undefined>(
    o: ValueOptions<D> & { bareUnit: "ms" | "s"; zero?: string; untimed?: boolean },
  ): Flag<number | D> {
    const bare = o.bareUnit === "s" ? "seconds" : "milliseconds";
    const expected = `a duration such as 200ms, 0.5s or 2m (a bare number is ${bare})`;
    const help = o.zero === undefined ? o.help : `${o.help}; 0: ${o.zero}`;
    return valueFlag<number, D>(
      { ...o, help },
      "DURATION",
      (text, name) => {
        const ms = parseDuration(text, o.bareUnit);
        if (ms === undefined || (ms === 0 && o.zero === undefined)) {
          if (o.bareUnit === "ms" && /^\d*\.\d+$/.test(text)) {
            throw new UsageError(
              `${name} ${text}: a bare number is milliseconds here; write ${text}s for seconds or ${text}ms`,
            );
          }
          throw invalidValue(name, expected, text);
        }
        return o.untimed === true ? ms : timerMs(ms, name, text);
      },
      formatDuration,
    );
  },

  /** One of a fixed list of words; the metavar lists them. */
  choice<const C extends string, D extends C | undefined = undefined>(
    choices: readonly C[],
    o: ValueOptions<D>,
  ): Flag<C | D> {
    const expected = `one of ${choices.join(", ")}`;
    return valueFlag<C, D>(o, choices.join("|"), (text, name) => {
      if ((choices as readonly string[]).includes(text)) return text as C;
      throw invalidValue(name, expected, text);
    });
  },

  /** A value of any shape: `convert` turns the text into it, or throws (see invalidValue). */
  custom<V, D extends V | undefined = undefined>(
    o: ValueOptions<D> & { metavar: string; convert: (text: string, name: string) => V },
  ): Flag<V | D> {
    return valueFlag<V, D>(o, o.metavar, o.convert);
  },

  /** A repeatable flag: every occurrence, in order, each converted by `convert`. */
  list<V = string>(
    o: FlagOptions & { metavar: string; convert?: (text: string, name: string) => V },
  ): Flag<V[]> {
    const convert = o.convert ?? ((t: string) => t as V);
    return declare(
      { ...o, help: `${o.help} (repeatable)` },
      {
        takesValue: true,
        multiple: true,
        value: (given, name) =>
          Array.isArray(given) ? (given as readonly string[]).map((t) => convert(t, name)) : [],
      },
    );
  },
};

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * "200ms", "0.5s", "2m", "1h", "500us" → milliseconds; a bare number is in `bareUnit` (whole
 * numbers only when that is ms). Undefined when malformed.
 */
export function parseDuration(text: string, bareUnit: "ms" | "s"): number | undefined {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(us|µs|ms|s|m|h)?$/.exec(text);
  if (m === null) return undefined;
  const unit = m[2] ?? bareUnit;
  if (m[2] === undefined && bareUnit === "ms" && !/^\d+$/.test(text)) return undefined;
  const ms = Number(m[1]) * (DURATION_UNITS_MS[unit] as number);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Milliseconds as the help shows a default: 1000 → "1s", 200 → "200ms". */
export function formatDuration(ms: number): string {
  return ms >= 1000 && ms % 100 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Puts a group of flags under their own heading in the help (`Limits:`, `Files:`). */
export function section<T extends FlagTable>(heading: string, flags: T): T {
  const out: Record<string, Flag<unknown>> = {};
  for (const [name, f] of Object.entries(flags)) out[name] = { ...f, section: heading };
  return out as T;
}
