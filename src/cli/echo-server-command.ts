/** `tcpkit echo-server`: the RFC 862 echo server (DESIGN §5, §7). */
import { defineCommand } from "./command.js";
import { formatServerReport, startServerReports, TOP_CLIENTS } from "./echo-server-report.js";
import { flag } from "./flags.js";
import { listenFlags } from "./listen-flags.js";
import { onShutdownSignal } from "./shutdown.js";
import { keepServingWithoutStdout } from "./stdout-loss.js";
import { EXIT_OK } from "./usage-error.js";
import {
  createEchoServer,
  DEFAULT_ECHO_IDLE_TIMEOUT_MS,
  DEFAULT_ECHO_PORT,
} from "../echo/echo-server.js";
import { formatHostPort, formatUrl } from "../net/address.js";

/** The `echo-server` command: flags to createEchoServer, readiness line, totals on stop. */
export const echoServerCommand = defineCommand({
  usage: "[OPTIONS]",
  description:
    "RFC 862 echo server: every byte a client sends is sent back, in order, until the client closes.",
  flags: {
    ...listenFlags(DEFAULT_ECHO_PORT, "RFC 862's port is 7; 0 picks a free port"),
    udp: flag.bool({
      help:
        "also echo UDP datagrams on the same port (no reply to datagrams from well-known " +
        "service ports such as 7, 13, 19, from its own port, or that echo its own echo: " +
        "docs/echo.md)",
    }),
    "max-connections": flag.count({
      help: "at most N clients at once; more are closed at once and counted",
    }),
    "max-connections-per-ip": flag.count({
      help: "at most N at once from one IPv4 address or IPv6 /64; more are closed at once and counted",
    }),
    "idle-timeout": flag.seconds({
      default: DEFAULT_ECHO_IDLE_TIMEOUT_MS,
      zero: "never",
      help: "close a connection idle this long",
    }),
    verbose: flag.bool({
      short: "v",
      help:
        'print "Handling client IP:PORT" for each connection, and its bytes each way and ' +
        "duration when it closes",
    }),
    "stats-interval": flag.duration({
      bareUnit: "s",
      help: "print the totals on stderr every DURATION (10s, 1m)",
    }),
    json: flag.bool({ help: "totals (interval, SIGUSR1, stop) as one JSON object a line" }),
  },
  maxPositionals: 0,
  notes: `Prints one readiness line on stdout. SIGUSR1: print the totals and the ${TOP_CLIENTS} busiest open clients
on stderr, and go on. SIGINT or SIGTERM: stop accepting, finish sending what is queued, print
totals on stderr, exit 0.

Exit codes: 0 stopped by a signal, 1 cannot listen (address in use...), 2 usage error.`,
  examples: [
    ["tcpkit echo-server -p 0 --verbose", "any free port, one line per client"],
    ["tcpkit echo-server --stats-interval 10s --json", "totals every 10 s as JSON on stderr"],
    ["tcpkit echo-server --host ::1 --udp", "IPv6, and UDP echo on the same port"],
  ],
  async run({ values }) {
    const { host, port, verbose } = values;
    const maxConnections = values["max-connections"];
    const maxConnectionsPerIp = values["max-connections-per-ip"];
    const idleTimeoutMs = values["idle-timeout"];
    keepServingWithoutStdout("echo-server");
    const server = createEchoServer({
      host,
      port,
      udp: values.udp,
      idleTimeoutMs,
      reclaimReadBuffers: true,
      ...(maxConnections === undefined ? {} : { maxConnections }),
      ...(maxConnectionsPerIp === undefined ? {} : { maxConnectionsPerIp }),
      ...(verbose
        ? {
            onConnection: (c) => {
              process.stdout.write(
                `Handling client ${formatHostPort(c.remoteAddress, c.remotePort)}\n`,
              );
            },
            onConnectionClose: (c) => {
              const how = c.hadError ? ", reset" : "";
              process.stdout.write(
                `Closed client ${formatHostPort(c.remoteAddress, c.remotePort)}: ${c.bytesReceived} bytes received, ${c.bytesSent} sent, ${(c.durationMs / 1000).toFixed(3)} s${how}\n`,
              );
            },
          }
        : {}),
    });
    const bound = await server.listen();
    const tcpUrl = formatUrl("tcp", bound.host, bound.port);
    const udpPart = values.udp ? ` and ${formatUrl("udp", bound.host, bound.port)}` : "";
    const stopReports = startServerReports(server, {
      udp: values.udp,
      json: values.json,
      intervalMs: values["stats-interval"],
    });
    onShutdownSignal(async () => {
      stopReports();
      const totals = await server.close();
      process.stderr.write(
        formatServerReport("stopped", totals, values.udp, undefined, values.json),
      );
    });
    // After the signal handlers: a script may signal as soon as it reads this line.
    process.stdout.write(`tcpkit echo-server: listening on ${tcpUrl}${udpPart}\n`);
    return new Promise<number>(() => EXIT_OK);
  },
});
