/** PLACEHOLDER until its issue lands: `tcpkit echo-server`. */
import type { Command } from "./command.js";
import { TcpkitError } from "../util/tcpkit-error.js";

export const echoServerCommand: Command = {
  name: "echo-server",
  summary: "(not built yet)",
  help: "Usage: tcpkit echo-server (not built yet)",
  run() {
    return Promise.reject(new TcpkitError("ERR_INVALID_ARGUMENT", "not built yet"));
  },
};
