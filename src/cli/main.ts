/**
 * `tcpkit COMMAND ...`: picks the subcommand, runs it, and owns the exit-code contract (DESIGN §7):
 * 0 success, 1 runtime failure, 2 usage error; every error is one `tcpkit: ...` line on stderr.
 */
import type { Command } from "./command.js";
import { echoCommand } from "./echo-command.js";
import { echoServerCommand } from "./echo-server-command.js";
import { getCommand } from "./get-command.js";
import { serveCommand } from "./serve-command.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from "./usage-error.js";
import { packageVersion } from "./version.js";
import { TcpkitError } from "../util/tcpkit-error.js";

const COMMANDS: readonly Command[] = [serveCommand, echoServerCommand, echoCommand, getCommand];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "Usage: tcpkit COMMAND [OPTIONS]",
    "",
    "TCP servers and clients on raw sockets.",
    "",
    "Commands:",
    ...lines,
    "",
    "Options:",
    "  -h, --help     show help (also after a command: tcpkit serve --help)",
    "  -V, --version  print the version",
    "",
    "Exit codes: 0 success, 1 runtime failure, 2 usage error (tcpkit get: 3 HTTP status >= 400).",
    "",
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and script) and sets process.exitCode. */
export async function main(argv: string[]): Promise<void> {
  process.exitCode = await runCli(argv);
}

async function runCli(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    process.stdout.write(topHelp());
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === "-V" || first === "--version") {
    process.stdout.write(`tcpkit ${packageVersion()}\n`);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (command === undefined) {
    process.stderr.write(`tcpkit: unknown command '${first}' (see 'tcpkit --help')\n`);
    return EXIT_USAGE;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(command.help.endsWith("\n") ? command.help : `${command.help}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tcpkit: ${err.message} (see 'tcpkit ${command.name} --help')\n`);
      return EXIT_USAGE;
    }
    if (err instanceof TcpkitError) {
      process.stderr.write(`tcpkit: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    const text = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tcpkit: internal error: ${text}\n`);
    return EXIT_FAILURE;
  }
}
