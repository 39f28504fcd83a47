/**
 * How a probe is declared, and the verdicts most probes share. A probe names the RFC sentence it
 * rests on, says what it sends, and judges the exchange. Whatever the probe, an answer to a
 * request nobody sent (a desync) fails it: see `desyncSeen`.
 */
import {
  request,
  runExchange,
  type Exchange,
  type ExchangeSpec,
  type ProbeContext,
} from "./exchange.js";
import type { SeenResponse } from "./probe-connection.js";
import type { Discovery, Group, Level, Verdict } from "./types.js";
import { getField } from "./wire.js";

export interface Judgement {
  readonly verdict: Verdict;
  readonly observed: string;
}

/** What a probe's run returns: its judgement and the exchange(s) it saw. */
export interface ProbeOutcome extends Judgement {
  readonly exchanges: readonly Exchange[];
}

export interface Probe {
  readonly id: string;
  readonly group: Group;
  readonly level: Level;
  readonly rfc: string;
  readonly sentence: string;
  readonly title: string;
  /** Why the probe cannot run against this server, or undefined when it can. */
  readonly needs?: (d: Discovery) => string | undefined;
  run(ctx: ProbeContext, id: string): Promise<ProbeOutcome>;
}

/** The judge of one exchange. */
export type Judge = (x: Exchange, ctx: ProbeContext) => Judgement;

type ProbeText = Omit<Probe, "run" | "group">;

/** A probe made of one exchange: its spec and its judge (after the desync check). */
export function exchangeProbe(
  group: Group,
  text: ProbeText & {
    readonly spec: (ctx: ProbeContext) => ExchangeSpec;
    readonly judge: Judge;
  },
): Probe {
  const { spec, judge, ...rest } = text;
  return {
    ...rest,
    group,
    async run(ctx, id) {
      const x = await runExchange(ctx, id, spec(ctx));
      return { ...(desyncSeen(x, ctx) ?? judge(x, ctx)), exchanges: [x] };
    },
  };
}

/** Shorthand for a probe that sends one request made by `bytes`. */
export function simpleProbe(
  group: Group,
  text: ProbeText & {
    readonly bytes: (ctx: ProbeContext) => string;
    readonly judge: Judge;
    readonly version?: "1.0" | "1.1";
    readonly contentCut?: boolean;
  },
): Probe {
  const { bytes, version, contentCut, ...rest } = text;
  return exchangeProbe(group, {
    ...rest,
    spec: (ctx) => ({
      send: [bytes(ctx)],
      ...(version === undefined ? {} : { version }),
      ...(contentCut === true ? { contentCut } : {}),
    }),
  });
}

/**
 * FAIL when the server answered more requests than were sent, or the follow-up's answer shows
 * that bytes of the probe were read into it. Either way a request boundary moved.
 */
export function desyncSeen(x: Exchange, ctx: ProbeContext): Judgement | undefined {
  if (x.extra.length > 0) {
    const statuses = x.extra.map((r) => r.head.status).join(", ");
    return {
      verdict: "FAIL",
      observed: `${describe(x)}; answered ${x.extra.length} request(s) nobody sent (${statuses}): bytes sent as content were read as a request (desync)`,
    };
  }
  if (x.followUp !== undefined && x.followUp.head.status !== ctx.discovery.status) {
    return {
      verdict: "FAIL",
      observed: `${describe(x)}; the follow-up GET got ${x.followUp.head.status}, not ${ctx.discovery.status}: leftover bytes of the probe were read into it (desync)`,
    };
  }
  // An answer that keeps the connection, and then no answer to the follow-up: the server is
  // still reading, so it took more bytes as content, or as a request, than the probe sent one
  // as (a TE-ignoring server reads a chunked trailer 'Content-Length: 100' as a request's).
  const last = x.responses.at(-1);
  const stalled = x.after === "stalled" && !x.contentCut;
  if (stalled && last !== undefined && last.head.status < 400 && keeps(last)) {
    return {
      verdict: "FAIL",
      observed: `${describe(x)}: the answer kept the connection, yet the follow-up GET got none: bytes of the probe were read as content or as a request (desync)`,
    };
  }
  if (x.after === "garbage") {
    return {
      verdict: "FAIL",
      observed: `${describe(x)}; then bytes that are not a response (content where none belongs?)`,
    };
  }
  return undefined;
}

