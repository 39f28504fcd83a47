/**
 * What the UDP mode learns from sequence numbers, in arrival order: duplicates, reordering, and
 * RFC 3550's interarrival jitter. Pure: no sockets, no clocks (arrival values are passed in).
 *
 * - A datagram is a duplicate when its sequence number has already arrived.
 * - A datagram is reordered when it arrives after one with a higher sequence number (RFC 4737
 *   §3.3: its number is below the next expected one). A swapped pair counts 1.
 * - Jitter is RFC 3550 §6.4.1's: with transit time T (here the round trip), for each arrival
 *   after the first, J += (|T_i - T_(i-1)| - J) / 16, in arrival order.
 * - Loss is what was sent minus the distinct datagrams that came back.
 */

export interface UdpSequenceCounts {
  /** Distinct datagrams that came back. */
  received: number;
  duplicates: number;
  reordered: number;
  /** RFC 3550 interarrival jitter, ms (0 before two arrivals). */
  jitterMs: number;
}

export class UdpSequenceStats implements UdpSequenceCounts {
  received = 0;
  duplicates = 0;
  reordered = 0;
  jitterMs = 0;
  /** One bit per sequence number: arrived. */
  private seen = new Uint8Array(1024);
  private nextExpected = 0;
  private lastTransit: number | undefined;

  /**
   * Accounts one arrival of `seq` with its transit time `transitMs`. Returns false for a
   * duplicate (whose latency the caller should not record), true otherwise.
   */
  arrive(seq: number, transitMs: number): boolean {
    const byte = seq >>> 3;
    const bit = 1 << (seq & 7);
    if (byte >= this.seen.length) this.grow(byte);
    if (((this.seen[byte] as number) & bit) !== 0) {
      this.duplicates++;
      return false;
    }
    this.seen[byte] = (this.seen[byte] as number) | bit;
    this.received++;
    if (seq < this.nextExpected) this.reordered++;
    else this.nextExpected = seq + 1;
    if (this.lastTransit !== undefined) {
      this.jitterMs += (Math.abs(transitMs - this.lastTransit) - this.jitterMs) / 16;
    }
    this.lastTransit = transitMs;
    return true;
  }

  /** Datagrams lost out of `sent`. */
  lost(sent: number): number {
    return sent - this.received;
  }

  private grow(byte: number): void {
    let length = this.seen.length;
    while (length <= byte) length *= 2;
    const bigger = new Uint8Array(length);
    bigger.set(this.seen);
    this.seen = bigger;
  }
}
