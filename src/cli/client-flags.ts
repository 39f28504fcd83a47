/**
 * What the commands that talk to a URL (get, check) share: the URL argument, checked as a usage
 * error, and the https trust flags with the CA file they name read once.
 */
import { readFileSync } from "node:fs";
import { flag } from "./flags.js";
import { UsageError } from "./usage-error.js";
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
