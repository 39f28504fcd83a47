/**
 * When and how long to wait before trying a download again (`--retry N`): transient failures
 * only (refused, reset or closed connections, timeouts, and the statuses 408, 429, 500, 502, 503,
 * 504), exponential back-off with jitter so that many clients do not come back in step, and the
 * server's Retry-After (RFC 9110 §10.2.3) when it gives one. Pure apart from Math.random.
 */
import { parseHttpDate } from "../http/http-date.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** The retry settings of a download. */
export interface RetryOptions {
  /** Attempts after the first (0: no retry). */
  readonly count: number;
  /** First back-off delay in ms (doubled each retry, with jitter); default 1000. */
  readonly delayMs?: number;
  /** Give up once this much time has passed since the first attempt (0 or absent: no bound). */
  readonly maxTimeMs?: number;
}

/** Statuses worth asking again for (RFC 9110 §15.5.9, §15.6; RFC 6585 §4). */
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
/** Network failures worth trying again. */
const TRANSIENT_CODES = new Set(["ERR_CONNECT_REFUSED", "ERR_CONNECTION_CLOSED", "ERR_TIMEOUT"]);
/** Longest back-off between two attempts, whatever the count. */
const MAX_BACKOFF_MS = 60_000;
/** Longest Retry-After honoured without --retry-max-time: a server cannot park us for a day. */
const MAX_RETRY_AFTER_MS = 600_000;

/** What an HTTP status failure says about retrying. */
interface StatusHint {
  readonly status: number;
  /** Retry-After in ms from now, when the response had a usable one. */
  readonly retryAfterMs: number | undefined;
}

const hints = new WeakMap<TcpkitError, StatusHint>();

/** Remembers the status (and Retry-After) behind an ERR_HTTP_STATUS error. */
export function withStatusHint(
  err: TcpkitError,
  status: number,
  retryAfter: string | undefined,
  now = Date.now(),
): TcpkitError {
  hints.set(err, { status, retryAfterMs: parseRetryAfter(retryAfter, now) });
  return err;
}

/** The HTTP status behind an ERR_HTTP_STATUS error that withStatusHint marked, else undefined. */
export function statusOf(err: unknown): number | undefined {
  return err instanceof TcpkitError ? hints.get(err)?.status : undefined;
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `now`. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000;
  const date = parseHttpDate(value);
  return date === undefined ? undefined : Math.max(0, date - now);
}

/** True for a failure that another attempt may not meet. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof TcpkitError)) return false;
  if (err.code === "ERR_HTTP_STATUS") {
    const hint = hints.get(err);
    return hint !== undefined && TRANSIENT_STATUSES.has(hint.status);
  }
  return TRANSIENT_CODES.has(err.code);
}

/** The wait before retry number `retry` (1 for the first), or why there is none. */
export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number; readonly reason: "back-off" | "Retry-After" }
  | { readonly retry: false; readonly why?: string };

/**
 * Decides whether to try again after `err`: transient, retries left, and the wait (back-off of
 * delay * 2^(retry-1), scaled by a random factor in [0.5, 1], or Retry-After when the server gave
 * one) still inside maxTime. `elapsedMs` is the time since the first attempt.
 */
export function decideRetry(
  err: unknown,
  retry: number,
  elapsedMs: number,
  options: RetryOptions,
  random: () => number = Math.random,
): RetryDecision {
  if (retry > options.count || !isTransient(err)) return { retry: false };
  const retryAfterMs = err instanceof TcpkitError ? hints.get(err)?.retryAfterMs : undefined;
  const base = options.delayMs ?? 1000;
  const backoff = Math.min(MAX_BACKOFF_MS, base * 2 ** (retry - 1)) * (0.5 + random() / 2);
  const delayMs = Math.round(retryAfterMs ?? backoff);
  const maxTime = options.maxTimeMs ?? 0;
  if (maxTime > 0 && elapsedMs + delayMs > maxTime) {
    return { retry: false, why: `the next retry would pass --retry-max-time` };
  }
  if (maxTime === 0 && delayMs > MAX_RETRY_AFTER_MS) {
    return { retry: false, why: `the server asks to wait ${Math.ceil(delayMs / 1000)} s` };
  }
  return { retry: true, delayMs, reason: retryAfterMs === undefined ? "back-off" : "Retry-After" };
}
