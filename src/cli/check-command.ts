/** `tcpkit check URL`: the HTTP/1.1 conformance and smuggling probe (docs/CHECK.md). */
import { readCa, TRUST_FLAGS, urlArgument } from "./client-flags.js";
import { defineCommand } from "./command.js";
import { flag, invalidValue } from "./flags.js";
import { EXIT_FAILURE, EXIT_OK } from "./usage-error.js";
import { checkServer, DEFAULT_PROBE_TIMEOUT_MS } from "../check/check-server.js";
import {
  formatGroup,
  formatHeader,
  formatProbe,
  formatSummary,
  type TextStyle,
} from "../check/report-format.js";
import { GROUPS, type CheckOptions, type Group } from "../check/types.js";

export const checkCommand = defineCommand({
  usage: "URL [OPTIONS]",
  description: `Probes the HTTP/1.1 server at URL for conformance to RFC 9110 and RFC 9112 and for request
smuggling: hand-built raw requests, one at a time, each on a connection of its own and with a
timeout, to URL's host and port only. Prints one line per probe (id, level, verdict, what was
observed), grouped, then the tally per level and a verdict. Every probe and the RFC sentence
it rests on: docs/CHECK.md.`,
  flags: {
    only: flag.custom({
      metavar: "GROUP,...",
      help: `run only these groups: ${GROUPS.join(", ")}`,
      convert: parseGroups,
    }),
    level: flag.choice(["must", "should", "all"], {
      default: "all",
      help: "the levels of probes to run",
    }),
    json: flag.bool({ help: "print the report as one JSON document" }),
    timeout: flag.seconds({
      default: DEFAULT_PROBE_TIMEOUT_MS,
      help: "limit for each wait of a probe: connecting, each response",
    }),
    slow: flag.bool({
      help: "also run the time-based probes: slowloris, idle timeouts (up to 3 minutes)",
    }),
    path: flag.text({
      metavar: "PATH",
      help: "probe with this path instead of discovering one",
      check: (text, name) => {
        if (!/^\/[\x21-\x7e]*$/.test(text)) {
          throw invalidValue(name, "an origin-form path starting with /", text);
        }
      },
    }),
    verbose: flag.bool({
      help: "show the bytes sent and received on stderr (the serve --trace format)",
    }),
    ...TRUST_FLAGS,
  },
  maxPositionals: 1,
  notes: `Verdicts: pass; FAIL (the server does not do what the sentence asks); warn (allowed, but a
known risk or the weaker choice); skip (the server offers nothing the probe needs, or stopped
answering, or answered out of turn, before it).

Exit codes:
  0  every MUST probe passed (or none ran: the verdict says so)
  1  a MUST probe failed, the server stopped answering or kept answering out of turn during
     the run, or it could not be reached or is not an HTTP server
  2  usage error`,
  examples: [
    ["tcpkit check http://127.0.0.1:8080/", "every probe against a local server"],
    [
      "tcpkit check https://localhost:8443/ --ca cert.pem --only desync,framing --level must",
      "smuggling only",
    ],
    ["tcpkit check http://127.0.0.1:8080/ --json > report.json", "a JSON report"],
  ],
  async run({ values, positionals }) {
    const url = urlArgument(positionals);
    const json = values.json;
    const style: TextStyle = {
      colour: !json && process.stdout.isTTY && process.env["NO_COLOR"] === undefined,
    };
    let group = "";
    const options: CheckOptions = {
      ...(values.only === undefined ? {} : { only: values.only }),
      level: values.level ?? "all",
      timeoutMs: values.timeout,
      slow: values.slow,
      ...(values.path === undefined ? {} : { path: values.path }),
      trust: {
        ...(values.ca === undefined ? {} : { ca: readCa(values.ca) }),
        insecure: values.insecure,
      },
      ...(values.verbose ? { onTrace: (t: string) => process.stderr.write(t) } : {}),
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
});

/** `--only framing,desync`: known group names, at least one. */
function parseGroups(text: string, name: string): Group[] {
  const groups = text
    .split(",")
    .map((g) => g.trim())
    .filter((g) => g !== "");
  const unknown = groups.find((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown !== undefined || groups.length === 0) {
    throw invalidValue(name, `a list of groups from ${GROUPS.join(", ")}`, text);
  }
  return groups as Group[];
}
