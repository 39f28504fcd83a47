/**
 * `tcpkit COMMAND ...`: picks the subcommand, runs it, and owns the exit-code contract (DESIGN §7):
 * 0 success, 1 runtime failure, 2 usage error; every error is one `tcpkit: ...` line on stderr.
 */
import { COMMANDS, type CommandEntry } from "./commands.js";
import { closestName } from "./did-you-mean.js";
import { errorLine, systemErrorText } from "./error-line.js";
import { columns } from "./help-text.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from "./usage-error.js";
import { packageVersion } from "../util/package-version.js";
import { TcpkitError } from "../util/tcpkit-error.js";

function topHelp(): string {
  return [
    "Usage: tcpkit COMMAND [OPTIONS]",
    "",
    "TCP servers and clients on raw sockets.",
    "",
    "Commands:",
    ...columns(COMMANDS.map((c) => [c.name, c.summary])),
    "",
    "Options:",
    ...columns([
      ["-h, --help", "show help; for a command: tcpkit help COMMAND, or tcpkit COMMAND --help"],
      ["-V, --version", "print the version"],
    ]),
    "",
    "Exit codes: 0 success, 1 runtime failure, 2 usage error (tcpkit get: 3 HTTP status >= 400).",
    "",
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and script) and sets process.exitCode. */
export async function main(argv: string[]): Promise<void> {
  exitOnLostStdout();
  process.exitCode = await runCli(argv);
}

/**
 * Last resort for a stdout whose reader has gone (EPIPE: `tcpkit echo hi | true`): one line and
 * exit 1 rather than an unhandled 'error' event and a stack trace. Commands that can do better
 * (servers keep serving, get ends its download cleanly) add their own listener; this one then
 * stands aside.
 */
function exitOnLostStdout(): void {
  process.stdout.on("error", (err: Error) => {
    if (process.stdout.listenerCount("error") > 1) return;
    process.stderr.write(errorLine(`cannot write to stdout: ${systemErrorText(err)}`));
    process.exit(EXIT_FAILURE);
  });
}

async function runCli(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help") {
    process.stdout.write(topHelp());
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === "-V" || first === "--version") {
    process.stdout.write(`tcpkit ${packageVersion()}\n`);
    return EXIT_OK;
  }
  if (first === "help") {
    // `tcpkit help COMMAND` is `tcpkit COMMAND --help`
    if (rest[0] === undefined) {
      process.stdout.write(topHelp());
      return EXIT_OK;
    }
    return runCommand(rest[0], ["--help"]);
  }
  return runCommand(first, rest);
}

async function runCommand(name: string, argv: string[]): Promise<number> {
  const entry = findCommand(name);
  if (entry === undefined) {
    const suggestion = closestName(
      name,
      COMMANDS.map((c) => c.name),
    );
    process.stderr.write(
      errorLine(
        suggestion === undefined
          ? `unknown command '${name}' (see 'tcpkit --help')`
          : `unknown command '${name}'; did you mean '${suggestion}'?`,
      ),
    );
    return EXIT_USAGE;
  }
  const command = await entry.load();
  if (asksForHelp(argv)) {
    process.stdout.write(command.help(entry.name));
    return EXIT_OK;
  }
  try {
    return await command.run(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      const hint = err.seeHelp ? ` (see 'tcpkit ${entry.name} --help')` : "";
      process.stderr.write(errorLine(`${err.message}${hint}`));
      return EXIT_USAGE;
    }
    if (err instanceof TcpkitError) {
      process.stderr.write(errorLine(err.message));
      return EXIT_FAILURE;
    }
    const text = err instanceof Error ? err.message : String(err);
    process.stderr.write(errorLine(`internal error: ${text}`));
    return EXIT_FAILURE;
  }
}

function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** `-h` or `--help` anywhere before a `--`: the help, whatever else is on the line. */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  const flags = end === -1 ? argv : argv.slice(0, end);
  return flags.includes("--help") || flags.includes("-h");
}
