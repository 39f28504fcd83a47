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
