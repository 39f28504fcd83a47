/**
 * How clients (get, echo, put, check) reach a host name: every address it resolves to is tried,
 * IPv6 and IPv4 interleaved and raced 250 ms apart (Happy Eyeballs, RFC 8305, through Node's
 * autoSelectFamily), and `localhost` / `*.localhost` mean the loopback addresses ::1 and
 * 127.0.0.1 whatever /etc/hosts says (RFC 6761 §6.3, as curl does). Without this,
 * `http://localhost:PORT` fails when the server listens only on ::1 and the resolver returns
 * 127.0.0.1 first.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import type { TcpNetConnectOpts } from "node:net";

type LookupAllCallback = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

/** Loopback addresses for a localhost name, in the order they are tried. */
const LOOPBACK: readonly LookupAddress[] = [
  { address: "::1", family: 6 },
  { address: "127.0.0.1", family: 4 },
];

/** True for `localhost`, `LOCALHOST.`, `app.localhost`: names RFC 6761 reserves for loopback. */
export function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}

/**
 * The connect options that make node:net (and node:tls) try every address of `host`: spread them
 * into net.connect / tls.connect beside host and port.
 */
export function dialOptions(): Pick<TcpNetConnectOpts, "autoSelectFamily" | "lookup"> {
  return { autoSelectFamily: true, lookup: loopbackAwareLookup as TcpNetConnectOpts["lookup"] };
}

/** dns.lookup, except that localhost names resolve to the loopback addresses without asking. */
function loopbackAwareLookup(
  hostname: string,
  options: LookupAllOptions,
  callback: LookupAllCallback,
): void {
  if (!isLocalhostName(hostname)) {
    dnsLookup(hostname, { ...options, all: true }, callback);
    return;
  }
  const family = options.family === 4 || options.family === 6 ? options.family : 0;
  const addresses = LOOPBACK.filter((a) => family === 0 || a.family === family);
  process.nextTick(() => callback(null, addresses));
}
