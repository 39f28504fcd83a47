/**
 * The CLI's flag table: one declaration per flag gives the parsed values (typed), the parseArgs
 * options and the help lines; every mistake is one plain sentence. Did-you-mean's distance.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defineCommand } from "../../src/cli/command.js";
import { closestName, editDistance } from "../../src/cli/did-you-mean.js";
import { flag, invalidValue, section, type FlagValues } from "../../src/cli/flags.js";
import { commandHelp, wrap } from "../../src/cli/help-text.js";
import { parseArgsOptions, parseCommandLine } from "../../src/cli/parse-command-line.js";
import { UsageError } from "../../src/cli/usage-error.js";

const FLAGS = {
  host: flag.text({ metavar: "ADDR", default: "127.0.0.1", help: "address" }),
  port: flag.port({ default: 8080, help: "port" }),
  output: flag.text({ short: "o", metavar: "FILE", help: "save to FILE" }),
  verbose: flag.bool({ short: "v", help: "say more" }),
  nodelay: flag.bool({ negatable: true, default: true, help: "TCP_NODELAY" }),
  header: flag.list({
    short: "H",
    metavar: "'N: V'",
    help: "add a header",
    convert: (text) => text.split(": ") as [string, string],
  }),
  spa: flag.text({ metavar: "FILE.html", help: "app", optionalValue: (n) => n.endsWith(".html") }),
  ...section("Limits", {
    "max-things": flag.count({ min: 0, max: 9, default: 3, help: "things" }),
    "idle-timeout": flag.seconds({ default: 300_000, zero: "never", help: "idle time" }),
    "head-timeout": flag.seconds({ help: "head time" }),
    log: flag.choice(["common", "json", "off"], { default: "common", help: "log format" }),
    budget: flag.custom({
      metavar: "BYTES",
      help: "a byte count",
      convert: (text, name) => {
        if (!/^\d+K$/.test(text)) throw invalidValue(name, "a count of KiB (4K)", text);
        return Number(text.slice(0, -1)) * 1024;
      },
    }),
  }),
};

function parse(...argv: string[]): ReturnType<typeof parseCommandLine<typeof FLAGS>> {
  return parseCommandLine(argv, FLAGS, 1);
}

function usageErrorOf(argv: string[]): string {
  try {
    parse(...argv);
  } catch (err) {
    assert.ok(err instanceof UsageError, String(err));
    return err.message;
  }
  assert.fail(`${argv.join(" ")} was accepted`);
}

describe("flag table: values", () => {
  it("gives each flag its default when absent, typed as declared", () => {
    const { values, given, positionals } = parse();
    const expected: FlagValues<typeof FLAGS> = {
      host: "127.0.0.1",
      port: 8080,
      output: undefined,
      verbose: false,
      nodelay: true,
      header: [],
      spa: undefined,
      "max-things": 3,
      "idle-timeout": 300_000,
      "head-timeout": undefined,
      log: "common",
      budget: undefined,
    };
    assert.deepEqual(values, expected);
    assert.equal(given.size, 0);
    assert.deepEqual(positionals, []);
  });

  it("converts what is given, by long name, short alias or name=value", () => {
    const { values, given, positionals } = parse(
      "--host=::1",
      "--port",
      "0",
      "-vo",
      "out.bin",
      "--no-nodelay",
      "-H",
      "A: 1",
      "--header=B: 2",
      "--max-things",
      "9",
      "--idle-timeout",
      "0",
      "--head-timeout",
      "0.5",
      "--log",
      "json",
      "--budget",
      "4K",
      "ROOT",
    );
    assert.equal(values.host, "::1");
    assert.equal(values.port, 0);
    assert.equal(values.output, "out.bin");
    assert.equal(values.verbose, true);
    assert.equal(values.nodelay, false);
    assert.deepEqual(values.header, [
      ["A", "1"],
      ["B", "2"],
    ]);
    assert.equal(values["max-things"], 9);
    assert.equal(values["idle-timeout"], 0);
    assert.equal(values["head-timeout"], 500);
    assert.equal(values.log, "json");
    assert.equal(values.budget, 4096);
    assert.deepEqual(positionals, ["ROOT"]);
    assert.ok(given.has("port") && given.has("nodelay") && !given.has("spa"));
  });

  it("takes an optional value only when the flag accepts the next argument", () => {
    assert.equal(parse("--spa", "ROOT").values.spa, "");
    assert.deepEqual(parse("--spa", "ROOT").positionals, ["ROOT"]);
    assert.equal(parse("--spa", "app.html").values.spa, "app.html");
    assert.equal(parse("--spa=x").values.spa, "x");
    assert.equal(parse("--spa").values.spa, "");
  });

  it("treats everything after -- as arguments, and '-' as a value", () => {
    assert.deepEqual(parse("--", "--port").positionals, ["--port"]);
    assert.equal(parse("-o", "-").values.output, "-");
  });

  it("lets the last of a repeated single-value flag win", () => {
    assert.equal(parse("--port", "1", "--port", "2").values.port, 2);
  });
});

describe("flag table: mistakes are one plain sentence", () => {
  const CASES: [string[], string][] = [
    [["--prot", "1"], "unknown option --prot; did you mean --port?"],
    [["--max-thing", "1"], "unknown option --max-thing; did you mean --max-things?"],
    [["--nodelya"], "unknown option --nodelya; did you mean --nodelay?"],
    [["--no-verbose"], "unknown option --no-verbose; --verbose is off unless given"],
    [["--hepl"], "unknown option --hepl; did you mean --help?"],
    [["--frobnicate"], "unknown option --frobnicate"],
    [["-x"], "unknown option -x"],
    [["--port"], "--port needs a value"],
    [["-o"], "-o needs a value"],
    [
      ["--output", "--port", "1"],
      "--output needs a value, but the next argument is the option --port",
    ],
    [["-o", "-v"], "-o needs a value, but the next argument is the option -v"],
    [
      ["--output", "-weird"],
      "--output needs a value; write --output=-weird for one that starts with '-'",
    ],
    [["-o", "-weird"], "-o needs a value; write -o-weird for one that starts with '-'"],
    [["--port", "-1"], "--port must be a port number from 0 to 65535, not '-1'"],
    [["--port", "65536"], "--port must be a port number from 0 to 65535, not '65536'"],
    [["--port", "8o"], "--port must be a port number from 0 to 65535, not '8o'"],
    [["--max-things", "-2"], "--max-things must be a whole number from 0 to 9, not '-2'"],
    [["--max-things", "10"], "--max-things must be a whole number from 0 to 9, not '10'"],
    [["--head-timeout", "0"], "--head-timeout must be a number of seconds above 0, not '0'"],
    [["--head-timeout", "-0.5"], "--head-timeout must be a number of seconds above 0, not '-0.5'"],
    [
      ["--idle-timeout", "soon"],
      "--idle-timeout must be a number of seconds (0 or more), not 'soon'",
    ],
    [["--log", "verbose"], "--log must be one of common, json, off, not 'verbose'"],
    [["--budget", "4M"], "--budget must be a count of KiB (4K), not '4M'"],
    [["--verbose=yes"], "--verbose takes no value"],
    [["--nodelay", "--no-nodelay"], "--nodelay and --no-nodelay contradict each other"],
    [["a", "b"], "unexpected argument 'b'"],
  ];
  for (const [argv, message] of CASES) {
    it(`${argv.join(" ")}: ${message}`, () => {
      assert.equal(usageErrorOf(argv), message);
    });
  }

  it("never puts a line break or parseArgs' wording in a message", () => {
    for (const [argv] of CASES) {
      const message = usageErrorOf(argv);
      assert.ok(!/[\n\r]|ambiguous|argument missing|To specify/.test(message), message);
    }
  });

  it("leaves 'see --help' off when it suggests a name", () => {
    try {
      parse("--prot");
      assert.fail("accepted");
    } catch (err) {
      assert.ok(err instanceof UsageError);
      assert.equal(err.seeHelp, false);
    }
  });
});

describe("flag table: parseArgs options", () => {
  it("are derived from the declarations", () => {
    const options = parseArgsOptions(FLAGS);
    assert.deepEqual(options.output, { type: "string", short: "o" });
    assert.deepEqual(options.verbose, { type: "boolean", short: "v" });
    assert.deepEqual(options.header, { type: "string", multiple: true, short: "H" });
    assert.deepEqual(options["no-nodelay"], { type: "boolean" });
    assert.equal(Object.keys(options).length, Object.keys(FLAGS).length + 1);
  });
});

describe("flag table: help", () => {
  const command = defineCommand({
    usage: "[ROOT] [OPTIONS]",
    description: "Does things.",
    flags: FLAGS,
    notes: "Exit codes: 0 fine.",
    examples: [
      ["tcpkit demo ROOT", "the usual"],
      ["tcpkit demo --port 0 -H 'A: 1'", "a free port"],
    ],
    run: () => Promise.resolve(0),
  });
  const help = command.help("demo");

  it("is the usage line, description, sections of aligned flags, notes and examples", () => {
    assert.equal(
      help,
      `Usage: tcpkit demo [ROOT] [OPTIONS]

Does things.

Options:
      --host ADDR        address (default 127.0.0.1)
      --port N           port (default 8080)
  -o, --output FILE      save to FILE
  -v, --verbose          say more
      --[no-]nodelay     TCP_NODELAY (default on)
  -H, --header 'N: V'    add a header (repeatable)
      --spa [FILE.html]  app
  -h, --help             show this help

Limits:
      --max-things N          things (default 3)
      --idle-timeout SECONDS  idle time; 0: never (default 300)
      --head-timeout SECONDS  head time
      --log common|json|off   log format (default common)
      --budget BYTES          a byte count

Exit codes: 0 fine.

Examples:
  tcpkit demo ROOT                 # the usual
  tcpkit demo --port 0 -H 'A: 1'   # a free port
`,
    );
  });

  it("wraps long help under its column, never splitting '(default X)'", () => {
    const text = commandHelp({
      name: "demo",
      usage: "",
      description: "",
      flags: {
        long: flag.text({
          default: "a b",
          help: "word ".repeat(50).trim(),
        }),
      },
    });
    const lines = text.split("\n").filter((l) => l.startsWith("  ") && !l.includes("--help"));
    assert.ok(lines.length > 2);
    for (const line of lines) assert.ok(line.length <= 100, line);
    // "  --long VALUE  " is 16 columns; continuation lines start there
    assert.ok(lines[0]?.startsWith("  --long VALUE  word"));
    assert.ok(
      lines.slice(1).every((l) => /^ {16}\S/.test(l)),
      lines.join("\n"),
    );
    assert.ok(text.includes("(default a b)"));
  });

  it("wrap() keeps a word longer than the width whole", () => {
    assert.deepEqual(wrap("a bbbbbbbbbb c", 4), ["a", "bbbbbbbbbb", "c"]);
  });
});

describe("did you mean", () => {
  it("edit distance counts a swap of neighbours as one edit", () => {
    assert.equal(editDistance("serve", "sevre"), 1);
    assert.equal(editDistance("", "abc"), 3);
    assert.equal(editDistance("kitten", "sitting"), 3);
  });

  it("suggests the nearest name within a third of the length, or the one it begins", () => {
    const commands = ["serve", "echo-server", "echo", "get"];
    assert.equal(closestName("sevre", commands), "serve");
    assert.equal(closestName("ECHO", commands), "echo");
    assert.equal(closestName("echo-srever", commands), "echo-server");
    assert.equal(closestName("got", commands), "get");
    assert.equal(closestName("put", commands), undefined);
    assert.equal(closestName("frobnicate", commands), undefined);
    assert.equal(
      closestName("max-req", ["max-requests-per-connection", "max-headers"]),
      "max-requests-per-connection",
    );
    assert.equal(closestName("max", ["max-headers", "max-connections"]), undefined);
  });
});