/** The response says the connection persists (RFC 9112 §9.3). */
function keeps(r: SeenResponse): boolean {
  const connection = getField(r.head, "connection") ?? "";
  if (/(^|,)\s*close\s*(,|$)/i.test(connection)) return false;
  return r.head.version === 11 || /(^|,)\s*keep-alive\s*(,|$)/i.test(connection);
}

/** The status of the probe's first answer, or undefined. */
export function status(x: Exchange, i = 0): number | undefined {
  return x.responses[i]?.head.status;
}

/** One line: "400, closed", "200, kept open", "no response within 5 s". */
export function describe(x: Exchange): string {
  const parts = x.responses.map(statusText);
  if (x.stop !== undefined) parts.push(x.stopDetail);
  switch (x.after) {
    case "closed":
      parts.push("closed");
      break;
    case "open":
      parts.push("kept open");
      break;
    case "stalled":
      parts.push("kept open, the next request unanswered");
      break;
    default:
  }
  return parts.join(", ");
}

function statusText(r: SeenResponse): string {
  const interim = r.interim.map((h) => `${h.status} `).join("");
  return `${interim}${r.head.status}`;
}

const judgement = (verdict: Verdict, observed: string): Judgement => ({ verdict, observed });

/**
 * A connection failure or silence, judged the same by every verdict: FAIL, or `closeIs` on
 * close. An answer without a status line that is not the path's content counts as a close: it
 * is an HTTP/0.9-style error (python's http.server answers a request line it cannot read so,
 * having no version to answer in), so the request was refused, not served.
 */
function noAnswer(x: Exchange, ctx: ProbeContext, closeIs: Verdict): Judgement {
  if (x.stop === "closed") return judgement(closeIs, describe(x));
  if (closeIs !== "FAIL" && http09Error(x, ctx)) {
    return judgement(
      closeIs,
      `${describe(x)} (not the path's content: an HTTP/0.9-style error, a refusal)`,
    );
  }
  return judgement("FAIL", describe(x));
}

/** Bytes that are not an HTTP/1 response came, and they do not start as the path's content. */
function http09Error(x: Exchange, ctx: ProbeContext): boolean {
  if (x.stop !== "malformed" || x.received === "" || x.received.startsWith("HTTP/")) return false;
  const start = ctx.pathStart.slice(0, Math.min(ctx.pathStart.length, x.received.length));
  return start === "" || !x.received.startsWith(start);
}

/**
 * The request is invalid: 400 passes (another 4xx warns). `close`: the connection must close
 * after it too (framing errors, RFC 9112 §6.3). A silent close is safe but not what the RFC
 * says: warn.
 */
export function rejects(options: { close?: boolean; also?: readonly number[] } = {}): Judge {
  const expected = `${[400, ...(options.also ?? [])].join(" or ")} expected`;
  return (x, ctx) => {
    const s = status(x);
    if (s === undefined) return noAnswer(x, ctx, "warn");
    const stillOpen = x.after === "open" || x.after === "stalled";
    if (s === 400 || options.also?.includes(s) === true) {
      if (options.close === true && stillOpen) {
        return judgement("FAIL", `${describe(x)}: the connection must close after this error`);
      }
      return judgement("pass", describe(x));
    }
    if (s >= 400 && s < 500) return judgement("warn", `${describe(x)} (${expected})`);
    return judgement("FAIL", `${describe(x)} (${expected})`);
  };
}

/**
 * A number past 2^64 (a Content-Length, a chunk size): refused (400 or 413, then close), or
 * waited on (warn). An answer that is not an error and then a close warns too: the server
 * answered without reading the announced content (python's http.server on GET), and with the
 * connection gone nothing can have been misread; only an answer on a connection kept open
 * shows the number read as a small one (the 5 bytes sent taken as the whole content).
 */
export function refusesHugeNumber(what: string): Judge {
  return (x, ctx) => {
    const s = status(x);
    if (s === undefined && x.stop === "timeout") {
      return judgement("warn", `${describe(x)} (waits for the announced ${what})`);
    }
    if (s !== undefined && s < 400 && x.after === "closed") {
      return judgement(
        "warn",
        `${describe(x)} (answered without the announced ${what}, then closed)`,
      );
    }
    if (s !== undefined && s < 400 && x.after === "stalled") {
      return judgement("warn", `${describe(x)} (answered; goes on reading the announced ${what})`);
    }
    return rejects({ close: true, also: [413] })(x, ctx);
  };
}

