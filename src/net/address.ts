/** Host and port formatting shared by servers' readiness lines, logs and clients. */
import { isIPv4 } from "node:net";

/** "127.0.0.1:8080", or "[::1]:8080" for IPv6 literals (RFC 3986 §3.2.2 brackets). */
export function formatHostPort(host: string, port: number): string {
  // A colon is in an IPv6 literal and in no host name or IPv4 address (net.isIPv6's regex costs
  // a microsecond, on the proxy's path for every request).
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** "http://[::1]:8080", "tcp://127.0.0.1:7007". */
export function formatUrl(scheme: string, host: string, port: number): string {
  return `${scheme}://${formatHostPort(host, port)}`;
}

/** Strips the IPv4-mapped IPv6 prefix so logs show "127.0.0.1", not "::ffff:127.0.0.1". */
export function displayAddress(address: string | undefined): string {
  if (address === undefined) return "-";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** True for a loopback address or name: 127.0.0.0/8, ::1 (also IPv4-mapped), localhost names. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  if (isIPv4(v4)) return v4.startsWith("127.");
  const name = h.replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}

/**
 * The bucket a client address counts against (a login throttle, a per-client connection
 * limit): an IPv4 address (also as ::ffff:a.b.c.d) itself, an IPv6 address its /64. A host or
 * a home network is normally given a whole /64 and can send from any address in it, so
 * per-/128 buckets would give it 2^64 allowances (and let it push everyone else's buckets out
 * of the table).
 */
export function clientBucket(address: string): string {
  const shown = displayAddress(address.toLowerCase()); // ::ffff:a.b.c.d is an IPv4 client
  if (!shown.includes(":")) return shown;
  // A zone (fe80::1%eth0) is dropped: link-local clients of every interface share buckets.
  const bare = shown.split("%")[0] as string;
  const [head = "", tail] = bare.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  // An embedded IPv4 tail (::1.2.3.4) fills two groups; only the first four matter here.
  const rightGroups = right.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const zeros =
    tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - rightGroups)).fill("0");
  const groups = [...left, ...zeros, ...right].slice(0, 4);
  return `${groups.map((g) => (g.includes(".") ? g : parseInt(g, 16).toString(16))).join(":")}::/64`;
}
