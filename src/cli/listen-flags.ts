/** `--host` and `--port` of the servers (serve, echo-server), declared once for both. */
import { flag } from "./flags.js";

/** The listening address flags, with the server's default port. */
export function listenFlags(defaultPort: number, portNote = "0 picks a free port") {
  return {
    host: flag.text({
      metavar: "ADDR",
      default: "127.0.0.1",
      help: "address to listen on: ::1 for IPv6, 0.0.0.0 for all",
    }),
    port: flag.port({ short: "p", default: defaultPort, help: `TCP port; ${portNote}` }),
  };
}
