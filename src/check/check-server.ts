/**
 * checkServer(url, options): discovery, then every selected probe one at a time on connections
 * of its own, then the lint of every response seen; the typed report.
 */
import { randomBytes } from "node:crypto";
import { discover, shifted, silence } from "./discover.js";
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

/**
 * A probe that took this share of the timeout or more waited one out (timers may fire a few
 * ms early against the wall clock): the server is then asked whether it still answers.
 */
const WAITED_OUT = 0.95;

/**
 * Rounds of plain GETs after answers out of turn, to see a shared connection dropped, each
 * after a pause: nginx drops a cached back-end connection once the back end's extra answer
 * reaches it idle, which requests in quick succession never let it be (seen with nginx 1.22:
 * no pause, the answers stayed shifted; 200 ms, one round put them back in turn).
 */
const SETTLE_ROUNDS = 3;
const SETTLE_PAUSE_MS = 250;

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
  // Set once a probe left the server silent, or its answers out of turn for good: that probe,
  // and what the plain GETs after it then got.
  let stop: { after: string; why: string; kind: "silent" | "shifted" } | undefined;
  let unrun = 0;
  for (const probe of selectProbes(options)) {
    // The lint probes send nothing (they read the responses already seen): they still run.
    if (stop !== undefined && probe.group !== "lint") {
      const how = stop.kind === "silent" ? "stopped answering" : "answered out of turn";
      const result = skipped(probe, `not run: the server ${how} after ${stop.after}`);
      unrun += 1;
      probes.push(result);
      options.onProbe?.(result);
      continue;
    }
    let result = await runProbe(run, probe);
    const refused = result.observed.startsWith("connection refused");
    if (refused && reachable && probes.length > 0) {
      const last = probes[probes.length - 1] as ProbeResult;
      result = { ...result, observed: `${result.observed} (the server stopped after ${last.id})` };
    }
    reachable = !refused;
    // A probe that waited out the timeout may have left the server unable to answer anyone (or
    // it stopped on its own): then every later probe would wait out its timeout too, a run of
    // ~190 x the timeout. One plain GET of the discovered path tells.
    if (result.ms >= run.timeoutMs * WAITED_OUT) {
      const why = await silence(run);
      if (why !== undefined) stop = { after: probe.id, why, kind: "silent" };
    }
    // Bytes of this probe left on a connection the server shares behind it would be answered
    // to a later probe, which would then be judged on another request's answer: checked here,
    // so the finding is this probe's. A proxy drops such a connection sooner or later (nginx
    // when the back end's extra answer reaches an idle one); a few more rounds, paused, give it
    // the chance, and answers still out of turn stop the run, as nothing after could be judged.
    if (stop === undefined && result.verdict !== "skip" && probe.group !== "lint") {
      const why = await shifted(run, `${probe.id} (after)`);
      if (why !== undefined) {
        const observed = `${result.observed}; then ${why}: answers out of turn, as when a connection shared behind the server (a proxy's to its back end) read bytes of this probe as a request (desync)`;
        result = { ...result, verdict: "FAIL", observed };
        let still: string | undefined = why;
        for (let round = 0; round < SETTLE_ROUNDS && still !== undefined; round++) {
          await new Promise((resolve) => setTimeout(resolve, SETTLE_PAUSE_MS));
          still = await shifted(run, `${probe.id} (after)`);
        }
        if (still !== undefined) stop = { after: probe.id, why: still, kind: "shifted" };
      }
    }
    probes.push(result);
    options.onProbe?.(result);
  }
  const tally = tallies(probes);
  const failedMust = probes.filter((p) => p.level === "MUST" && p.verdict === "FAIL");
  const ms = Date.now() - started;
  const stopped =
    stop === undefined
      ? undefined
      : stop.kind === "silent"
        ? `${stop.after} (a plain GET of ${discovery.path}: ${stop.why})`
        : `${stop.after} (${stop.why})`;
  const ok = failedMust.length === 0 && stopped === undefined;
  const seconds = (ms / 1000).toFixed(1);
  const skips = probes.filter((p) => p.verdict === "skip").length;
  const failures = `fails ${failedMust.length} MUST probe${failedMust.length === 1 ? "" : "s"}: ${failedMust.map((p) => p.id).join(", ")}`;
  const halted = stop?.kind === "shifted" ? "kept answering out of turn" : "stopped answering";
  const verdict =
    stopped !== undefined
      ? `${target.href} ${halted} after ${stopped}; ${unrun} probe${unrun === 1 ? "" : "s"} not run${failedMust.length > 0 ? `; ${failures}` : ""}`
      : !ok
        ? `${target.href} ${failures}`
        : tally.MUST.total === 0
          ? // Every MUST probe was skipped (--only ranges on a server without ranges) or left
            // out: "passes every MUST probe" would claim what was never asked.
            `${target.href}: no MUST probe ran (${probes.length} probes, ${skips} skipped, in ${seconds} s)`
          : `${target.href} passes every MUST probe (${probes.length} probes in ${seconds} s)`;
  return {
    url: target.href,
    discovery,
    probes,
    tally,
    ok,
    verdict,
    ms,
    ...(stopped === undefined ? {} : { stopped }),
  };
}

/** The result of a probe that did not run, and why. */
function skipped(probe: Probe, why: string): ProbeResult {
  return { ...described(probe), verdict: "skip", observed: why, ...NOTHING_SEEN };
}

const NOTHING_SEEN = { statuses: [], sent: "", received: "", ms: 0 } as const;

/** What a result repeats of its probe's declaration. */
function described(
  probe: Probe,
): Pick<ProbeResult, "id" | "group" | "level" | "rfc" | "sentence" | "title"> {
  const { id, group, level, rfc, sentence, title } = probe;
  return { id, group, level, rfc, sentence, title };
}

async function runProbe(ctx: ProbeContext, probe: Probe): Promise<ProbeResult> {
  const started = Date.now();
  const skip = probe.needs?.(ctx.discovery);
  if (skip !== undefined) return skipped(probe, skip);
  try {
    const outcome = await probe.run(ctx, probe.id);
    const statuses = outcome.exchanges.flatMap((x) =>
      [...x.responses, ...x.extra, ...(x.followUp ? [x.followUp] : [])].flatMap((r) => [
        ...r.interim.map((h) => h.status),
        r.head.status,
      ]),
    );
    return {
      ...described(probe),
      verdict: outcome.verdict,
      observed: outcome.observed,
      statuses,
      sent: outcome.exchanges.map((x) => x.sent).join(""),
      received: outcome.exchanges.map((x) => x.received).join(""),
      ms: Date.now() - started,
    };
  } catch (err) {
    const text = err instanceof TcpkitError ? err.message : `internal error: ${String(err)}`;
    return { ...described(probe), verdict: "FAIL", observed: text, ...NOTHING_SEEN };
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
