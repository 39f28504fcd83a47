/**
 * Slowing down password guessing: each client address has a bucket of BURST login checks that
 * refills at RATE per second (a token bucket). A check takes a token; a successful login gives
 * it back, so only failures use the bucket up. When the bucket is empty the next check waits
 * for its token (the wait grows with each queued attempt), and a client already more than
 * MAX_WAIT behind is answered 429 at once. With the defaults: 10 failed logins at full speed,
 * then one per second, per address (an IPv6 address counts by its /64: see clientBucket in
 * net/address.ts). Pure: the caller passes the time.
 */
import { clientBucket } from "../net/address.js";

/** The documented defaults (README, --auth). */
export const LOGIN_BURST = 10;
export const LOGIN_RATE_PER_SECOND = 1;
export const LOGIN_MAX_WAIT_MS = 30_000;
// Addresses remembered at most; past it the longest-idle are forgotten (a flood of addresses
// cannot grow memory; it can only reset its own buckets, which still cost it the burst each).
const MAX_ADDRESSES = 10_000;

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class LoginThrottle {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly burst = LOGIN_BURST,
    private readonly ratePerSecond = LOGIN_RATE_PER_SECOND,
    private readonly maxWaitMs = LOGIN_MAX_WAIT_MS,
  ) {}

  /**
   * One process's share of the documented allowance when `processes` serve one socket (serve
   * --workers): each counts only the failures that reach it, and connections go to them in
   * turn, so N full allowances let N times the guesses through. The rate is divided; the burst
   * too, but never below one (a first login never waits), so past 10 workers the burst is N.
   */
  static sharedBy(processes: number): LoginThrottle {
    const n = Math.max(1, processes);
    return new LoginThrottle(
      Math.max(1, LOGIN_BURST / n),
      LOGIN_RATE_PER_SECOND / n,
      LOGIN_MAX_WAIT_MS,
    );
  }

  /**
   * Takes a token for a login check from `address`: the milliseconds to wait before checking
   * (0: at once), or undefined when the wait would pass the maximum (answer 429; nothing taken).
   */
  reserve(address: string, nowMs: number): number | undefined {
    const bucket = this.refilled(clientBucket(address), nowMs);
    if (bucket.tokens - 1 < -(this.maxWaitMs / 1000) * this.ratePerSecond) return undefined;
    bucket.tokens -= 1;
    return bucket.tokens >= 0 ? 0 : Math.ceil((-bucket.tokens / this.ratePerSecond) * 1000);
  }

  /** Gives back the token of a check that succeeded. */
  refund(address: string, nowMs: number): void {
    const key = clientBucket(address);
    const bucket = this.refilled(key, nowMs);
    bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
    if (bucket.tokens === this.burst) this.buckets.delete(key);
  }

  /** Seconds until `address` may try again without waiting (for Retry-After). */
  retryAfterSeconds(address: string, nowMs: number): number {
    const bucket = this.refilled(clientBucket(address), nowMs);
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.ratePerSecond));
  }

  /** The bucket of `key` (a clientBucket), refilled for the time since it was last used. */
  private refilled(key: string, nowMs: number): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_ADDRESSES) {
        const oldest = this.buckets.keys().next().value as string;
        this.buckets.delete(oldest);
      }
      bucket = { tokens: this.burst, updatedMs: nowMs };
    } else {
      this.buckets.delete(key); // re-inserted below: the Map's order is least recently used first
      const elapsed = Math.max(0, nowMs - bucket.updatedMs) / 1000;
      bucket.tokens = Math.min(this.burst, bucket.tokens + elapsed * this.ratePerSecond);
      bucket.updatedMs = nowMs;
    }
    this.buckets.set(key, bucket);
    return bucket;
  }
}
