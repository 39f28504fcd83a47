/**
 * Desync probes: a complete request for the canary path hidden where only a desynchronised
 * parser would read a request. CL.0 and TE.0 (content the server ignores for some methods or
 * answers), 0.CL (content arriving after an early response), Expect: 100-continue with the
 * content sent at once or late, and an invalid request pipelined after a valid one. A probe fails
 * when the canary (or anything else nobody sent) is answered: see desyncSeen.
 */
import { canary, request, runExchange, type ProbeContext } from "../exchange.js";
import {
  closesAfter,
  describe,
  desyncSeen,
  exchangeProbe,
  judgement,
  simpleProbe,
  status,
  type Judge,
  type Probe,
} from "../probe.js";
import { RFC9112_2_2_BAD_MESSAGE, RFC9112_6_1_CL_TE } from "./sentences.js";

const G = "desync";

const FRAMING_BY_METHOD = {
  rfc: "RFC 9110 §9.3.1",
  sentence:
    "Although request message framing is independent of the method used, content received in a GET request has no generally defined semantics, cannot alter the meaning or target of the request, and might lead some implementations to reject the request and close the connection because of its potential as a request smuggling attack.",
} as const;

const CL_DEFINES_LENGTH = {
  rfc: "RFC 9112 §6.3",
  sentence:
    "If a valid Content-Length header field is present without Transfer-Encoding, its decimal value defines the expected message body length in octets.",
} as const;

const CHUNKED_DEFINES_LENGTH = {
  rfc: "RFC 9112 §6.3",
  sentence:
    "If a Transfer-Encoding header field is present and the chunked transfer coding is the final encoding, the message body length is determined by reading and decoding the chunked data until the transfer coding indicates the data is complete.",
} as const;

/** Any answer passes (the desync check has already run); silence fails. */
const answered: Judge = (x) => {
  const s = status(x);
  if (s !== undefined || x.stop === "closed") {
    const early = x.early ? " (a response began before the content was sent)" : "";
    return judgement("pass", `${describe(x)}${early}`);
  }
  return judgement("FAIL", describe(x));
};

/** `method target` carrying the canary as Content-Length-framed content. */
function withCanary(
  ctx: ProbeContext,
  o: { method?: string; target?: string; version?: string; fields?: readonly string[] },
): string {
  const body = canary(ctx);
  return request(ctx, {
    ...o,
    fields: [...(o.fields ?? []), `Content-Length: ${body.length}`],
    body,
  });
}

/** The canary as the data of one chunk. */
function chunkedCanary(ctx: ProbeContext, method: string): string {
  const c = canary(ctx);
  return request(ctx, {
    method,
    fields: ["Transfer-Encoding: chunked"],
    body: `${c.length.toString(16)}\r\n${c}\r\n0\r\n\r\n`,
  });
}

const missing = (ctx: ProbeContext): string => `${ctx.canaryPath}-missing`;

function cl0(
  id: string,
  title: string,
  build: (ctx: ProbeContext) => string,
  version?: "1.0",
  sentence: { rfc: string; sentence: string } = CL_DEFINES_LENGTH,
): Probe {
  return simpleProbe(G, {
    id,
    level: "MUST",
    ...sentence,
    title,
    bytes: build,
    judge: answered,
    ...(version === undefined ? {} : { version }),
  });
}

