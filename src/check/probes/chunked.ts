/**
 * Chunked-body probes (RFC 9112 §7.1): size lines, extensions, the CRLF after chunk data, and
 * trailers that try to carry framing. Includes the 2024-2025 "funky chunks" cases (bare LF in an
 * extension, two arbitrary bytes taken as the CRLF after chunk data, quoted strings across lines).
 */
import { request, type ProbeContext } from "../exchange.js";
import {
  acceptsOrRejects,
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
  RFC9112_2_2_BAD_MESSAGE,
  RFC9112_2_2_BARE_CR,
  RFC9112_2_2_BARE_LF,
  RFC9112_7_1_DECODE,
} from "./sentences.js";

const G = "chunked";
const chunked = (ctx: ProbeContext, body: string): string =>
  request(ctx, { fields: ["Transfer-Encoding: chunked"], body });

/** Malformed chunked content: 400 and close. */
function badChunks(id: string, body: string, title: string): Probe {
  return simpleProbe(G, {
    id,
    level: "SHOULD",
    ...RFC9112_2_2_BAD_MESSAGE,
    title,
    bytes: (ctx) => chunked(ctx, body),
    judge: rejects({ close: true }),
  });
}

/** Valid chunked content the server must decode. */
function goodChunks(
  id: string,
  body: string,
  title: string,
  sentence: { rfc: string; sentence: string } = RFC9112_7_1_DECODE,
): Probe {
  return contentProbe(G, {
    id,
    level: "MUST",
    ...sentence,
    title,
    fields: ["Transfer-Encoding: chunked"],
    body,
  });
}

/** A bare LF where CRLF belongs: allowed, but a known way for two parsers to disagree. */
function bareLf(id: string, body: string, title: string): Probe {
  return simpleProbe(G, {
    id,
    level: "MAY",
    ...RFC9112_2_2_BARE_LF,
    title,
    bytes: (ctx) => chunked(ctx, body),
    judge: acceptsOrRejects({
      riskyIfAccepted: "parsers that disagree on bare LF in chunked framing can be desynchronised",
    }),
  });
}

/** A trailer field that would change framing or routing must not: any answer but silence. */
function trailer(id: string, field: string): Probe {
  return simpleProbe(G, {
    id,
    level: "MUST",
    rfc: "RFC 9110 §6.5.1",
    sentence:
      "A recipient MUST NOT merge a received trailer field into the header section unless its corresponding header field definition explicitly permits and instructs how the trailer field value can be safely merged.",
    title: `trailer ${field}`,
    bytes: (ctx) => chunked(ctx, `5\r\nhello\r\n0\r\n${field}\r\n\r\n`),
    judge: acceptsOrRejects(),
  });
}