/** Either outcome is allowed (reject with 400, or accept as the baseline GET is); not silence. */
export function acceptsOrRejects(options: { riskyIfAccepted?: string } = {}): Judge {
  return (x, ctx) => {
    const s = status(x);
    if (s === undefined) return noAnswer(x, ctx, "pass");
    if (s === 400) return judgement("pass", `${describe(x)} (rejected)`);
    if (s === ctx.discovery.status) {
      const risky = options.riskyIfAccepted;
      return risky === undefined
        ? judgement("pass", `${describe(x)} (accepted)`)
        : judgement("warn", `${describe(x)} (accepted: ${risky})`);
    }
    if (s >= 400 && s < 500) return judgement("pass", `${describe(x)} (rejected)`);
    return judgement("FAIL", describe(x));
  };
}

/** The request is valid and must be served as the baseline GET is. */
export function accepts(): Judge {
  return (x, ctx) => {
    const s = status(x);
    if (s === undefined) return noAnswer(x, ctx, "FAIL");
    if (s === ctx.discovery.status) return judgement("pass", describe(x));
    return judgement("FAIL", `${describe(x)} (${ctx.discovery.status} expected)`);
  };
}

/**
 * The framing is ambiguous: rejecting passes, and so does answering, as long as the server
 * closes the connection after its answer (RFC 9112 §6.1: "MUST close the connection after
 * responding to such a request"). Any status passes: 400, 501 and 2xx are all allowed answers.
 */
export function closesAfter(): Judge {
  return (x, ctx) => {
    const s = status(x);
    if (s === undefined) return noAnswer(x, ctx, "pass");
    if (x.after === "open" || x.after === "stalled") {
      return judgement("FAIL", `${describe(x)}: the connection must close after this request`);
    }
    return judgement("pass", describe(x));
  };
}

/** Passes on the listed statuses, warns on `warnOn`, fails otherwise (silence included). */
export function expectStatus(
  pass: readonly number[],
  warnOn: readonly number[] | ((s: number) => boolean) = [],
  note = "",
): Judge {
  return (x, ctx) => {
    const s = status(x);
    if (s === undefined) return noAnswer(x, ctx, "FAIL");
    if (pass.includes(s)) return judgement("pass", describe(x));
    const warns = typeof warnOn === "function" ? warnOn(s) : warnOn.includes(s);
    const want = `${pass.join(" or ")} expected${note === "" ? "" : `; ${note}`}`;
    return judgement(warns ? "warn" : "FAIL", `${describe(x)} (${want})`);
  };
}

export { judgement };

/**
 * A probe of valid content the server must frame right: sent with GET; a server that refuses
 * content on GET (400 and close, as RFC 9110 §9.3.1 foresees) gets the same content with POST,
 * and then any answer but 400, 411, 5xx or silence passes, the desync check having run.
 */
export function contentProbe(
  group: Group,
  text: ProbeText & { readonly fields: readonly string[]; readonly body: string },
): Probe {
  const { fields, body, ...rest } = text;
  return {
    ...rest,
    group,
    async run(ctx, id) {
      const build = (method: string): string => request(ctx, { method, fields, body });
      const x = await runExchange(ctx, id, { send: [build("GET")] });
      const d = desyncSeen(x, ctx);
      if (d !== undefined) return { ...d, exchanges: [x] };
      if (status(x) === ctx.discovery.status) {
        return { ...judgement("pass", describe(x)), exchanges: [x] };
      }
      // RFC 9112 §6.3: "A server MAY reject a request that contains a message body but not a
      // Content-Length by responding with 411 (Length Required)." Allowed; the weaker choice.
      if (status(x) === 411 && !fields.some((f) => /^content-length\s*:/i.test(f))) {
        const note = "content without Content-Length refused, as RFC 9112 §6.3 allows";
        return { ...judgement("warn", `${describe(x)} (${note})`), exchanges: [x] };
      }
      if (status(x) !== 400 || x.after === "open") {
        return { ...accepts()(x, ctx), exchanges: [x] };
      }
      const y = await runExchange(ctx, id, { send: [build("POST")] });
      const dy = desyncSeen(y, ctx);
      if (dy !== undefined) return { ...dy, exchanges: [x, y] };
      const s = status(y);
      const refused = s === undefined || s === 400 || s === 411 || s >= 500;
      return {
        ...judgement(
          refused ? "FAIL" : "pass",
          `GET: ${describe(x)} (content on GET refused); POST: ${describe(y)}`,
        ),
        exchanges: [x, y],
      };
    },
  };
}
