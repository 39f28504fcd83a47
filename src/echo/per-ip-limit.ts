/**
 * --max-connections-per-ip: at most N connections at once from one client address, so one
 * host cannot take every slot of --max-connections (nginx's limit_conn by $binary_remote_addr).
 * Counts live per address; an address is forgotten when its last connection closes, so memory
 * follows the open connections, not every address ever seen.
 */
export class PerIpLimit {
  private readonly open = new Map<string, number>();
  /** Connections refused because their address was at the limit. */
  refused = 0;

  constructor(readonly max: number) {}

  /** Admits one more connection from `address` (true), or counts a refusal (false). */
  admit(address: string): boolean {
    const n = this.open.get(address) ?? 0;
    if (n >= this.max) {
      this.refused++;
      return false;
    }
    this.open.set(address, n + 1);
    return true;
  }

  /** A connection from `address` that admit() let in has closed. */
  release(address: string): void {
    const n = this.open.get(address) ?? 0;
    if (n <= 1) this.open.delete(address);
    else this.open.set(address, n - 1);
  }
}
