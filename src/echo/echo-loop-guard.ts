/**
 * Stops two UDP echo services from bouncing one datagram between them forever. A datagram
 * forged to server A with server B's address as its source makes A echo it to B, B echo it back
 * to A, and so on: every RFC 862 server on any port, on one host or across hosts. Each server
 * only ever sends a datagram back to where it came from, so such a loop is always between two
 * endpoints, and what comes back to A from B is exactly what A just sent to B.
 *
 * So A remembers, per source address and port, a digest of the last datagram it echoed there
 * and when; a datagram from that source with the same bytes within `windowMs` is an echo of
 * A's own echo and is dropped. The loop then ends after two datagrams (A→B, B→A), whatever
 * the other server does. The price: a client that sends the same bytes twice from the same port
 * within the window gets one answer (tcpkit's client numbers its datagrams, so it never does).
 *
 * Memory is bounded (`capacity` sources, oldest forgotten first). An attacker who wants A to
 * forget B between two bounces must send A more than `capacity` datagrams from other sources
 * per round trip: more than the loop would cost A, so there is nothing left to amplify.
 */
import { nodeCrypto } from "../util/lazy-builtin.js";

/** How long an echo is remembered: longer than any round trip between two echo servers. */
export const ECHO_MEMORY_MS = 1_000;
/** Sources remembered at once. */
export const ECHO_MEMORY_SOURCES = 4_096;

interface LastEcho {
  digest: Buffer;
  at: number;
}

export class EchoLoopGuard {
  /** source → last echo; a Map keeps insertion order, so the first key is the oldest. */
  private readonly last = new Map<string, LastEcho>();

  constructor(
    private readonly windowMs = ECHO_MEMORY_MS,
    private readonly capacity = ECHO_MEMORY_SOURCES,
  ) {}

  /**
   * Decides one datagram from `address`:`port` arriving at `now` (ms): true if it must be
   * dropped (the same bytes this guard saw echoed to that source less than windowMs ago);
   * otherwise it is remembered as echoed and false is returned.
   */
  isLoop(address: string, port: number, msg: Uint8Array, now: number): boolean {
    const source = `${address}|${port}`;
    const digest = nodeCrypto().hash("sha1", msg, "buffer");
    const previous = this.last.get(source);
    if (
      previous !== undefined &&
      now - previous.at < this.windowMs &&
      previous.digest.equals(digest)
    ) {
      return true;
    }
    this.last.delete(source);
    this.last.set(source, { digest, at: now });
    if (this.last.size > this.capacity) {
      this.last.delete(this.last.keys().next().value as string);
    }
    return false;
  }
}
