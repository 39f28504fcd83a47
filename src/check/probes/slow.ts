/**
 * Time-based probes, run only with --slow: a head that trickles in (slowloris) and connections
 * left idle. A server has SLOW_LIMIT_MS to close; one that keeps the connection longer gets a
 * warning.
 */
import { request, type ProbeContext } from "../exchange.js";
import { ProbeConnection } from "../probe-connection.js";
import { judgement, type Judgement, type Probe, type ProbeOutcome } from "../probe.js";

const G = "slow";
/** How long a server may take to give up on the connection and still pass. */
export const SLOW_LIMIT_MS = 60_000;
/**
 * How much longer a probe watches: servers' timeouts are round numbers, 60 s most of all
 * (nginx's client_header_timeout, lighttpd's max-read-idle, Apache's Timeout), and their close
 * lands a little after the limit (nginx's at 60.0 s was read as "still open after 60.0 s").
 */
const SLOW_GRACE_MS = 5_000;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * Opens a connection, sends `first`, then `step()` every second until the server answers or
 * closes, for up to `limitMs` (and SLOW_GRACE_MS). When `first` is a whole request (no `step`),
 * its answer is awaited first and the idle time counts from that answer, not from the
 * connection's start. Exported for tests, which pass a short limit.
 */
export async function watchSlow(
  ctx: ProbeContext,
  first: string,
  step: ((i: number) => string) | undefined,
  quiet: string,
  limitMs = SLOW_LIMIT_MS,
): Promise<ProbeOutcome> {
  let conn: ProbeConnection;
  try {
    conn = await ProbeConnection.open(ctx.url, ctx.timeoutMs, ctx.trust);
  } catch (err) {
    return { ...judgement("FAIL", (err as Error).message), exchanges: [] };
  }
  const afterAnswer = first !== "" && step === undefined;
  let idleFrom = Date.now();
  let j: Judgement | undefined;
  try {
    if (first !== "") conn.send(Buffer.from(first, "latin1"));
    if (afterAnswer) {
      // The request is whole: its answer (read whole, however slowly it comes within the
      // timeout) starts the idle time.
      const answer = await conn.readResponse("GET", ctx.timeoutMs);
      if (answer.kind !== "response") {
        return {
          ...judgement("warn", `no answer to a whole request: ${answer.kind}`),
          exchanges: [],
        };
      }
      idleFrom = Date.now();
    }
    for (let i = 0; Date.now() - idleFrom < limitMs + SLOW_GRACE_MS; i++) {
      const r = await conn.readResponse("GET", 1000);
      const after = seconds(Date.now() - idleFrom);
      const when = afterAnswer ? `${after} after its answer` : `after ${after}`;
      if (r.kind === "response")
        j = judgement("pass", `answered ${r.response.head.status} ${when}`);
      else if (r.kind === "closed") j = judgement("pass", `closed ${when}`);
      else if (r.kind === "malformed") j = judgement("pass", `ended ${when}: ${r.message}`);
      if (j !== undefined) break;
      if (step !== undefined) conn.send(Buffer.from(step(i), "latin1"));
    }
  } finally {
    conn.destroy();
  }
  const watched = seconds(limitMs + SLOW_GRACE_MS);
  const open = afterAnswer ? `${watched} after its answer` : `after ${watched}`;
  return {
    ...(j ?? judgement("warn", `still open ${open}: ${quiet} ${seconds(limitMs)}`)),
    exchanges: [],
  };
}

export const slowProbes: readonly Probe[] = [
  {
    id: "slow-head-trickle",
    group: G,
    level: "MAY",
    rfc: "RFC 9110 §15.5.9",
    sentence:
      "The 408 (Request Timeout) status code indicates that the server did not receive a complete request message within the time that it was prepared to wait.",
    title: "a request head trickling in, one field line a second (slowloris)",
    run: (ctx) =>
      watchSlow(
        ctx,
        `GET ${ctx.discovery.path} HTTP/1.1\r\nHost: ${ctx.host}\r\n`,
        (i) => `X-Slow-${i}: 1\r\n`,
        "a head may take longer than",
      ),
  },
  {
    id: "slow-idle-connection",
    group: G,
    level: "MAY",
    rfc: "RFC 9112 §9.5",
    sentence:
      "Servers will usually have some time-out value beyond which they will no longer maintain an inactive connection.",
    title: "a connection that sends nothing",
    run: (ctx) => watchSlow(ctx, "", undefined, "idle connections are kept longer than"),
  },
  {
    id: "slow-idle-after-response",
    group: G,
    level: "MAY",
    rfc: "RFC 9112 §9.5",
    sentence:
      "Servers will usually have some time-out value beyond which they will no longer maintain an inactive connection.",
    title: "a keep-alive connection left idle after one response",
    run: (ctx) =>
      watchSlow(ctx, request(ctx), undefined, "idle keep-alive connections are kept longer than"),
  },
];