export const chunkedProbes: readonly Probe[] = [
  goodChunks("chunk-valid", "5\r\nhello\r\n0\r\n\r\n", "GET with a chunked body"),
  goodChunks("chunk-ext", "5;name=value\r\nhello\r\n0\r\n\r\n", "a chunk extension", {
    rfc: "RFC 9112 §7.1.1",
    sentence: "A recipient MUST ignore unrecognized chunk extensions.",
  }),
  goodChunks("chunk-ext-quoted", '5;a="b c"\r\nhello\r\n0\r\n\r\n', "a quoted chunk extension", {
    rfc: "RFC 9112 §7.1.1",
    sentence: "A recipient MUST ignore unrecognized chunk extensions.",
  }),
  goodChunks("chunk-trailer", "5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n", "a trailer field"),
  goodChunks(
    "chunk-size-uppercase-hex",
    "A\r\nhelloworld\r\n0\r\n\r\n",
    "chunk size in upper-case hex",
  ),
  badChunks("chunk-size-0x", "0x5\r\nhello\r\n0\r\n\r\n", "chunk size 0x5"),
  badChunks("chunk-size-plus", "+5\r\nhello\r\n0\r\n\r\n", "chunk size +5"),
  badChunks("chunk-size-minus", "-5\r\nhello\r\n0\r\n\r\n", "chunk size -5"),
  badChunks("chunk-size-leading-space", " 5\r\nhello\r\n0\r\n\r\n", "chunk size ' 5'"),
  badChunks(
    "chunk-size-trailing-space",
    "5 \r\nhello\r\n0\r\n\r\n",
    "chunk size '5 ' (BWS only before ';')",
  ),
  badChunks("chunk-size-underscore", "0_5\r\nhello\r\n0\r\n\r\n", "chunk size 0_5"),
  badChunks("chunk-size-empty", "\r\nhello\r\n0\r\n\r\n", "an empty chunk-size line"),
  badChunks(
    "chunk-ext-bare-semicolon",
    "5;\r\nhello\r\n0\r\n\r\n",
    "chunk extension ';' without a name",
  ),
  badChunks("chunk-missing-crlf", "5\r\nhello0\r\n\r\n", "no CRLF after chunk data"),
  badChunks("chunk-data-overrun", "5\r\nhelloXX\r\n0\r\n\r\n", "7 bytes of data in a 5-byte chunk"),
  badChunks(
    "chunk-two-bytes-for-crlf",
    "5\r\nhelloXX0\r\n\r\n",
    "'XX' where the CRLF after data belongs",
  ),
  badChunks(
    "chunk-trailer-no-colon",
    "5\r\nhello\r\n0\r\nX-Trailer\r\n\r\n",
    "a trailer line without a colon",
  ),
  simpleProbe(G, {
    id: "chunk-size-overflow",
    level: "MUST",
    rfc: "RFC 9112 §7.1",
    sentence:
      "Recipients MUST anticipate potentially large hexadecimal numerals and prevent parsing errors due to integer conversion overflows or precision loss due to integer representation.",
    title: "chunk size 10000000000000005 (2^64 + 5)",
    bytes: (ctx) => chunked(ctx, "10000000000000005\r\nhello\r\n0\r\n\r\n"),
    judge: refusesHugeNumber("chunk"),
    contentCut: true,
  }),
  simpleProbe(G, {
    id: "chunk-bare-cr",
    level: "MUST",
    ...RFC9112_2_2_BARE_CR,
    title: "chunk-size line ended by a bare CR",
    bytes: (ctx) => chunked(ctx, "5\rhello\r\n0\r\n\r\n"),
    judge: rejects({ close: true }),
  }),
  bareLf("chunk-ext-bare-lf", "5;a\nhello\r\n0\r\n\r\n", "a chunk extension ended by bare LF"),
  bareLf("chunk-data-bare-lf", "5\r\nhello\n0\r\n\r\n", "chunk data followed by bare LF"),
  bareLf("chunk-lines-bare-lf", "5\nhello\n0\n\n", "every chunk line ended by bare LF"),
  simpleProbe(G, {
    id: "chunk-ext-quoted-crlf",
    level: "SHOULD",
    ...RFC9112_2_2_BAD_MESSAGE,
    title: "a quoted chunk extension left open across CRLF",
    bytes: (ctx) => chunked(ctx, '5;a="\r\nhello\r\n0\r\n\r\n'),
    judge: (x, ctx) => {
      if (status(x) === ctx.discovery.status) {
        return judgement("warn", `${describe(x)} (accepted: extension bytes are not checked)`);
      }
      return rejects({ close: true })(x, ctx);
    },
  }),
  simpleProbe(G, {
    id: "chunk-ext-64k",
    level: "SHOULD",
    rfc: "RFC 9112 §7.1.1",
    sentence:
      "A server ought to limit the total length of chunk extensions received in a request to an amount reasonable for the services provided, in the same way that it applies length limitations and timeouts for other parts of a message, and generate an appropriate 4xx (Client Error) response if that amount is exceeded.",
    title: "a 64 KiB chunk extension",
    bytes: (ctx) => chunked(ctx, `5;a=${"x".repeat(64 * 1024)}\r\nhello\r\n0\r\n\r\n`),
    judge: (x, ctx) => {
      const s = status(x);
      if (s !== undefined && s >= 400 && s < 500) return judgement("pass", describe(x));
      if (s === ctx.discovery.status) return judgement("warn", `${describe(x)} (accepted)`);
      // A refusal that closes with our bytes unread resets, and the reset can beat the 4xx.
      if (s === undefined && x.stop === "closed") {
        return judgement("warn", `${describe(x)} (a 4xx answer is asked for)`);
      }
      return judgement("FAIL", describe(x));
    },
  }),
  trailer("chunk-trailer-content-length", "Content-Length: 100"),
  trailer("chunk-trailer-transfer-encoding", "Transfer-Encoding: chunked"),
  trailer("chunk-trailer-host", "Host: other.invalid"),
];
