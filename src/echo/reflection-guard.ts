/**
 * Which UDP datagrams the echo service must not answer. RFC 862's UDP echo replies to any
 * datagram, so a forged source address can point two such services at each other (or at one
 * of the "small services") and make them bounce a datagram forever. Pure: no sockets.
 */

/**
 * Source ports of UDP services that answer unsolicited datagrams: echo 7, daytime 13, quote of
 * the day 17, chargen 19, time 37, DNS 53, NTP 123, NetBIOS 137, SNMP 161, SSDP 1900, mDNS 5353,
 * memcached 11211; port 0 is never a real sender. A reply to any of them could start a loop.
 */
export const REFLECTING_SOURCE_PORTS: ReadonlySet<number> = new Set([
  0, 7, 13, 17, 19, 37, 53, 123, 137, 161, 1900, 5353, 11211,
]);

/** What the guard knows about the echo service itself. */
export interface GuardSelf {
  /** The UDP port the echo service is bound to. */
  port: number;
  /** True if `address` belongs to this machine (loopback or one of its interfaces). */
  isLocalAddress(address: string): boolean;
}

/**
 * True if a datagram from `address`:`port` must be dropped unanswered: it comes from a
 * well-known service port, or from this machine's own echo port (the service talking to
 * itself, or to a twin bound to another local address).
 */
export function isReflectionRisk(address: string, port: number, self: GuardSelf): boolean {
  if (REFLECTING_SOURCE_PORTS.has(port)) return true;
  return port === self.port && self.isLocalAddress(address);
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.startsWith("::ffff:") ? address.slice(7) : address;
  return a === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}
