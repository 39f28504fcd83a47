/** PLACEHOLDER until its issue lands: `tcpkit echo`. */
import type { Command } from "./command.js";
import { TcpkitError } from "../util/tcpkit-error.js";

export const echoCommand: Command = {
  name: "echo",
  summary: "(not built yet)",
  help: "Usage: tcpkit echo (not built yet)",
  run() {
    return Promise.reject(new TcpkitError("ERR_INVALID_ARGUMENT", "not built yet"));
  },
};
