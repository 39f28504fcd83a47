/**
 * Content-Length and Transfer-Encoding probes (RFC 9112 §6): every variant that has split
 * parsers. Each request is a GET with content, since request framing is independent of the
 * method (RFC 9110 §9.3.1); a server that ignores the content of a GET shows it in the follow-up
 * request, which then starts with those bytes (see desyncSeen).
 */
import { canary, request, type ProbeContext } from "../exchange.js";
import {
  acceptsOrRejects,
  closesAfter,
  contentProbe,
  describe,
  judgement,
  refusesHugeNumber,
  rejects,
  simpleProbe,
  status,
  type Probe,
} from "../probe.js";
import {
  RFC9112_5_1_COLON,
  RFC9112_6_1_CL_TE,
  RFC9112_6_3_BAD_CL,
  RFC9112_6_3_CL_LIST,
  RFC9112_6_3_CL_VALID,
  RFC9112_6_3_TE_NOT_FINAL,
} from "./sentences.js";

const G = "framing";

/** GET with `fields` and `body`. */
const get = (ctx: ProbeContext, fields: readonly string[], body: string): string =>
  request(ctx, { fields, body });

/**
 * A Content-Length field for content that is a canary request `n` bytes long: a parser that
 * reads the value as some other number, or ignores it, answers the canary or garbles the
 * follow-up (desyncSeen).
 */
type LengthText = (n: number) => string;

/** GET whose content is the canary, with the Content-Length lines `values(n)`. */
function canaryContent(ctx: ProbeContext, values: readonly LengthText[]): string {
  const body = canary(ctx);
  return get(
    ctx,
    values.map((v) => `Content-Length: ${v(body.length)}`),
    body,
  );
}

/** An invalid Content-Length: 400, then close. */
function badLength(id: string, value: LengthText, title: string): Probe {
  return simpleProbe(G, {
    id,
    level: "MUST",
    ...RFC9112_6_3_BAD_CL,
    title: `Content-Length: ${title}, content a request of N bytes`,
    bytes: (ctx) => canaryContent(ctx, [value]),
    judge: rejects({ close: true }),
  });
}

/** Splits the digits of n with `sep` after the first: 48 -> "4_8". */
const split = (n: number, sep: string): string => `${String(n)[0]}${sep}${String(n).slice(1)}`;

/**
 * A Transfer-Encoding variant with a Content-Length that covers a chunked body and a canary
 * behind it: a server that decodes chunked must close before reading the canary (§6.1); one
 * that uses the Content-Length reads it as content and must close too.
 */
function teWithLength(ctx: ProbeContext, teLines: readonly string[], version = "HTTP/1.1"): string {
  const body = `0\r\n\r\n${canary(ctx)}`;
  return request(ctx, {
    version,
    fields: [...teLines, `Content-Length: ${body.length}`],
    body,
  });
}

/** A Transfer-Encoding whose final coding is not chunked: 400 (or 501) and close. */
function notChunked(id: string, teLines: readonly string[], title: string): Probe {
  return simpleProbe(G, {
    id,
    level: "MUST",
    ...RFC9112_6_3_TE_NOT_FINAL,
    title: `${title}, with Content-Length`,
    bytes: (ctx) => teWithLength(ctx, teLines),
    judge: rejects({ close: true, also: [501] }),
  });
}

/** A Transfer-Encoding that does end in chunked, with a Content-Length too: close after. */
function chunkedWithLength(id: string, teLines: readonly string[], title: string): Probe {
  return simpleProbe(G, {
    id,
    level: "MUST",
    ...RFC9112_6_1_CL_TE,
    title: `${title}, with Content-Length`,
    bytes: (ctx) => teWithLength(ctx, teLines),
    judge: closesAfter(),
  });
}

/** A valid but unusual Content-Length: served as that length, or refused. */
function oddLength(id: string, values: readonly LengthText[], title: string): Probe {
  return simpleProbe(G, {
    id,
    level: "MAY",
    ...RFC9112_6_3_CL_LIST,
    title: `${title}, content a request of N bytes`,
    bytes: (ctx) => canaryContent(ctx, values),
    judge: acceptsOrRejects(),
  });
}

