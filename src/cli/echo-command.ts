/**
 * `tcpkit echo [HOST PORT] [MESSAGE]`: the RFC 862 client. Sends a message (or stdin) and checks
 * it comes back; its measuring modes (round trips, open loop, connect rate, UDP, throughput) are
 * chosen by their flags (echo-modes.ts runs them).
 */
import { defineCommand } from "./command.js";
import { ECHO_FLAGS, echoHost } from "./echo-flags.js";
import { runMeasurement, selectMode } from "./echo-modes.js";
import { toJson } from "./echo-output.js";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "./usage-error.js";
import type { EchoClientOptions } from "../echo/client-socket.js";
import { echoMessage, echoStream } from "../echo/echo-message.js";
import { stdinStream } from "./stdin-stream.js";

/** The `echo` command: one message, stdin, or a measuring mode, every byte checked. */
export const echoCommand = defineCommand({
  usage: "[OPTIONS] [HOST PORT] [MESSAGE | -]",
  description: `RFC 862 echo client. Sends MESSAGE, reads until as many bytes came back, prints
"Received: MESSAGE" and exits 0 if they match (and no more came back). With - or no MESSAGE it
sends stdin and writes the echoed bytes to stdout, checking every byte. HOST PORT may come first,
in nc's order (tcpkit echo localhost 7007 hello).`,
  flags: ECHO_FLAGS,
  notes: `Every echoed payload is checked byte for byte. Latencies are kept in an HDR histogram
(3 significant digits: every percentile within 0.1 % of a measured value). See docs/echo.md.

Exit codes: 0 all bytes came back intact, 1 a mismatch, extra bytes, an early close, a refused
connection, an unknown host, a timeout or failed connections, 2 usage error.`,
  examples: [
    ["tcpkit echo localhost 7007 hello", "send hello, check it comes back (nc's order)"],
    ["tcpkit echo -c 10 -i 200ms -s 64", "10 round trips of 64 bytes, like ping"],
    ["tcpkit echo --connections 50 -d 10s", "closed-loop load, p50 to p99.99"],
    ["tcpkit echo --rate 20000/s --connections 8 -d 30s", "open loop at a fixed rate"],
    ["tcpkit echo --udp --host ::1 --rate 1000 -d 10s", "UDP loss, reordering, jitter"],
    ["tcpkit echo --bench 1G --connections 4", "throughput over 4 connections"],
  ],
  async run({ values, given, positionals: args }) {
    let positionals = args;
    let host = values.host;
    let port = values.port;
    // nc's order: HOST PORT [MESSAGE].
    const portArg = positionals[1];
    if (portArg !== undefined && /^\d+$/.test(portArg)) {
      // A number second is always PORT (as 7007 is): one past 65535 was taken as part of a
      // MESSAGE and sent to the default server, so a mistyped port echoed "localhost 70070".
      if (Number(portArg) > 65535 || Number(portArg) === 0) {
        throw new UsageError(
          `PORT must be a port number from 1 to 65535, not '${portArg}' (quote a MESSAGE that has a number second)`,
        );
      }
      if (given.has("host") || given.has("port")) {
        throw new UsageError(`HOST PORT given both as arguments and as --host/--port`);
      }
      host = echoHost(positionals[0] as string, "HOST");
      port = Number(portArg);
      positionals = positionals.slice(2);
    }
    const client: EchoClientOptions = {
      host,
      port,
      timeoutMs: values.timeout,
      noDelay: values.nodelay,
    };
    const mode = selectMode(values, given);
    if (mode !== undefined) {
      if (positionals.length > 0) {
        throw new UsageError(`MESSAGE cannot be combined with ${mode.flag}`);
      }
      return runMeasurement(mode, values, given, client);
    }

    const message = positionals.join(" ");
    if (positionals.length === 0 || message === "-") {
      if (values.json) {
        throw new UsageError("--json needs MESSAGE or a measuring mode (stdout carries the echo)");
      }
      await echoStream({
        ...client,
        windowBytes: values.window,
        input: stdinStream(),
        output: process.stdout,
      });
      return EXIT_OK;
    }
    const result = await echoMessage({ ...client, message });
    const matched = result.firstMismatch === -1;
    if (values.json) {
      process.stdout.write(
        toJson({
          mode: "message",
          sent: result.sent.toString("utf8"),
          received: result.received.toString("utf8"),
          match: matched,
          firstMismatch: result.firstMismatch,
          bytes: result.sent.length,
          extraBytes: result.extraBytes,
          connectMs: result.connectMs,
          roundTripMs: result.roundTripMs,
        }),
      );
    } else {
      process.stdout.write(`Received: ${result.received.toString("utf8")}\n`);
    }
    if (result.extraBytes > 0) {
      process.stderr.write(
        `tcpkit: echo mismatch: ${result.extraBytes} bytes came back after the ${result.sent.length} sent\n`,
      );
      return EXIT_FAILURE;
    }
    if (!matched) {
      process.stderr.write(
        `tcpkit: echo mismatch: byte ${result.firstMismatch} of ${result.sent.length} differs from the byte sent\n`,
      );
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  },
});
