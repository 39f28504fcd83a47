/**
 * checkServer(url, options): discovery, then every selected probe one at a time on connections
 * of its own, then the lint of every response seen; the typed report.
 */
import { randomBytes } from "node:crypto";
import { discover } from "./discover.js";
import type { ProbeContext } from "./exchange.js";
import type { Probe } from "./probe.js";
import { ALL_PROBES } from "./probes/index.js";
import {
  GROUPS,
  type CheckOptions,
  type CheckReport,
  type Discovery,
  type Group,
  type Level,
  type LevelTally,
  type ProbeResult,
} from "./types.js";
import { parseRequestUrl } from "./wire.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** Default limit for each wait of a probe. */
export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

const LEVELS: Readonly<Record<NonNullable<CheckOptions["level"]>, readonly Level[]>> = {
  must: ["MUST"],
  should: ["MUST", "SHOULD"],
  all: ["MUST", "SHOULD", "MAY"],
};

/** The probes a run with `options` runs, in report order. */
export function selectProbes(options: CheckOptions = {}): Probe[] {
  const levels = LEVELS[options.level ?? "all"];
  const groups: readonly Group[] =
    options.only ?? GROUPS.filter((g) => g !== "slow" || options.slow === true);
  return ALL_PROBES.filter(
    (p) =>
      levels.includes(p.level) &&
      groups.includes(p.group) &&
      (p.group !== "slow" || options.slow === true || options.only?.includes("slow") === true),
  ).sort((a, b) => GROUPS.indexOf(a.group) - GROUPS.indexOf(b.group));
}

/**
 * Probes the HTTP/1.1 server at `url`. Rejects with a TcpkitError (ERR_INVALID_URL, or a
 * network or protocol error) when the server cannot be probed at all; otherwise resolves with
 * the report, whatever the server does.
 */
export async function checkServer(url: string, options: CheckOptions = {}): Promise<CheckReport> {
  const started = Date.now();
  const target = parseRequestUrl(url);
  const token = randomBytes(4).toString("hex");
  const ctx: ProbeContext = {
    url: target,
    host: target.authority,
    discovery: placeholder(target.target),
    pathStart: "",
    timeoutMs: options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
    trust: options.trust ?? {},
    canaryPath: `/tcpkit-check-canary-${token}`,
    seen: [],
    misframed: [],
    trace: options.onTrace,
  };
  const explicit = options.path !== undefined || target.target !== "/";
  const { discovery, pathStart } = await discover(ctx, options.path ?? target.target, explicit);
  options.onDiscovery?.(discovery);
  const run: ProbeContext = { ...ctx, discovery, pathStart };
  const probes: ProbeResult[] = [];
  let reachable = true;
  for (const probe of selectProbes(options)) {
    let result = await runProbe(run, probe);
    const refused = result.observed.startsWith("connection refused");
    if (refused && reachable && probes.length > 0) {
      const last = probes[probes.length - 1] as ProbeResult;
      result = { ...result, observed: `${result.observed} (the server stopped after ${last.id})` };
    }
    reachable = !refused;
    probes.push(result);
    options.onProbe?.(result);
  }
  const tally = tallies(probes);
  const failedMust = probes.filter((p) => p.level === "MUST" && p.verdict === "FAIL");
  const ms = Date.now() - started;
  const ok = failedMust.length === 0;
  const verdict = ok
    ? `${target.href} passes every MUST probe (${probes.length} probes in ${(ms / 1000).toFixed(1)} s)`
    : `${target.href} fails ${failedMust.length} MUST probe${failedMust.length === 1 ? "" : "s"}: ${failedMust.map((p) => p.id).join(", ")}`;
  return { url: target.href, discovery, probes, tally, ok, verdict, ms };
}

async function runProbe(ctx: ProbeContext, probe: Probe): Promise<ProbeResult> {
  const base = {
    id: probe.id,
    group: probe.group,
    level: probe.level,
    rfc: probe.rfc,
    sentence: probe.sentence,
    title: probe.title,
  };
  const started = Date.now();
  const skip = probe.needs?.(ctx.discovery);
  if (skip !== undefined) {
    return {
      ...base,
      verdict: "skip",
      observed: skip,
      statuses: [],
      sent: "",
      received: "",
      ms: 0,
    };
  }
  try {
    const outcome = await probe.run(ctx, probe.id);
    const statuses = outcome.exchanges.flatMap((x) =>
      [...x.responses, ...x.extra, ...(x.followUp ? [x.followUp] : [])].flatMap((r) => [
        ...r.interim.map((h) => h.status),
        r.head.status,
      ]),
    );
    return {
      ...base,
      verdict: outcome.verdict,
      observed: outcome.observed,
      statuses,
      sent: outcome.exchanges.map((x) => x.sent).join(""),
      received: outcome.exchanges.map((x) => x.received).join(""),
      ms: Date.now() - started,
    };
  } catch (err) {
    const text = err instanceof TcpkitError ? err.message : `internal error: ${String(err)}`;
    return {
      ...base,
      verdict: "FAIL",
      observed: text,
      statuses: [],
      sent: "",
      received: "",
      ms: 0,
    };
  }
}

function tallies(probes: readonly ProbeResult[]): Record<Level, LevelTally> {
  const tally = (level: Level): LevelTally => {
    const mine = probes.filter((p) => p.level === level);
    const n = (v: ProbeResult["verdict"]): number => mine.filter((p) => p.verdict === v).length;
    const skipped = n("skip");
    return {
      passed: n("pass") + n("warn"),
      failed: n("FAIL"),
      warned: n("warn"),
      skipped,
      total: mine.length - skipped,
    };
  };
  return { MUST: tally("MUST"), SHOULD: tally("SHOULD"), MAY: tally("MAY") };
}

function placeholder(path: string): Discovery {
  return {
    path,
    status: 200,
    missingStatus: 404,
    length: undefined,
    etag: undefined,
    lastModified: undefined,
    ranges: false,
    folder: undefined,
    server: undefined,
    how: "",
  };
}
