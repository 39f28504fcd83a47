/** `tcpkit check URL`: the HTTP/1.1 conformance and smuggling probe (docs/CHECK.md). */
import { readFileSync } from "node:fs";
import { parseFlags, parseSecondsToMs } from "./args.js";
import type { Command } from "./command.js";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "./usage-error.js";
import { checkServer, DEFAULT_PROBE_TIMEOUT_MS } from "../check/check-server.js";
import {
  formatGroup,
  formatHeader,
  formatProbe,
  formatSummary,
  type TextStyle,
} from "../check/report-format.js";
import { GROUPS, type CheckOptions, type Group } from "../check/types.js";
import { parseRequestUrl } from "../client/request-url.js";
import { TcpkitError } from "../util/tcpkit-error.js";

const HELP = `Usage: tcpkit check URL [OPTIONS]

Probes the HTTP/1.1 server at URL for conformance to RFC 9110 and RFC 9112 and for request
smuggling: hand-built raw requests, one at a time, each on a connection of its own and with a
timeout, to URL's host and port only. Prints one line per probe (id, level, verdict, what was
observed), grouped, then the tally per level and a verdict. Every probe and the RFC sentence
it rests on: docs/CHECK.md.

Options:
  --only GROUP,...      run only these groups: ${GROUPS.join(", ")}
  --level LEVEL         must, should or all (default all): the levels of probes to run
  --json                print the report as one JSON document
  --timeout SECONDS     limit for each wait of a probe (default ${DEFAULT_PROBE_TIMEOUT_MS / 1000})
  --slow                also run the time-based probes (slowloris, idle timeouts; up to 3 min)
  --path PATH           probe with this path instead of discovering one
  --verbose             show the bytes sent and received on stderr (the serve --trace format)
  --ca FILE             trust the PEM certificate(s) in FILE for https
  -k, --insecure        do not verify the https server's certificate (testing only)
  -h, --help            show this help

Verdicts: pass; FAIL (the server does not do what the sentence asks); warn (allowed, but a
known risk or the weaker choice); skip (the server offers nothing the probe needs).

Exit codes:
  0  every MUST probe passed
  1  a MUST probe failed, or the server could not be reached or is not an HTTP server
  2  usage error
`;

export const checkCommand: Command = {
  name: "check",
  summary: "probe an HTTP/1.1 server for RFC 9110/9112 conformance and request smuggling",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, {
      only: { type: "string" },
      level: { type: "string" },
      json: { type: "boolean" },
      timeout: { type: "string" },
      slow: { type: "boolean" },
      path: { type: "string" },
      verbose: { type: "boolean" },
      ca: { type: "string" },
      insecure: { type: "boolean", short: "k" },
    });
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0 ? "check: a URL is required" : "check: one URL only",
      );
    }
    const url = positionals[0] as string;
    try {
      parseRequestUrl(url);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const timeoutMs = parseSecondsToMs(values.timeout, "--timeout", DEFAULT_PROBE_TIMEOUT_MS);
    if (timeoutMs <= 0) throw new UsageError("--timeout must be more than 0 seconds");
    const level = values.level ?? "all";
    if (level !== "must" && level !== "should" && level !== "all") {
      throw new UsageError(`--level must be must, should or all, not '${level}'`);
    }
    if (values.path !== undefined && !/^\/[\x21-\x7e]*$/.test(values.path)) {
      throw new UsageError(
        `--path must be an origin-form path starting with /, not '${values.path}'`,
      );
    }
    const json = values.json === true;
    const style: TextStyle = {
      colour: !json && process.stdout.isTTY && process.env["NO_COLOR"] === undefined,
    };
    let group = "";
    const options: CheckOptions = {
      ...(values.only === undefined ? {} : { only: parseGroups(values.only) }),
      level,
      timeoutMs,
      slow: values.slow === true,
      ...(values.path === undefined ? {} : { path: values.path }),
      trust: {
        ...(values.ca === undefined ? {} : { ca: readCa(values.ca) }),
        insecure: values.insecure === true,
      },
      ...(values.verbose === true ? { onTrace: (t: string) => process.stderr.write(t) } : {}),
      ...(json
        ? {}
        : {
            onDiscovery: (d) => process.stdout.write(formatHeader(url, d)),
            onProbe: (p) => {
              if (p.group !== group) {
                group = p.group;
                process.stdout.write(formatGroup(group, style));
              }
              process.stdout.write(formatProbe(p, style));
            },
          }),
    };
    const report = await checkServer(url, options);
    process.stdout.write(
      json ? `${JSON.stringify(report, null, 2)}\n` : formatSummary(report, style),
    );
    return report.ok ? EXIT_OK : EXIT_FAILURE;
  },
};

function parseGroups(text: string): Group[] {
  const groups = text
    .split(",")
    .map((g) => g.trim())
    .filter((g) => g !== "");
  for (const g of groups) {
    if (!(GROUPS as readonly string[]).includes(g)) {
      throw new UsageError(`--only: unknown group '${g}' (groups: ${GROUPS.join(", ")})`);
    }
  }
  if (groups.length === 0) throw new UsageError("--only needs at least one group");
  return groups as Group[];
}

function readCa(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new TcpkitError("ERR_TLS_CONFIG", `cannot read --ca ${path}: ${(err as Error).message}`);
  }
}
