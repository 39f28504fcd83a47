/**
 * The checker's vocabulary: probe levels and verdicts, the report `checkServer` returns, and the
 * options it takes. Levels are the RFC 2119 keyword of the sentence a probe rests on.
 */
import type { TlsTrust } from "./wire.js";

/** The requirement level of the sentence a probe rests on. */
export type Level = "MUST" | "SHOULD" | "MAY";

/**
 * pass: the server does what the sentence asks. FAIL: it does not. warn: allowed by the RFC,
 * but a known risk or a weaker choice (said in the observation). skip: the probe could not run
 * (the server offers nothing it needs), with why.
 */
export type Verdict = "pass" | "FAIL" | "warn" | "skip";

/** The probe groups, in report order; `--only` takes these names. */
export const GROUPS = [
  "request-line",
  "fields",
  "framing",
  "chunked",
  "desync",
  "semantics",
  "conditional",
  "ranges",
  "slow",
  "lint",
] as const;
export type Group = (typeof GROUPS)[number];

/** One probe's outcome. */
export interface ProbeResult {
  readonly id: string;
  readonly group: Group;
  readonly level: Level;
  /** RFC and section, e.g. "RFC 9112 §6.3". */
  readonly rfc: string;
  /** The sentence of the RFC the verdict rests on. */
  readonly sentence: string;
  /** What the probe sends, in a few words. */
  readonly title: string;
  readonly verdict: Verdict;
  /** What was observed, one line. */
  readonly observed: string;
  /** Status codes of the responses seen, in order (interim ones included). */
  readonly statuses: readonly number[];
  /** The bytes sent and received (latin1, each capped), for --json and --verbose. */
  readonly sent: string;
  readonly received: string;
  readonly ms: number;
}

/** What discovery learned from the server before the probes ran. */
export interface Discovery {
  /** The path the probes request (origin-form target). */
  readonly path: string;
  readonly status: number;
  /** The status of a GET for a path that names nothing (404 on most servers). */
  readonly missingStatus: number;
  readonly length: number | undefined;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  /** The server answered `Range: bytes=0-0` with 206. */
  readonly ranges: boolean;
  /** A folder path without its trailing slash, when one was found (redirect probes). */
  readonly folder: string | undefined;
  /** The Server field, as sent. */
  readonly server: string | undefined;
  /** How the path was chosen, one line. */
  readonly how: string;
}

/** Passed and total (skips excluded) for one level. */
export interface LevelTally {
  readonly passed: number;
  readonly failed: number;
  readonly warned: number;
  readonly skipped: number;
  readonly total: number;
}

/** The whole report. `ok` is true when every MUST probe that ran passed (or warned). */
export interface CheckReport {
  readonly url: string;
  readonly discovery: Discovery;
  readonly probes: readonly ProbeResult[];
  readonly tally: Readonly<Record<Level, LevelTally>>;
  readonly ok: boolean;
  readonly verdict: string;
  readonly ms: number;
  /**
   * Set when the run stopped early: the probe after which the server no longer answered a
   * plain GET, and what that GET got ("range-multiple (a plain GET of /a.txt: no response
   * within 5 s)"), or after which its answers stayed out of turn, and what the plain GETs got
   * ("desync-cl0-404 (plain GETs of /a.txt and of a missing path, each on a new connection,
   * got 404 and 200, not 200 and 404)"). The probes after it are skips; `ok` is false.
   */
  readonly stopped?: string;
}

/** Options of checkServer(). */
export interface CheckOptions {
  /** Groups to run (default: all but "slow"; "slow" also runs with `slow`). */
  readonly only?: readonly Group[];
  /** "must": MUST probes only; "should": MUST and SHOULD; "all" (default): MAY too. */
  readonly level?: "must" | "should" | "all";
  /** Limit for each wait of a probe (connect, each response), ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Also run the time-based probes (slowloris, idle timeout). */
  readonly slow?: boolean;
  /** The path to probe with, instead of discovering one. */
  readonly path?: string;
  /** TLS trust for https URLs. */
  readonly trust?: TlsTrust;
  /** Called once discovery is done, before the first probe. */
  readonly onDiscovery?: (discovery: Discovery) => void;
  /** Called after each probe, in order (for streaming output). */
  readonly onProbe?: (result: ProbeResult) => void;
  /** Called with each trace block (the `serve --trace` format) as bytes go and come. */
  readonly onTrace?: (text: string) => void;
}
