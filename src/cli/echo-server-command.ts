/** `tcpkit echo-server`: the RFC 862 echo server (DESIGN §5, §7). */
import { expectPositionals, parseCount, parsePort, parseSecondsToMs, parseFlags } from "./args.js";
import type { Command } from "./command.js";
import { onShutdownSignal } from "./shutdown.js";
import { EXIT_OK } from "./usage-error.js";
import {
  createEchoServer,
  DEFAULT_ECHO_IDLE_TIMEOUT_MS,
  DEFAULT_ECHO_PORT,
  type EchoServerStats,
} from "../echo/echo-server.js";
import { formatHostPort, formatUrl } from "../net/address.js";

const HELP = `Usage: tcpkit echo-server [OPTIONS]

RFC 862 echo server: every byte a client sends is sent back, in order, until the client closes.

Options:
  --host ADDR              address to listen on (default 127.0.0.1; ::1 for IPv6, 0.0.0.0 for all)
  --port N                 TCP port (default ${DEFAULT_ECHO_PORT}; RFC 862's port is 7; 0 picks a free port)
  --udp                    also echo UDP datagrams on the same port (no reply to datagrams from
                           well-known service ports such as 7, 13, 19, or from this server itself)
  --max-connections N      at most N clients at once; more are closed at once and counted
  --idle-timeout SECONDS   close a connection idle this long (default ${DEFAULT_ECHO_IDLE_TIMEOUT_MS / 1000}; 0: never)
  --verbose                print "Handling client IP:PORT" for each connection, and its byte count
                           when it closes
  -h, --help               show this help

Prints one readiness line on stdout. SIGINT or SIGTERM: stop accepting, finish sending what is
queued, print totals on stderr, exit 0.

Exit codes: 0 stopped by a signal, 1 cannot listen (address in use...), 2 usage error.
`;

export const echoServerCommand: Command = {
  name: "echo-server",
  summary: "RFC 862 echo server (TCP, optionally UDP)",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, {
      host: { type: "string" },
      port: { type: "string" },
      udp: { type: "boolean" },
      "max-connections": { type: "string" },
      "idle-timeout": { type: "string" },
      verbose: { type: "boolean", short: "v" },
    });
    expectPositionals(positionals, 0, "echo-server");
    const host = values.host ?? "127.0.0.1";
    const port = parsePort(values.port, "--port", DEFAULT_ECHO_PORT);
    const maxConnections =
      values["max-connections"] === undefined
        ? undefined
        : parseCount(values["max-connections"], "--max-connections", 1);
    const idleTimeoutMs = parseSecondsToMs(
      values["idle-timeout"],
      "--idle-timeout",
      DEFAULT_ECHO_IDLE_TIMEOUT_MS,
    );
    const verbose = values.verbose === true;
    const server = createEchoServer({
      host,
      port,
      udp: values.udp === true,
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
    const udpPart = values.udp === true ? ` and ${formatUrl("udp", bound.host, bound.port)}` : "";
    process.stdout.write(`tcpkit echo-server: listening on ${tcpUrl}${udpPart}\n`);
    onShutdownSignal(async () => {
      const totals = await server.close();
      process.stderr.write(formatTotals(totals, values.udp === true));
    });
    return new Promise<number>(() => EXIT_OK);
  },
};

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
