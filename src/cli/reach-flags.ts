/**
 * How other devices reach `tcpkit serve`: the port (with the PORT environment variable that
 * platforms and `serve` honour when --port is absent), the URL list printed for a wildcard
 * address, and --qr.
 */
import { flag, invalidValue } from "./flags.js";
import { lanUrl, reachableUrls, terminalQr } from "./reachable-urls.js";
import { formatUrl } from "../net/address.js";

export const DEFAULT_SERVE_PORT = 8080;

/** serve's --port (replacing listenFlags' own) and --qr, spread into its flag table. */
export const REACH_FLAGS = {
  port: flag.port({
    short: "p",
    defaultText: `$PORT, else ${DEFAULT_SERVE_PORT}`,
    help: "TCP port; 0 picks a free port",
  }),
  qr: flag.bool({ help: "print a QR code of the first LAN URL (with --host 0.0.0.0 or ::)" }),
};

/** The port to listen on: --port, else $PORT (a bad one is a usage error), else 8080. */
export function servePort(given: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (given !== undefined) return given;
  const text = env["PORT"];
  if (text === undefined || text === "") return DEFAULT_SERVE_PORT;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) {
    throw invalidValue("the PORT environment variable", "a port number from 0 to 65535", text);
  }
  return n;
}

/**
 * The readiness line, then for a wildcard address every reachable URL (indented), then the QR
 * code when asked.
 */
export function readinessText(
  scheme: string,
  root: string,
  host: string,
  port: number,
  qr: boolean,
): string {
  let out = `tcpkit serve: listening on ${formatUrl(scheme, host, port)} (root ${root})\n`;
  const urls = reachableUrls(scheme, host, port);
  if (host === "0.0.0.0" || host === "::") for (const url of urls) out += `  ${url}\n`;
  const target = lanUrl(urls);
  if (qr && target !== undefined) out += terminalQr(target) + `  ${target}\n`;
  return out;
}
