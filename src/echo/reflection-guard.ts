/**
 * Which UDP datagrams the echo service must not answer, judged by their source port alone. RFC
 * 862's UDP echo replies to any datagram, so a forged source address can point it at another
 * service that answers back (one of the "small services", DNS, NTP...) or at another echo
 * server, and make the two bounce a datagram forever. Source ports of such services are refused
 * here; loops with echo servers on other ports are stopped by echo-loop-guard.ts. Pure.
 */

/**
 * Source ports of UDP services that answer unsolicited datagrams: echo 7, daytime 13, quote of
 * the day 17, chargen 19, time 37, DNS 53, NTP 123, NetBIOS 137, SNMP 161, SSDP 1900, mDNS 5353,
 * tcpkit's own echo port 7007, memcached 11211; port 0 is never a real sender. A reply to any of
 * them could start a loop. Clients send from ephemeral ports (Linux 32768-60999, IANA and
 * Windows 49152-65535), never from these.
 */
export const REFLECTING_SOURCE_PORTS: ReadonlySet<number> = new Set([
  0, 7, 13, 17, 19, 37, 53, 123, 137, 161, 1900, 5353, 7007, 11211,
]);

/**
 * True if a datagram from source port `port` must be dropped unanswered: it comes from a
 * well-known service port, or from the echo service's own port `ownPort` on any address (a twin
 * echo server on another host, or this one, on the same port).
 */
export function isReflectionRisk(port: number, ownPort: number): boolean {
  return REFLECTING_SOURCE_PORTS.has(port) || port === ownPort;
}
