/**
 * `tcpkit COMMAND ...`: picks the subcommand, runs it, and owns the exit-code contract (DESIGN §7):
 * 0 success, 1 runtime failure, 2 usage error; every error is one `tcpkit: ...` line on stderr.
 */
import type { Command } from "./command.js";
import { errorLine, systemErrorText } from "./error-line.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from "./usage-error.js";
import { packageVersion } from "./version.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/**
 * Each command's module, loaded only when that command runs: a long-running server then holds
 * only its own code in memory (the echo server does not load the HTTP stack, nor mime-db).
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  serve: () => import("./serve-command.js").then((m) => m.serveCommand),
  "echo-server": () => import("./echo-server-command.js").then((m) => m.echoServerCommand),
  echo: () => import("./echo-command.js").then((m) => m.echoCommand),
  get: () => import("./get-command.js").then((m) => m.getCommand),
  check: () => import("./check-command.js").then((m) => m.checkCommand),
};

async function topHelp(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
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
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    process.stdout.write(await topHelp());
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === "-V" || first === "--version") {
    process.stdout.write(`tcpkit ${packageVersion()}\n`);
    return EXIT_OK;
  }
  const load = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (load === undefined) {
    process.stderr.write(errorLine(`unknown command '${first}' (see 'tcpkit --help')`));
    return EXIT_USAGE;
  }
  const command = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(command.help.endsWith("\n") ? command.help : `${command.help}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(errorLine(`${err.message} (see 'tcpkit ${command.name} --help')`));
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
