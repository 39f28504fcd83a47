/** `--host` and `--port` of the servers (serve, echo-server), declared once for both. */
import { flag } from "./flags.js";

/** "[::1]" as a URL writes it is the address ::1: the brackets are not part of the address. */
export function unbracket(host: string): string {
  return /^\[[^\]]*\]$/.test(host) ? host.slice(1, -1) : host;
}

/** The listening address flags, with the server's default port. */
export function listenFlags(defaultPort: number, portNote = "0 picks a free port") {
  return {
    host: flag.custom({
      metavar: "ADDR",
      default: "127.0.0.1",
      help: "address to listen on: ::1 (or [::1]) for IPv6, 0.0.0.0 for all",
      convert: unbracket,
    }),
    port: flag.port({ short: "p", default: defaultPort, help: `TCP port; ${portNote}` }),
  };
}
