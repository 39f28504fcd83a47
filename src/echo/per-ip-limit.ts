/**
 * --max-connections-per-ip: at most N connections at once from one client, so one host cannot
 * take every slot of --max-connections (nginx's limit_conn). A client is an IPv4 address (also
 * IPv4-mapped) or an IPv6 /64 (clientBucket): a host holds a whole /64 and can connect from any
 * address in it, so counting per /128 would not limit it at all. Counts live per client; a
 * client is forgotten when its last connection closes, so memory follows the open connections,
 * not every address ever seen.
 */
import { clientBucket } from "../net/address.js";

export class PerIpLimit {
  private readonly open = new Map<string, number>();
  /** Connections refused because their address was at the limit. */
  refused = 0;

  constructor(readonly max: number) {}

  /** Admits one more connection from `address` (true), or counts a refusal (false). */
  admit(address: string): boolean {
    const key = clientBucket(address);
    const n = this.open.get(key) ?? 0;
    if (n >= this.max) {
      this.refused++;
      return false;
    }
    this.open.set(key, n + 1);
    return true;
  }

  /** A connection from `address` that admit() let in has closed. */
  release(address: string): void {
    const key = clientBucket(address);
    const n = this.open.get(key) ?? 0;
    if (n <= 1) this.open.delete(key);
    else this.open.set(key, n - 1);
  }
}
