/**
 * Semantics probes (RFC 9110 §9, §10.1.1; RFC 9112 §9): methods, HEAD against GET, persistence
 * and closing rules for 1.0 and 1.1, pipelining order, and Expect.
 */
import { canary, request, runExchange, type Exchange, type ProbeContext } from "../exchange.js";
import {
  describe,
  desyncSeen,
  expectStatus,
  judgement,
  simpleProbe,
  status,
  type Judgement,
  type Probe,
  type ProbeOutcome,
} from "../probe.js";
import { getField } from "../wire.js";

const G = "semantics";

/** Runs one exchange and judges it with `judge` unless a desync already decided. */
async function judged(
  ctx: ProbeContext,
  id: string,
  spec: Parameters<typeof runExchange>[2],
  judge: (x: Exchange) => Judgement,
): Promise<ProbeOutcome> {
  const x = await runExchange(ctx, id, spec);
  return { ...(desyncSeen(x, ctx) ?? judge(x)), exchanges: [x] };
}

const COMPARED = ["content-type", "content-length", "etag", "last-modified", "accept-ranges"];

export const semanticsProbes: readonly Probe[] = [
  simpleProbe(G, {
    id: "method-unknown",
    level: "SHOULD",
    rfc: "RFC 9110 §9.1",
    sentence:
      "An origin server that receives a request method that is unrecognized or not implemented SHOULD respond with the 501 (Not Implemented) status code.",
    title: "FOOBAR /path",
    bytes: (ctx) => request(ctx, { method: "FOOBAR" }),
    judge: expectStatus([501], [400, 405]),
  }),
  simpleProbe(G, {
    id: "method-405-allow",
    level: "MUST",
    rfc: "RFC 9110 §15.5.6",
    sentence:
      "The origin server MUST generate an Allow header field in a 405 response containing a list of the target resource's currently supported methods.",
    title: "DELETE of a missing path (a 405 must say Allow)",
    // Never the path itself: a server that honours DELETE (WebDAV, an upload server) would
    // remove the user's file. A server without DELETE answers 405 whatever the target.
    bytes: (ctx) => request(ctx, { method: "DELETE", target: `${ctx.canaryPath}-missing` }),
    judge: (x) => {
      const r = x.responses[0];
      if (r === undefined) return judgement("FAIL", describe(x));
      if (r.head.status !== 405) return judgement("pass", `${describe(x)} (not a 405)`);
      const allow = getField(r.head, "allow");
      return allow === undefined
        ? judgement("FAIL", `${describe(x)} without Allow`)
        : judgement("pass", `${describe(x)}, Allow: ${allow}`);
    },
  }),
  simpleProbe(G, {
    id: "method-options",
    level: "SHOULD",
    rfc: "RFC 9110 §9.3.7",
    sentence:
      "A server generating a successful response to OPTIONS SHOULD send any header that might indicate optional features implemented by the server and applicable to the target resource (e.g., Allow).",
    title: "OPTIONS /path",
    bytes: (ctx) => request(ctx, { method: "OPTIONS" }),
    judge: (x) => {
      const r = x.responses[0];
      if (r === undefined) return judgement("FAIL", describe(x));
      const s = r.head.status;
      if (s >= 200 && s < 300) {
        const allow = getField(r.head, "allow");
        return allow === undefined
          ? judgement("FAIL", `${describe(x)} without Allow`)
          : judgement("pass", `${describe(x)}, Allow: ${allow}`);
      }
      return judgement("warn", `${describe(x)} (OPTIONS not implemented)`);
    },
  }),
  {
    id: "head-like-get",
    group: G,
    level: "SHOULD",
    rfc: "RFC 9110 §9.3.2",
    sentence:
      "The server SHOULD send the same header fields in response to a HEAD request as it would have sent if the request method had been GET.",
    title: "HEAD and GET of the path (two connections), fields compared",
    async run(ctx, id) {
      const x = await runExchange(ctx, id, { send: [request(ctx, { method: "HEAD" })] });
      const y = await runExchange(ctx, id, { send: [request(ctx)] });
      const d = desyncSeen(x, ctx) ?? desyncSeen(y, ctx);
      if (d !== undefined) return { ...d, exchanges: [x, y] };
      const [head, get] = [x.responses[0], y.responses[0]];
      if (head === undefined || get === undefined) {
        return {
          ...judgement("FAIL", `HEAD: ${describe(x)}; GET: ${describe(y)}`),
          exchanges: [x, y],
        };
      }
      const differ = COMPARED.filter((f) => getField(head.head, f) !== getField(get.head, f));
      if (head.head.status !== get.head.status) differ.unshift("status");
      const seen = `HEAD: ${describe(x)}; GET: ${describe(y)}`;
      const j =
        differ.length === 0
          ? judgement("pass", `${seen}; same ${COMPARED.join(", ")}`)
          : judgement("FAIL", `${seen}; HEAD and GET differ in ${differ.join(", ")}`);
      return { ...j, exchanges: [x, y] };
    },
  },
  simpleProbe(G, {
    id: "head-no-content",
    level: "MUST",
    rfc: "RFC 9110 §9.3.2",
    sentence:
      "The HEAD method is identical to GET except that the server MUST NOT send content in the response.",
    title: "HEAD /path, then the connection's next answer",
    bytes: (ctx) => request(ctx, { method: "HEAD" }),
    // Content after the head shows up as bytes that are not a response (desyncSeen).
    judge: (x) =>
      status(x) === undefined ? judgement("FAIL", describe(x)) : judgement("pass", describe(x)),
  }),
  {
    id: "keep-alive-http11",
    group: G,
    level: "MUST",
    rfc: "RFC 9112 §9.3",
    sentence:
      'A server that does not support persistent connections MUST send the "close" connection option in every response message that does not have a 1xx (Informational) status code.',
    title: "HTTP/1.1 GET without Connection: close",
    run: (ctx, id) =>
      judged(ctx, id, { send: [request(ctx)] }, (x) => {
        const r = x.responses[0];
        if (r === undefined) return judgement("FAIL", describe(x));
        // An HTTP/1.0 response without keep-alive says the connection closes (RFC 9112 §9.3).
        const close =
          /(^|,)\s*close\s*(,|$)/i.test(getField(r.head, "connection") ?? "") ||
          (r.head.version === 10 && !/keep-alive/i.test(getField(r.head, "connection") ?? ""));
        if (x.after === "closed" && !close) {
          return judgement("FAIL", `${describe(x)} without Connection: close`);
        }
        return close
          ? judgement("warn", `${describe(x)} (it closes after each response: no persistence)`)
          : judgement("pass", describe(x));
      }),
  },
  {
    id: "connection-close",
    group: G,
    level: "MUST",
    rfc: "RFC 9112 §9.6",
    sentence:
      'A server that receives a "close" connection option MUST initiate closure of the connection (see below) after it sends the final response to the request that contained the "close" connection option.',
    title: "HTTP/1.1 GET with Connection: close",
    run: (ctx, id) =>
      judged(ctx, id, { send: [request(ctx, { fields: ["Connection: close"] })] }, (x) => {
        if (status(x) === undefined) return judgement("FAIL", describe(x));
        return x.after === "closed"
          ? judgement("pass", describe(x))
          : judgement("FAIL", `${describe(x)}: it answered the next request too`);
      }),
  },
  simpleProbe(G, {
    id: "connection-close-pipelined",
    level: "MUST",
    rfc: "RFC 9112 §9.6",
    sentence:
      'A server that sends a "close" connection option MUST initiate closure of the connection (see below) after it sends the response containing "close". The server MUST NOT process any further requests received on that connection.',
    title: "GET with Connection: close and a request behind it in the same write",
    bytes: (ctx) => request(ctx, { fields: ["Connection: close"] }) + canary(ctx),
    // The canary, if answered, is an extra answer: desyncSeen fails the probe.
    judge: (x) => {
      if (status(x) === undefined) return judgement("FAIL", describe(x));
      return x.after === "closed"
        ? judgement("pass", describe(x))
        : judgement("FAIL", `${describe(x)}: it went on after Connection: close`);
    },
  }),
  {
    id: "http10-close",
    group: G,
    level: "MUST",
    rfc: "RFC 9112 §9.3",
    sentence:
      'If the received protocol is HTTP/1.0, the "keep-alive" connection option is present, ... the connection will persist after the current response; otherwise, the connection will close after the current response.',
    title: "HTTP/1.0 GET without keep-alive",
    run: (ctx, id) =>
      judged(ctx, id, { send: [request(ctx, { version: "HTTP/1.0" })], version: "1.0" }, (x) => {
        if (status(x) === undefined) return judgement("FAIL", describe(x));
        return x.after === "closed"
          ? judgement("pass", describe(x))
          : judgement("FAIL", `${describe(x)}: it kept an HTTP/1.0 connection without keep-alive`);
      }),
  },
  {
    id: "http10-keep-alive",
    group: G,
    level: "MAY",
    rfc: "RFC 9112 §C.2.2",
    sentence:
      'A server ... that wishes to honor the HTTP/1.0 "keep-alive" mechanism ... the connection will persist after the current response.',
    title: "HTTP/1.0 GET with Connection: keep-alive",
    run: (ctx, id) =>
      judged(
        ctx,
        id,
        {
          send: [request(ctx, { version: "HTTP/1.0", fields: ["Connection: keep-alive"] })],
          version: "1.0",
        },
        (x) => {
          const r = x.responses[0];
          if (r === undefined) return judgement("FAIL", describe(x));
          const says = /keep-alive/i.test(getField(r.head, "connection") ?? "");
          if (x.after === "open" && !says) {
            return judgement(
              "FAIL",
              `${describe(x)} without Connection: keep-alive (a 1.0 client closes)`,
            );
          }
          return judgement("pass", describe(x));
        },
      ),
  },
  {
    id: "pipeline-order",
    group: G,
    level: "MUST",
    rfc: "RFC 9112 §9.3.2",
    sentence:
      "A server MAY process a sequence of pipelined requests in parallel if they all have safe methods, but it MUST send the corresponding responses in the same order that the requests were received.",
    title: "GET, HEAD, GET of a missing path, pipelined in one write",
    run: (ctx, id) =>
      judged(
        ctx,
        id,
        {
          send: [
            request(ctx) +
              request(ctx, { method: "HEAD" }) +
              request(ctx, { target: `${ctx.canaryPath}-missing` }),
          ],
          methods: ["GET", "HEAD", "GET"],
        },
        (x) => {
          const got = x.responses.map((r) => r.head.status);
          const base = ctx.discovery.status;
          const missing = ctx.discovery.missingStatus;
          const ok = got.length === 3 && got[0] === base && got[1] === base && got[2] === missing;
          const last = x.responses.at(-1);
          const saidClose =
            last !== undefined &&
            (last.head.version === 10 || /close/i.test(getField(last.head, "connection") ?? ""));
          if (
            !ok &&
            x.stop === "closed" &&
            saidClose &&
            got.every((s, i) => s === [base, base][i])
          ) {
            return judgement(
              "warn",
              `${describe(x)} (it closes after each response: no pipelining)`,
            );
          }
          return ok
            ? judgement("pass", describe(x))
            : judgement(
                "FAIL",
                `${describe(x)} (${base}, ${base}, ${missing} expected in that order)`,
              );
        },
      ),
  },
  {
    id: "expect-100-continue",
    group: G,
    level: "MAY",
    rfc: "RFC 9110 §10.1.1",
    sentence:
      "A client that sends a 100-continue expectation is not required to wait for any specific length of time; such a client MAY proceed to send the content even if it has not yet received a response.",
    title: "Expect: 100-continue, content withheld for 1 s",
    run: (ctx, id) =>
      judged(
        ctx,
        id,
        {
          send: [
            request(ctx, { fields: ["Expect: 100-continue", "Content-Length: 5"] }),
            1000,
            "hello",
          ],
        },
        (x) => {
          const r = x.responses[0];
          if (r === undefined) return judgement("FAIL", describe(x));
          if (x.early) return judgement("pass", `${describe(x)} (answered within 1 s)`);
          return judgement("warn", `${describe(x)} (silent for 1 s: clients wait before sending)`);
        },
      ),
  },
  simpleProbe(G, {
    id: "expect-http10-ignored",
    level: "MUST",
    rfc: "RFC 9110 §10.1.1",
    sentence:
      "A server that receives a 100-continue expectation in an HTTP/1.0 request MUST ignore that expectation.",
    title: "HTTP/1.0 with Expect: 100-continue and its content",
    version: "1.0",
    bytes: (ctx) =>
      request(ctx, {
        version: "HTTP/1.0",
        fields: ["Expect: 100-continue", "Content-Length: 5"],
        body: "hello",
      }),
    judge: (x) => {
      const r = x.responses[0];
      if (r === undefined) return judgement("FAIL", describe(x));
      return r.interim.some((h) => h.status === 100)
        ? judgement("FAIL", `${describe(x)}: 100 Continue sent to an HTTP/1.0 client`)
        : judgement("pass", describe(x));
    },
  }),
  simpleProbe(G, {
    id: "expect-unknown",
    level: "MAY",
    rfc: "RFC 9110 §10.1.1",
    sentence:
      "A server that receives an Expect field value containing a member other than 100-continue MAY respond with a 417 (Expectation Failed) status code to indicate that the unexpected expectation cannot be met.",
    title: "Expect: tcpkit-check",
    bytes: (ctx) => request(ctx, { fields: ["Expect: tcpkit-check"] }),
    judge: (x, ctx) => {
      const s = status(x);
      if (s === 417 || s === ctx.discovery.status) return judgement("pass", describe(x));
      return judgement(s === undefined ? "FAIL" : "warn", describe(x));
    },
  }),
];
