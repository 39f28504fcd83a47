/**
 * The shape of almost every probe: open a fresh connection, send the probe's bytes, read the
 * answers to its requests, then send a follow-up request (`Connection: close`) and read until
 * the server closes. The follow-up tells whether the connection stayed open after the probe's
 * answer, and any response beyond the expected ones is a request the server made out of bytes
 * that were not one: the probe's content, a canary hidden in it, or leftovers (a desync).
 */
import { formatTrace } from "../http/trace-format.js";
import {
  PACE_BYTES,
  ProbeConnection,
  type ReadOutcome,
  type SeenResponse,
} from "./probe-connection.js";
import type { Discovery } from "./types.js";
import type { RequestUrl, TlsTrust } from "./wire.js";

/** Answers read after the probe's own before giving up on a server that keeps answering. */
const MAX_ANSWERS = 16;
/** How long to wait for more answers after the follow-up's first one. */
const MORE_ANSWERS_MS = 500;

/** What every probe gets. */
export interface ProbeContext {
  readonly url: RequestUrl;
  /** The Host field value. */
  readonly host: string;
  readonly discovery: Discovery;
  /**
   * The first bytes (latin1) of the path's content as discovery read it: an answer without a
   * status line that starts with them is the path served as HTTP/0.9, not an error page.
   */
  readonly pathStart: string;
  readonly timeoutMs: number;
  readonly trust: TlsTrust;
  /** A path that names nothing, unique to this run: the canary requests ask for it. */
  readonly canaryPath: string;
  /** Every response seen, with the HTTP version of the request it answered, for the lint. */
  readonly seen: { response: SeenResponse; requestVersion: "1.0" | "1.1"; probe: string }[];
  /**
   * Responses that were not framed as their fields say (content past the end, a body cut
   * short), with the probe that drew them, for the lint.
   */
  readonly misframed: { probe: string; message: string }[];
  /** Trace output (the `serve --trace` format), labelled with the probe id. */
  readonly trace: ((text: string) => void) | undefined;
}

/** A step of what a probe sends: bytes, or a pause in ms (bytes keep arriving meanwhile). */
export type SendPart = string | Buffer | number;

export interface ExchangeSpec {
  readonly send: readonly SendPart[];
  /** Methods of the requests the probe's bytes hold (default: the first word, once). */
  readonly methods?: readonly string[];
  /** HTTP version of the probe's requests, for the lint (default "1.1"). */
  readonly version?: "1.0" | "1.1";
  /** Send the follow-up request after the answers (default true). */
  readonly followUp?: boolean;
  /**
   * Without a follow-up: how long to wait for the close after the answers (default: the
   * timeout, at most 1 s). 0 when only the answer matters: a server that ignores
   * `Connection: close` then costs no wait.
   */
  readonly drainMs?: number;
  /** A shorter wait for the first answer, ms (default: the run's timeout). */
  readonly waitMs?: number;
  /**
   * The probe announces more content than it sends (a length past 2^64): a server that answers
   * and goes on reading it is right, so an unanswered follow-up is no desync.
   */
  readonly contentCut?: boolean;
}

export type After = "closed" | "open" | "stalled" | "garbage" | "none";

/** What happened on the connection. */
export interface Exchange {
  /** Answers to the probe's own requests, in order (fewer if the server stopped answering). */
  readonly responses: readonly SeenResponse[];
  /** Why fewer answers came than requests were sent, when they did. */
  readonly stop: "closed" | "timeout" | "malformed" | "connect" | undefined;
  readonly stopDetail: string;
  /** The error that stopped the connection from opening (stop "connect"). */
  readonly connectError?: unknown;
  /** Answers after the expected ones and before the follow-up's: requests nobody sent. */
  readonly extra: readonly SeenResponse[];
  /** The follow-up's answer: the connection stayed open after the probe's answers. */
  readonly followUp: SeenResponse | undefined;
  /**
   * After the probe's answers: "closed" without answering the follow-up; "open": the follow-up
   * was answered; "stalled": open, but the follow-up got no answer (the server still reads a
   * body); "garbage": bytes came that are not a response (a body where none belongs); "none":
   * the probe's own answers did not all come.
   */
  readonly after: After;
  /** A response had begun arriving before the last pause of `send` ended. */
  readonly early: boolean;
  /** As the spec's `contentCut`. */
  readonly contentCut: boolean;
  /** The wire log, capped. */
  readonly sent: string;
  readonly received: string;
}