export const desyncProbes: readonly Probe[] = [
  cl0(
    "desync-cl0-get",
    "GET whose content is a request",
    (ctx) => withCanary(ctx, {}),
    undefined,
    FRAMING_BY_METHOD,
  ),
  cl0("desync-cl0-head", "HEAD whose content is a request", (ctx) =>
    withCanary(ctx, { method: "HEAD" }),
  ),
  cl0("desync-cl0-post", "POST whose content is a request", (ctx) =>
    withCanary(ctx, { method: "POST" }),
  ),
  cl0("desync-cl0-options", "OPTIONS whose content is a request", (ctx) =>
    withCanary(ctx, { method: "OPTIONS" }),
  ),
  cl0("desync-cl0-404", "GET of a missing path whose content is a request", (ctx) =>
    withCanary(ctx, { target: missing(ctx) }),
  ),
  cl0(
    "desync-cl0-http10",
    "HTTP/1.0 keep-alive GET whose content is a request",
    (ctx) => withCanary(ctx, { version: "HTTP/1.0", fields: ["Connection: keep-alive"] }),
    "1.0",
  ),
  {
    ...cl0("desync-cl0-redirect", "GET of a folder without its slash, content a request", (ctx) =>
      withCanary(ctx, { target: ctx.discovery.folder ?? ctx.discovery.path }),
    ),
    needs: (d) => (d.folder === undefined ? "no folder found to redirect" : undefined),
  },
  simpleProbe(G, {
    id: "desync-te0-get",
    level: "MUST",
    ...CHUNKED_DEFINES_LENGTH,
    title: "GET whose chunked content is a request",
    bytes: (ctx) => chunkedCanary(ctx, "GET"),
    judge: answered,
  }),
  simpleProbe(G, {
    id: "desync-te0-options",
    level: "MUST",
    ...CHUNKED_DEFINES_LENGTH,
    title: "OPTIONS whose chunked content is a request",
    bytes: (ctx) => chunkedCanary(ctx, "OPTIONS"),
    judge: answered,
  }),
  simpleProbe(G, {
    id: "desync-te0-post",
    level: "MUST",
    ...CHUNKED_DEFINES_LENGTH,
    title: "POST whose chunked content is a request",
    bytes: (ctx) => chunkedCanary(ctx, "POST"),
    judge: answered,
  }),
  simpleProbe(G, {
    id: "desync-te-cl",
    level: "MUST",
    ...RFC9112_6_1_CL_TE,
    title: "chunked content of 5 bytes, Content-Length: 3, a request behind",
    bytes: (ctx) =>
      request(ctx, {
        fields: ["Transfer-Encoding: chunked", "Content-Length: 3"],
        body: `0\r\n\r\n${canary(ctx)}`,
      }),
    judge: closesAfter(),
  }),
  exchangeProbe(G, {
    id: "desync-0cl-early-response",
    level: "MUST",
    ...CL_DEFINES_LENGTH,
    title: "head of a GET for a missing path, content (a request) 0.5 s later",
    spec: (ctx) => {
      const full = withCanary(ctx, { target: missing(ctx) });
      const split = full.indexOf("\r\n\r\n") + 4;
      return { send: [full.slice(0, split), 500, full.slice(split)] };
    },
    judge: answered,
  }),
  cl0("desync-expect-content-at-once", "Expect: 100-continue, content (a request) at once", (ctx) =>
    withCanary(ctx, { fields: ["Expect: 100-continue"] }),
  ),
  cl0("desync-expect-obfuscated", "Expect: y 100-continue, content (a request) at once", (ctx) =>
    withCanary(ctx, { fields: ["Expect: y 100-continue"] }),
  ),
  exchangeProbe(G, {
    id: "desync-expect-content-late",
    level: "MUST",
    ...CL_DEFINES_LENGTH,
    title: "Expect: 100-continue, content (a request) after 0.5 s",
    spec: (ctx) => {
      const full = withCanary(ctx, { fields: ["Expect: 100-continue"] });
      const split = full.indexOf("\r\n\r\n") + 4;
      return { send: [full.slice(0, split), 500, full.slice(split)] };
    },
    judge: answered,
  }),
  {
    id: "desync-pipeline-invalid",
    group: G,
    level: "SHOULD",
    ...RFC9112_2_2_BAD_MESSAGE,
    title: "a valid GET, then an invalid request, pipelined",
    async run(ctx, id) {
      const x = await runExchange(ctx, id, {
        send: [request(ctx) + request(ctx, { fields: ["Content-Length: abc"], body: "hello" })],
        methods: ["GET", "GET"],
      });
      const d = desyncSeen(x, ctx);
      if (d !== undefined) return { ...d, exchanges: [x] };
      const [first, second] = [status(x, 0), status(x, 1)];
      let j;
      if (first !== ctx.discovery.status)
        j = judgement("FAIL", `${describe(x)} (the valid request first)`);
      else if (second === 400 && x.after !== "open") j = judgement("pass", describe(x));
      else if (second === undefined && x.stop === "closed")
        j = judgement("warn", `${describe(x)} (400 expected)`);
      else j = judgement("FAIL", `${describe(x)} (400 and close expected for the second)`);
      return { ...j, exchanges: [x] };
    },
  },
];