export const framingProbes: readonly Probe[] = [
  contentProbe(G, {
    id: "cl-get-body",
    level: "MUST",
    ...RFC9112_6_3_CL_VALID,
    title: "GET with Content-Length: 5 and 5 bytes of content",
    fields: ["Content-Length: 5"],
    body: "hello",
  }),
  badLength("cl-plus", (n) => `+${n}`, "+N"),
  badLength("cl-minus", (n) => `-${n}`, "-N"),
  badLength("cl-hex", (n) => `0x${n.toString(16)}`, "N in hex with 0x"),
  badLength("cl-float", (n) => `${n}.0`, "N.0"),
  badLength("cl-letters", () => "abc", "abc"),
  badLength("cl-empty", () => "", "(empty)"),
  badLength("cl-underscore", (n) => split(n, "_"), "N with an underscore between digits"),
  badLength("cl-inner-space", (n) => split(n, " "), "N with a space between digits"),
  badLength("cl-list-different", (n) => `${n}, 5`, "N, 5"),
  badLength("cl-nul", (n) => `${n}\x00`, "N<NUL>"),
  badLength("cl-vtab", (n) => `\x0b${n}`, "<VT>N"),
  simpleProbe(G, {
    id: "cl-two-different",
    level: "MUST",
    ...RFC9112_6_3_BAD_CL,
    title: "Content-Length: N and Content-Length: 5 on two lines, content a request of N bytes",
    bytes: (ctx) => canaryContent(ctx, [(n) => String(n), () => "5"]),
    judge: rejects({ close: true }),
  }),
  simpleProbe(G, {
    id: "cl-overflow",
    level: "MUST",
    rfc: "RFC 9110 §8.6",
    sentence:
      "A recipient MUST anticipate potentially large decimal numerals and prevent parsing errors due to integer conversion overflows or precision loss due to integer conversion.",
    title: "Content-Length: 18446744073709551621 (2^64 + 5)",
    bytes: (ctx) => get(ctx, ["Content-Length: 18446744073709551621"], "hello"),
    judge: refusesHugeNumber("length"),
    contentCut: true,
  }),
  simpleProbe(G, {
    id: "cl-space-before-colon",
    level: "MUST",
    ...RFC9112_5_1_COLON,
    title: "Content-Length : 5",
    bytes: (ctx) => get(ctx, ["Content-Length : 5"], "hello"),
    judge: rejects(),
  }),
  oddLength("cl-leading-zeros", [(n) => `00${n}`], "Content-Length: 00N (valid: 1*DIGIT)"),
  oddLength("cl-list-same", [(n) => `${n}, ${n}`], "Content-Length: N, N"),
  oddLength("cl-two-same", [(n) => String(n), (n) => String(n)], "Content-Length: N on two lines"),
  oddLength("cl-trailing-space", [(n) => `${n} `], "Content-Length: 'N ' (trailing OWS)"),
  chunkedWithLength("te-with-cl", ["Transfer-Encoding: chunked"], "Transfer-Encoding: chunked"),
  simpleProbe(G, {
    id: "te-after-cl",
    level: "MUST",
    ...RFC9112_6_1_CL_TE,
    title: "Content-Length, then Transfer-Encoding: chunked (the other order)",
    bytes: (ctx) => {
      const body = `0\r\n\r\n${canary(ctx)}`;
      return get(ctx, [`Content-Length: ${body.length}`, "Transfer-Encoding: chunked"], body);
    },
    judge: closesAfter(),
  }),
  chunkedWithLength("te-uppercase", ["Transfer-Encoding: CHUNKED"], "Transfer-Encoding: CHUNKED"),
  chunkedWithLength("te-trailing-space", ["Transfer-Encoding: chunked "], "'chunked ' (OWS)"),
  chunkedWithLength("te-leading-comma", ["Transfer-Encoding: , chunked"], "', chunked'"),
  chunkedWithLength("te-leading-tab", ["Transfer-Encoding:\tchunked"], "HTAB before chunked"),
  chunkedWithLength("te-nul", ["Transfer-Encoding: chunked\x00"], "chunked<NUL>"),
  chunkedWithLength("te-obs-fold", ["Transfer-Encoding:", " chunked"], "chunked folded"),
  chunkedWithLength("te-gzip-chunked", ["Transfer-Encoding: gzip, chunked"], "gzip, chunked"),
  notChunked("te-xchunked", ["Transfer-Encoding: xchunked"], "xchunked"),
  notChunked("te-chunked-identity", ["Transfer-Encoding: chunked, identity"], "chunked, identity"),
  notChunked("te-identity", ["Transfer-Encoding: identity"], "identity"),
  notChunked("te-empty", ["Transfer-Encoding: "], "an empty Transfer-Encoding"),
  notChunked("te-quoted", ['Transfer-Encoding: "chunked"'], '"chunked" in quotes'),
  notChunked("te-vtab", ["Transfer-Encoding: \x0bchunked"], "<VT>chunked"),
  notChunked(
    "te-two-lines",
    ["Transfer-Encoding: chunked", "Transfer-Encoding: identity"],
    "chunked, then identity on a second line",
  ),
  simpleProbe(G, {
    id: "te-chunked-twice",
    level: "SHOULD",
    rfc: "RFC 9112 §6.1",
    sentence:
      "A sender MUST NOT apply the chunked transfer coding more than once to a message body (i.e., chunking an already chunked message is not allowed).",
    title: "Transfer-Encoding: chunked, chunked, with Content-Length",
    bytes: (ctx) => teWithLength(ctx, ["Transfer-Encoding: chunked, chunked"]),
    judge: rejects({ close: true, also: [501] }),
  }),
  simpleProbe(G, {
    id: "te-chunked-parameter",
    level: "SHOULD",
    rfc: "RFC 9112 §7",
    sentence:
      "The chunked coding does not define any parameters. Their presence SHOULD be treated as an error.",
    title: "Transfer-Encoding: chunked;foo=bar, with Content-Length",
    bytes: (ctx) => teWithLength(ctx, ["Transfer-Encoding: chunked;foo=bar"]),
    judge: rejects({ close: true, also: [501] }),
  }),
  simpleProbe(G, {
    id: "te-space-before-colon",
    level: "MUST",
    ...RFC9112_5_1_COLON,
    title: "Transfer-Encoding : chunked, with Content-Length",
    bytes: (ctx) => teWithLength(ctx, ["Transfer-Encoding : chunked"]),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "te-http10",
    level: "MUST",
    rfc: "RFC 9112 §6.1",
    sentence:
      "A server or client that receives an HTTP/1.0 message containing a Transfer-Encoding header field MUST treat the message as if the framing is faulty, even if a Content-Length is present, and close the connection after processing the message.",
    title: "HTTP/1.0 keep-alive request with Transfer-Encoding and Content-Length",
    version: "1.0",
    bytes: (ctx) =>
      teWithLength(ctx, ["Connection: keep-alive", "Transfer-Encoding: chunked"], "HTTP/1.0"),
    judge: closesAfter(),
  }),
  simpleProbe(G, {
    id: "te-unknown-coding",
    level: "SHOULD",
    rfc: "RFC 9112 §6.1",
    sentence:
      "A server that receives a request message with a transfer coding it does not understand SHOULD respond with 501 (Not Implemented).",
    title: "Transfer-Encoding: foo, chunked",
    bytes: (ctx) => get(ctx, ["Transfer-Encoding: foo, chunked"], "0\r\n\r\n"),
    judge: (x, ctx) => {
      const s = status(x);
      if (s === 501) return judgement("pass", describe(x));
      if (s === 400) return judgement("warn", `${describe(x)} (501 expected)`);
      return rejects({ also: [501] })(x, ctx);
    },
  }),
];
