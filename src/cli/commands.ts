/**
 * The command table: every `tcpkit` subcommand, its one-line summary (for `tcpkit --help`), and
 * its module, loaded only when that command runs: a long-running server then holds only its own
 * code in memory (the echo server does not load the HTTP stack, nor mime-db). A new command is
 * one module exporting defineCommand(...) and one line here.
 */
import type { Command } from "./command.js";

/** One row of the command table. */
export interface CommandEntry {
  readonly name: string;
  /** One line for `tcpkit --help`. */
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "serve",
    summary: "serve a directory over HTTP/1.0 and HTTP/1.1",
    load: async () => (await import("./serve-command.js")).serveCommand,
  },
  {
    name: "echo-server",
    summary: "RFC 862 echo server (TCP, optionally UDP)",
    load: async () => (await import("./echo-server-command.js")).echoServerCommand,
  },
  {
    name: "echo",
    summary: "RFC 862 echo client: send and verify, round-trip times, throughput",
    load: async () => (await import("./echo-command.js")).echoCommand,
  },
  {
    name: "get",
    summary: "download a URL over HTTP/1.1 or HTTP/1.0 (like wget)",
    load: async () => (await import("./get-command.js")).getCommand,
  },
  {
    name: "put",
    summary: "upload a file with PUT, resumably if asked (like curl -T)",
    load: async () => (await import("./put-command.js")).putCommand,
  },
  {
    name: "check",
    summary: "probe an HTTP/1.1 server for RFC 9110/9112 conformance and request smuggling",
    load: async () => (await import("./check-command.js")).checkCommand,
  },
];