/** Builds a request: request line, Host (unless `host` is null), extra field lines, body. */
export function request(
  ctx: ProbeContext,
  o: {
    method?: string;
    target?: string;
    version?: string;
    host?: string | null;
    fields?: readonly string[];
    body?: string;
  } = {},
): string {
  const lines = [
    `${o.method ?? "GET"} ${o.target ?? ctx.discovery.path} ${o.version ?? "HTTP/1.1"}`,
  ];
  const host = o.host === undefined ? ctx.host : o.host;
  if (host !== null) lines.push(`Host: ${host}`);
  lines.push(...(o.fields ?? []));
  return `${lines.join("\r\n")}\r\n\r\n${o.body ?? ""}`;
}

/** A complete, valid request for the canary path: answered only if the server desynchronised. */
export function canary(ctx: ProbeContext): string {
  return `GET ${ctx.canaryPath} HTTP/1.1\r\nHost: ${ctx.host}\r\n\r\n`;
}

/** The follow-up request: the probed path, closing the connection after it. */
function followUpRequest(ctx: ProbeContext): string {
  return `GET ${ctx.discovery.path} HTTP/1.1\r\nHost: ${ctx.host}\r\nConnection: close\r\n\r\n`;
}

function firstWord(part: SendPart | undefined): string {
  if (part === undefined || typeof part === "number") return "GET";
  const text = typeof part === "string" ? part : part.toString("latin1", 0, 64);
  return /^[^ \t\r\n]*/.exec(text)?.[0] ?? "GET";
}

/** Runs one exchange as the module comment says. Never throws on what the server does. */
export async function runExchange(
  ctx: ProbeContext,
  label: string,
  spec: ExchangeSpec,
): Promise<Exchange> {
  const trace =
    ctx.trace === undefined
      ? undefined
      : (direction: "sent" | "received", bytes: Buffer): void =>
          ctx.trace?.(traceBlock(direction, bytes, label));
  let conn: ProbeConnection;
  try {
    conn = await ProbeConnection.open(ctx.url, ctx.timeoutMs, ctx.trust, trace);
  } catch (err) {
    return {
      responses: [],
      stop: "connect",
      stopDetail: (err as Error).message,
      connectError: err,
      extra: [],
      followUp: undefined,
      after: "none",
      early: false,
      contentCut: spec.contentCut === true,
      sent: "",
      received: "",
    };
  }
  try {
    return await converse(ctx, conn, spec, label);
  } finally {
    conn.destroy();
  }
}

