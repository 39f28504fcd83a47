/** PLACEHOLDER until its issue lands: `tcpkit get`. */
import type { Command } from "./command.js";
import { TcpkitError } from "../util/tcpkit-error.js";

export const getCommand: Command = {
  name: "get",
  summary: "(not built yet)",
  help: "Usage: tcpkit get (not built yet)",
  run() {
    return Promise.reject(new TcpkitError("ERR_INVALID_ARGUMENT", "not built yet"));
  },
};
