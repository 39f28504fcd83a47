/** The flags of `tcpkit echo`, declared once (flags.ts); echo-command.ts and echo-modes.ts read them. */
import { byteCountFlag, parseBenchBudget, parseRate, percentilesFlag } from "./echo-values.js";
import { flag, invalidValue, section, type FlagValues } from "./flags.js";
import { unbracket } from "./listen-flags.js";
import { DEFAULT_CLIENT_TIMEOUT_MS, DEFAULT_WINDOW_BYTES } from "../echo/client-socket.js";
import { DEFAULT_ECHO_PORT } from "../echo/echo-server.js";
import { DEFAULT_PERCENTILES } from "../echo/latency-histogram.js";
import { PATTERN_PERIOD } from "../echo/payload-pattern.js";
import { MAX_UDP_SIZE } from "../echo/udp-probe.js";

export const ECHO_FLAGS = {
  host: flag.custom({
    metavar: "HOST",
    default: "127.0.0.1",
    help: "server (an IPv6 address with or without brackets)",
    convert: echoHost,
  }),
  port: flag.port({ short: "p", default: DEFAULT_ECHO_PORT, remote: true, help: "port" }),
  timeout: flag.seconds({
    default: DEFAULT_CLIENT_TIMEOUT_MS,
    help: "limit for connecting and for each echo",
  }),
  nodelay: flag.bool({
    negatable: true,
    default: true,
    help: "TCP_NODELAY on the client socket",
  }),
  json: flag.bool({ help: "print the report as one JSON object" }),
  ...section(
    "Round trips (closed loop: like ping with one connection, a load generator with more)",
    {
      count: flag.count({
        short: "c",
        min: 0,
        help:
          "round trips per connection (default 10); 0, or --interval without --count: until " +
          "Ctrl-C, which prints the statistics. With --rate, --connect-rate or --udp: in all",
      }),
      interval: flag.duration({
        short: "i",
        bareUnit: "ms",
        zero: "none",
        defaultText: "1s with one connection, 0 with more",
        help: "pause between round trips on a connection (200ms, 0.2s)",
      }),
      size: flag.count({
        short: "s",
        metavar: "BYTES",
        max: MAX_UDP_SIZE,
        default: 64,
        help: `payload per round trip (at most ${PATTERN_PERIOD}; 16 to 65507 with --udp)`,
      }),
      connections: flag.count({
        default: 1,
        help: "connections at once (workers with --connect-rate; with --bench, streams)",
      }),
      duration: flag.duration({
        short: "d",
        bareUnit: "s",
        help: "run this long (10s, 2m) instead of a count; --rate, --connect-rate, --udp: 10s",
      }),
    },
  ),
  ...section("Load (each verifies every echoed byte)", {
    rate: flag.custom({
      metavar: "N/s",
      help:
        "open loop: send N messages per second whatever the replies, latency from each " +
        "scheduled send (coordinated omission corrected); with --udp, datagrams per second " +
        "(default 100)",
      convert: parseRate,
    }),
    "connect-rate": flag.bool({
      help: "new connections per second: connect, echo --size bytes, close (like TCP_CRR)",
    }),
    udp: flag.bool({
      help: "UDP datagrams with sequence numbers: loss, duplicates, reordering, RFC 3550 jitter",
    }),
    percentiles: flag.custom({
      metavar: "LIST",
      defaultText: DEFAULT_PERCENTILES.join(","),
      help: "latency percentiles to report",
      convert: percentilesFlag,
    }),
    "report-interval": flag.duration({
      bareUnit: "s",
      help: "print one line per interval (1s) while measuring",
    }),
    "json-stream": flag.bool({
      help: "NDJSON on stdout: one object per --report-interval (default 1s), then the summary",
    }),
  }),
  ...section("Throughput", {
    bench: flag.custom({
      metavar: "BYTES|SECONDS",
      help:
        "send this much (64M, 1G = 1 GiB; 1GB = 10^9 bytes) or for this long (10s), reading " +
        "the echo back at the same time; MB/s and Gbit/s each way",
      convert: parseBenchBudget,
    }),
    window: flag.custom({
      metavar: "BYTES",
      default: DEFAULT_WINDOW_BYTES,
      defaultText: `${DEFAULT_WINDOW_BYTES / 1024 ** 2}M`,
      help:
        "most bytes in flight (sent, not yet echoed) per connection, in the throughput, " +
        "open-loop and stdin modes. socat's PIPE echo deadlocks with more than about 56K " +
        "in flight: use --window 32K with it",
      convert: byteCountFlag,
    }),
  }),
};

export type EchoFlagValues = FlagValues<typeof ECHO_FLAGS>;

/** The server to reach, from --host or the HOST argument (`name`): never empty. */
export function echoHost(text: string, name = "--host"): string {
  const host = unbracket(text);
  if (host === "") throw invalidValue(name, "a host name or address", text);
  return host;
}
