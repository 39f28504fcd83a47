/** `tcpkit echo-server`: the RFC 862 echo server (DESIGN §5, §7). */
import { defineCommand } from "./command.js";
import { flag } from "./flags.js";
import { listenFlags } from "./listen-flags.js";
import { onShutdownSignal } from "./shutdown.js";
import { keepServingWithoutStdout } from "./stdout-loss.js";
import { EXIT_OK } from "./usage-error.js";
import {
  createEchoServer,
  DEFAULT_ECHO_IDLE_TIMEOUT_MS,
  DEFAULT_ECHO_PORT,
  type EchoServerStats,
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
        "service ports such as 7, 13, 19, or from this server itself)",
    }),
    "max-connections": flag.count({
      help: "at most N clients at once; more are closed at once and counted",
    }),
    "idle-timeout": flag.seconds({
      default: DEFAULT_ECHO_IDLE_TIMEOUT_MS,
      zero: "never",
      help: "close a connection idle this long",
    }),
    verbose: flag.bool({
      short: "v",
      help: 'print "Handling client IP:PORT" for each connection, and its byte count when it closes',
    }),
  },
  maxPositionals: 0,
  notes: `Prints one readiness line on stdout. SIGINT or SIGTERM: stop accepting, finish sending what is
queued, print totals on stderr, exit 0.

Exit codes: 0 stopped by a signal, 1 cannot listen (address in use...), 2 usage error.`,
  examples: [
    ["tcpkit echo-server --port 0", "any free port"],
    [
      "tcpkit echo-server --host 0.0.0.0 --udp -v",
      "TCP and UDP on every interface, one line per client",
    ],
  ],
  async run({ values }) {
    const { host, port, verbose } = values;
    const maxConnections = values["max-connections"];
    const idleTimeoutMs = values["idle-timeout"];
    keepServingWithoutStdout("echo-server");
    const server = createEchoServer({
      host,
      port,
      udp: values.udp,
      idleTimeoutMs,
      reclaimReadBuffers: true,
      ...(maxConnections === undefined ? {} : { maxConnections }),
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
                `Closed client ${formatHostPort(c.remoteAddress, c.remotePort)}: ${c.bytesReceived} bytes received, ${c.bytesSent} sent${how}\n`,
              );
            },
          }
        : {}),
    });
    const bound = await server.listen();
    const tcpUrl = formatUrl("tcp", bound.host, bound.port);
    const udpPart = values.udp ? ` and ${formatUrl("udp", bound.host, bound.port)}` : "";
    process.stdout.write(`tcpkit echo-server: listening on ${tcpUrl}${udpPart}\n`);
    onShutdownSignal(async () => {
      const totals = await server.close();
      process.stderr.write(formatTotals(totals, values.udp));
    });
    return new Promise<number>(() => EXIT_OK);
  },
});

/** The stop line(s) on stderr: connections and bytes, then the UDP side if it ran. */
function formatTotals(s: EchoServerStats, udp: boolean): string {
  let text =
    `tcpkit echo-server: stopped; ${s.connectionsAccepted} connections served,` +
    ` ${s.connectionsRefused} refused over --max-connections, ${s.connectionsTimedOut} closed idle;` +
    ` ${s.bytesReceived} bytes received, ${s.bytesSent} bytes echoed\n`;
  if (udp) {
    text +=
      `tcpkit echo-server: udp: ${s.udpDatagramsEchoed} datagrams echoed (${s.udpBytesEchoed} bytes),` +
      ` ${s.udpDatagramsRefused} refused by the reflection guard\n`;
  }
  return text;
}