async function converse(
  ctx: ProbeContext,
  conn: ProbeConnection,
  spec: ExchangeSpec,
  label: string,
): Promise<Exchange> {
  let early = false;
  // The server answered before the whole request was written, and the rest was not sent: a
  // follow-up would only complete the cut request, so none is sent.
  let cut = false;
  for (const part of spec.send) {
    if (typeof part === "number") {
      await conn.sleep(part);
      early = conn.unread > 0 || conn.finished;
    } else if (cut) {
      break;
    } else {
      const bytes = typeof part === "string" ? Buffer.from(part, "latin1") : part;
      if (bytes.length <= PACE_BYTES) conn.send(bytes);
      else cut = !(await conn.sendPaced(bytes, Date.now() + ctx.timeoutMs));
    }
  }
  const methods = spec.methods ?? [firstWord(spec.send[0])];
  const version = spec.version ?? "1.1";
  const responses: SeenResponse[] = [];
  let stop: Exchange["stop"];
  let stopDetail = "";
  for (const [i, method] of methods.entries()) {
    const wait = i === 0 && spec.waitMs !== undefined ? spec.waitMs : ctx.timeoutMs;
    const r = await conn.readResponse(method, wait);
    if (r.kind !== "response") {
      stop = r.kind;
      stopDetail = describeStop(r, wait);
      if (r.kind === "closed" && conn.reset) {
        stopDetail = "reset without a response (closed with our bytes unread: RFC 9112 §9.6)";
      }
      const http1 = conn.log().received.startsWith("HTTP/");
      if (
        (r.kind === "malformed" && http1) ||
        (r.kind === "timeout" && r.detail.includes("body bytes"))
      ) {
        ctx.misframed.push({ probe: label, message: stopDetail });
      }
      if (r.kind === "malformed" && !http1) {
        stopDetail = `answered with bytes that are not an HTTP/1 response (an HTTP/0.9 answer?): ${JSON.stringify(conn.log().received.slice(0, 40))}`;
      }
      break;
    }
    responses.push(r.response);
    ctx.seen.push({ response: r.response, requestVersion: version, probe: label });
  }
  const extra: SeenResponse[] = [];
  let followUp: SeenResponse | undefined;
  let after: After = stop === undefined ? "open" : "none";
  if (stop === undefined && spec.followUp !== false && !cut) {
    conn.send(Buffer.from(followUpRequest(ctx), "latin1"));
    const answers: SeenResponse[] = [];
    for (;;) {
      // Everything has been sent: once one answer is in, the rest (if any) follow at once, so a
      // server that ignores the follow-up's Connection: close costs a short wait, not a timeout.
      const wait = answers.length === 0 ? ctx.timeoutMs : Math.min(ctx.timeoutMs, MORE_ANSWERS_MS);
      const r = await conn.readResponse("GET", wait);
      if (r.kind === "response" && answers.length === MAX_ANSWERS) {
        after = "garbage";
        ctx.misframed.push({ probe: label, message: `more than ${MAX_ANSWERS} answers` });
        break;
      }
      if (r.kind === "response") {
        answers.push(r.response);
        ctx.seen.push({
          response: r.response,
          requestVersion: "1.1",
          probe: `${label} (follow-up)`,
        });
        continue;
      }
      if (answers.length === 0) {
        after = r.kind === "closed" ? "closed" : r.kind === "timeout" ? "stalled" : "garbage";
      } else if (r.kind === "malformed") {
        after = "garbage";
      }
      if (r.kind === "malformed") {
        ctx.misframed.push({ probe: label, message: `after its answers: ${r.message}` });
      }
      break;
    }
    followUp = answers.pop();
    extra.push(...answers);
  } else if (stop === undefined) {
    const drained = await conn.drainUntilClosed(spec.drainMs ?? Math.min(ctx.timeoutMs, 1000));
    after = drained.bytes > 0 ? "garbage" : drained.closed ? "closed" : "open";
  }
  const log = conn.log();
  return {
    responses,
    stop,
    stopDetail,
    extra,
    followUp,
    after,
    early,
    contentCut: spec.contentCut === true,
    sent: log.sent,
    received: log.received,
  };
}

function describeStop(r: Exclude<ReadOutcome, { kind: "response" }>, waitMs: number): string {
  switch (r.kind) {
    case "closed":
      return "closed without a response";
    case "timeout":
      return r.detail === "nothing"
        ? `no response within ${waitMs / 1000} s`
        : `${r.detail} (waited ${waitMs / 1000} s)`;
    case "malformed":
      return `malformed response: ${r.message}`;
  }
}

/** Bytes as trace lines: what was sent is shown whole (capped), bodies included. */
function traceBlock(direction: "sent" | "received", bytes: Buffer, label: string): string {
  const shown = bytes.length > 2048 ? bytes.subarray(0, 2048) : bytes;
  let text = formatTrace(direction, shown.toString("latin1").replace(/\r\n$/, ""), { label });
  if (bytes.length > shown.length) {
    text += formatTrace(direction, `[${bytes.length - shown.length} more bytes]`, { label });
  }
  return text;
}
