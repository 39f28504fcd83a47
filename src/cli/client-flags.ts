/**
 * What the commands that talk to a URL (get, put, check) share: the URL argument, checked as a
 * usage error, the https trust flags with the CA file they name read once, the notes on stderr,
 * and stopping cleanly on Ctrl-C.
 */
import { readFileSync } from "node:fs";
import { flag } from "./flags.js";
import { UsageError } from "./usage-error.js";
import type { ProgressLine } from "./progress-line.js";
import { parseRequestUrl } from "../client/request-url.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** `--ca FILE` and `-k, --insecure`, as a flag table to spread into a command's. */
export const TRUST_FLAGS = {
  ca: flag.text({
    metavar: "FILE",
    help: "trust the PEM certificate(s) in FILE for https (e.g. a test server's)",
  }),
  insecure: flag.bool({
    short: "k",
    help: "do not verify the https server's certificate (testing only)",
  }),
};

/** `-u, --user USER:PASS`: HTTP Basic credentials, as curl -u (get and put). */
export const USER_FLAG = {
  user: flag.text({
    short: "u",
    metavar: "USER:PASS",
    help: "send HTTP Basic credentials (RFC 7617), as curl -u; not sent on to another origin",
  }),
};

/**
 * The caller's fields with an Authorization field for `-u USER:PASS` first (a -H Authorization
 * given too replaces it). The client sends it to the URL's origin only (http-get.ts).
 */
export function withBasicCredentials(
  headers: readonly [string, string][],
  user: string | undefined,
): [string, string][] {
  if (user === undefined) return [...headers];
  if (!user.includes(":")) throw new UsageError("--user needs USER:PASS");
  const token = Buffer.from(user, "utf8").toString("base64");
  return [["Authorization", `Basic ${token}`], ...headers];
}

/** `--trace`, `-q, --quiet` and `-s, --silent`: what a client command prints besides errors. */
export const OUTPUT_FLAGS = {
  trace: flag.bool({
    help: 'print request and response heads on stderr ("> " sent, "< " received)',
  }),
  quiet: flag.bool({
    short: "q",
    help: "no progress line and no notes on stderr (errors are still printed)",
  }),
  silent: flag.bool({ short: "s", help: "the same as -q (curl's -s)" }),
};

/** The one URL argument: a usage error when it is missing or not an http(s) URL. */
export function urlArgument(positionals: readonly string[]): string {
  const url = positionals[0];
  if (url === undefined) throw new UsageError("a URL is required");
  try {
    parseRequestUrl(url);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return url;
}

/** The contents of the --ca file (or `flagName`'s); a file error is one line, exit 1. */
export function readCa(path: string, flagName = "--ca"): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new TcpkitError(
      "ERR_TLS_CONFIG",
      `cannot read ${flagName} ${path}: ${(err as Error).message}`,
    );
  }
}

/** `tcpkit COMMAND: message` on stderr, after clearing the progress line; nothing when quiet. */
export function noticeWriter(
  command: string,
  quiet: boolean,
  progress: ProgressLine | undefined,
): (message: string) => void {
  return (message) => {
    if (quiet) return;
    progress?.clear();
    process.stderr.write(`tcpkit ${command}: ${message}\n`);
  };
}

/** Ctrl-C and SIGTERM, turned into an abort of `controller`, until dispose(). */
export interface Interruption {
  readonly controller: AbortController;
  /** Whether a signal came (the exit code is then 130). */
  readonly interrupted: boolean;
  dispose(): void;
}

/**
 * Listens for SIGINT and SIGTERM once: the transfer stops cleanly through the controller's
 * signal, so that partial files, control files and upload records are written and can be resumed.
 */
export function interruptOnSignals(): Interruption {
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    controller.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return {
    controller,
    get interrupted() {
      return interrupted;
    },
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
