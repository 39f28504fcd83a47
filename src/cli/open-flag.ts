/**
 * `serve --open`: the served URL in the default browser, through the platform's opener
 * (xdg-open on Linux and the BSDs, open on macOS, `start` through cmd on Windows). Where there
 * is none (a server, a container), nothing happens and nothing is printed: the readiness line
 * has the URL anyway.
 */
import { spawn } from "node:child_process";
import { flag } from "./flags.js";
import { formatUrl } from "../net/address.js";

export const OPEN_FLAG = {
  open: flag.bool({ help: "open the served URL in the default browser" }),
};

/** The URL to open: a wildcard address becomes localhost, which a browser can reach. */
export function browserUrl(scheme: string, host: string, port: number): string {
  const reachable = host === "0.0.0.0" || host === "::" || host === "" ? "localhost" : host;
  return `${formatUrl(scheme, reachable, port)}/`;
}

/** Starts the opener detached; every failure (no opener, no display) is ignored. */
export function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", '""', url]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(command, args, { stdio: "ignore", detached: true });
    child.on("error", () => {});
    child.unref();
  } catch {
    // nothing to open with: silently nothing
  }
}
