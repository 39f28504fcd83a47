/**
 * Help and usage errors through the CLI: every command's help (all three ways to ask), its
 * layout, its agreement with README's flag tables, and the one-sentence errors with did-you-mean.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { COMMANDS } from "../../src/cli/commands.js";
import { REPO_ROOT, runCli } from "../support/cli.js";

const README = readFileSync(`${REPO_ROOT}/README.md`, "utf8");

/** The README sections about `tcpkit NAME` (a command may have several: serve has two). */
function readmeSections(name: string): string {
  const sections = README.split(/^(?=## )/m);
  const about = new RegExp("^## .*`tcpkit " + name.replace("-", "\\-") + "[` ]");
  return sections.filter((s) => about.test(s)).join("\n");
}

/** Each flag line of a help text: its short alias (if any) and long name. */
function helpFlags(help: string): { short: string | undefined; long: string }[] {
  const flags: { short: string | undefined; long: string }[] = [];
  for (const line of help.split("\n")) {
    const m = /^ {2}(?:-(\S), | {4})?--(?:\[no-\])?([\w.-]+)/.exec(line);
    if (m !== null && m[2] !== "help") flags.push({ short: m[1], long: m[2] as string });
  }
  return flags;
}

describe("tcpkit help", () => {
  for (const { name } of COMMANDS) {
    it(`${name}: --help, -h and 'tcpkit help ${name}' print the same help, exit 0`, async () => {
      const [long, short, viaHelp] = await Promise.all([
        runCli([name, "--help"]),
        runCli([name, "-h"]),
        runCli(["help", name]),
      ]);
      for (const r of [long, short, viaHelp]) {
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, "");
      }
      assert.equal(short.stdout, long.stdout);
      assert.equal(viaHelp.stdout, long.stdout);
    });

    it(`${name}: usage, aligned flag columns within 100 columns, examples last`, async () => {
      const { stdout } = await runCli([name, "--help"]);
      assert.match(stdout, new RegExp(`^Usage: tcpkit ${name} `));
      assert.match(stdout, /\nOptions:\n/);
      assert.match(stdout, /^ {2}-h, --help {2,}show this help$/m);
      assert.match(stdout, /\nExamples:\n( {2}tcpkit .*\n| {2}# .*\n)+$/);
      for (const line of stdout.split("\n")) assert.ok(line.length <= 100, line);
      // an optional value is bracketed once: `--spa [FILE.html]`, `--upload[=DIR]`
      assert.doesNotMatch(stdout, /\[\[|\]\]/);
      // in each section, the help column starts at the same place on every flag line
      for (const section of stdout.split("\n\n")) {
        const starts = section
          .split("\n")
          .filter((l) => /^ {2}-/.test(l) || /^ {6}--/.test(l))
          .map((l) => /^ +\S.*? {2,}(?=\S)/.exec(l)?.[0].length);
        assert.ok(new Set(starts).size <= 1, `${name}: misaligned section\n${section}`);
      }
    });

    it(`${name}: README names every flag of the help, and its flag tables only real flags`, async () => {
      const { stdout } = await runCli([name, "--help"]);
      const readme = readmeSections(name);
      assert.ok(readme.length > 0, `no README section for tcpkit ${name}`);
      for (const { short, long } of helpFlags(stdout)) {
        const named =
          new RegExp("(?<![\\w-])--(?:no-)?" + long.replace(".", "\\.") + "(?![\\w.-])").test(
            readme,
          ) ||
          (short !== undefined && readme.includes("`-" + short));
        assert.ok(named, `README does not mention ${name} --${long}`);
      }
      for (const row of readme.split("\n").filter((l) => l.startsWith("| `"))) {
        for (const [, flag] of row.matchAll(/(?<![\w-])(--[a-z][\w.-]*)/g)) {
          assert.ok(stdout.includes(`${flag as string}`), `README's ${flag} is not a ${name} flag`);
        }
      }
    });
  }

  it("top-level help lists every command of the table; 'tcpkit help' too, exit 0", async () => {
    const [top, viaHelp] = await Promise.all([runCli(["--help"]), runCli(["help"])]);
    assert.equal(top.code, 0);
    assert.equal(viaHelp.stdout, top.stdout);
    for (const { name, summary } of COMMANDS) {
      assert.match(
        top.stdout,
        new RegExp(`^ {2}${name} +${summary.replace(/[()]/g, "\\$&")}$`, "m"),
      );
    }
  });
});

describe("usage errors", () => {
  const CASES: [string[], string][] = [
    [["sevre"], "tcpkit: unknown command 'sevre'; did you mean 'serve'?\n"],
    [["help", "gte"], "tcpkit: unknown command 'gte'; did you mean 'get'?\n"],
    [["ech-server"], "tcpkit: unknown command 'ech-server'; did you mean 'echo-server'?\n"],
    [["frobnicate"], "tcpkit: unknown command 'frobnicate' (see 'tcpkit --help')\n"],
    [
      ["serve", "--max-conections", "5"],
      "tcpkit: unknown option --max-conections; did you mean --max-connections?\n",
    ],
    [
      ["get", "--outptu", "x", "http://h/"],
      "tcpkit: unknown option --outptu; did you mean --output?\n",
    ],
    [["echo", "--nodely"], "tcpkit: unknown option --nodely; did you mean --nodelay?\n"],
    [
      ["echo-server", "--bogus"],
      "tcpkit: unknown option --bogus (see 'tcpkit echo-server --help')\n",
    ],
    [
      ["serve", "--cache-control", "--port", "1"],
      "tcpkit: --cache-control needs a value, but the next argument is the option --port (see 'tcpkit serve --help')\n",
    ],
    [
      ["echo", "--count", "-3"],
      "tcpkit: --count must be a whole number of at least 0, not '-3' (see 'tcpkit echo --help')\n",
    ],
    [
      ["echo-server", "--port", "-1"],
      "tcpkit: --port must be a port number from 0 to 65535, not '-1' (see 'tcpkit echo-server --help')\n",
    ],
    [["get", "-H"], "tcpkit: -H needs a value (see 'tcpkit get --help')\n"],
    [
      ["get", "-o", "-0", "http://h/"],
      "tcpkit: -o needs a value, but the next argument is the option -0 (see 'tcpkit get --help')\n",
    ],
    [["serve", "--trace=yes"], "tcpkit: --trace takes no value (see 'tcpkit serve --help')\n"],
    [
      ["get", "-H", "NoColon", "http://h/"],
      "tcpkit: --header: expected 'Name: value', not 'NoColon' (see 'tcpkit get --help')\n",
    ],
    [
      ["get", "-H", "X-A: 1\r\nInjected: 1", "http://h/"],
      "tcpkit: --header: the value of 'X-A' has a control character (see 'tcpkit get --help')\n",
    ],
    [
      ["serve", "--header", "Bad Name: 1"],
      "tcpkit: --header: invalid field name 'Bad Name' (see 'tcpkit serve --help')\n",
    ],
    [["serve", "a", "b"], "tcpkit: unexpected argument 'b' (see 'tcpkit serve --help')\n"],
    [["get"], "tcpkit: a URL is required (see 'tcpkit get --help')\n"],
  ];
  for (const [argv, line] of CASES) {
    it(`tcpkit ${argv.join(" ")}`, async () => {
      const r = await runCli(argv);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, line);
      assert.equal(r.stdout, "");
    });
  }
});
