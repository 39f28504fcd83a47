/**
 * Range probes (RFC 9110 §14, §13.1.5): single, suffix and open ranges checked byte for byte
 * against the full representation, multiple ranges, 416 with `bytes *\/LEN`, If-Range, unknown
 * units, and many overlapping ranges (an amplification attack).
 */
import { request, runExchange, type ProbeContext } from "../exchange.js";
import {
  describe,
  desyncSeen,
  expectStatus,
  judgement,
  simpleProbe,
  type Judge,
  type Judgement,
  type Probe,
} from "../probe.js";
import type { SeenResponse } from "../probe-connection.js";
import type { Discovery } from "../types.js";
import { getField } from "../wire.js";

const G = "ranges";

const needsRanges = (d: Discovery): string | undefined =>
  !d.ranges
    ? "the server ignores Range on the path"
    : d.length === undefined || d.length < 3
      ? "the path is shorter than 3 bytes"
      : undefined;

const SINGLE = {
  rfc: "RFC 9110 §15.3.7",
  sentence:
    "If a single part is being transferred, the server generating the 206 response MUST generate a Content-Range header field, describing what range of the selected representation is enclosed, and a content consisting of the range.",
} as const;

const len = (ctx: ProbeContext): number => ctx.discovery.length ?? 0;

/**
 * A range probe: GET with Range (and `fields`), then a GET of the whole path on a connection
 * of its own, so the part can be compared with the bytes it claims to be.
 */
function rangeProbe(
  id: string,
  o: {
    title: string;
    range: (ctx: ProbeContext) => string;
    fields?: (ctx: ProbeContext) => string[];
    judge: (part: SeenResponse, whole: SeenResponse, ctx: ProbeContext) => Judgement;
    rfc?: string;
    sentence?: string;
    level?: "MUST" | "SHOULD" | "MAY";
    needs?: (d: Discovery) => string | undefined;
  },
): Probe {
  return {
    id,
    group: G,
    level: o.level ?? "MUST",
    rfc: o.rfc ?? SINGLE.rfc,
    sentence: o.sentence ?? SINGLE.sentence,
    title: o.title,
    needs: o.needs ?? needsRanges,
    async run(ctx, runId) {
      const fields = [`Range: ${o.range(ctx)}`, ...(o.fields?.(ctx) ?? [])];
      const x = await runExchange(ctx, runId, { send: [request(ctx, { fields })] });
      const y = await runExchange(ctx, runId, { send: [request(ctx)] });
      const d = desyncSeen(x, ctx) ?? desyncSeen(y, ctx);
      if (d !== undefined) return { ...d, exchanges: [x, y] };
      const [part, whole] = [x.responses[0], y.responses[0]];
      if (part === undefined || whole === undefined) {
        return {
          ...judgement("FAIL", `${describe(x)}; the whole: ${describe(y)}`),
          exchanges: [x, y],
        };
      }
      const j = o.judge(part, whole, ctx);
      return { ...j, observed: `${describe(x)}; ${j.observed}`, exchanges: [x, y] };
    },
  };
}

/**
 * 206 with `Content-Range: bytes FIRST-LAST/LEN` and exactly those bytes of the whole. The whole
 * representation instead warns ("A server MAY ignore the Range header field", RFC 9110 §14.2),
 * unless `mustServe` (If-Range with a matching validator, RFC 9110 §13.1.5).
 */
function exactPart(first: (n: number) => number, last: (n: number) => number, mustServe = false) {
  return (part: SeenResponse, whole: SeenResponse, ctx: ProbeContext): Judgement => {
    const n = len(ctx);
    const [a, b] = [first(n), last(n)];
    if (part.head.status === ctx.discovery.status && !mustServe) {
      return judgement("warn", "the range was ignored, the whole sent (allowed; 206 expected)");
    }
    if (part.head.status !== 206) return judgement("FAIL", "206 expected");
    const cr = getField(part.head, "content-range");
    const want = `bytes ${a}-${b}/${n}`;
    if (cr !== want) return judgement("FAIL", `Content-Range: ${cr ?? "(none)"}, ${want} expected`);
    if (part.bodyLength !== b - a + 1) {
      return judgement("FAIL", `${part.bodyLength} bytes of content, ${b - a + 1} expected`);
    }
    const expected = whole.body.subarray(a, b + 1);
    const got = part.body.subarray(0, expected.length);
    if (a < whole.body.length && !got.equals(expected)) {
      return judgement("FAIL", "the part's bytes differ from those bytes of the whole");
    }
    return judgement("pass", want);
  };
}

const IF_RANGE = {
  rfc: "RFC 9110 §13.1.5",
  sentence:
    "If the validator given in the If-Range header field matches the current validator for the selected representation of the target resource, then the server SHOULD process the Range header field as requested. If the validator does not match, then the server MUST ignore the Range header field.",
} as const;

const wholeServed: Judge = (x, ctx) => expectStatus([ctx.discovery.status])(x, ctx);

export const rangeProbes: readonly Probe[] = [
  rangeProbe("range-first-byte", {
    title: "Range: bytes=0-0",
    range: () => "bytes=0-0",
    judge: exactPart(
      () => 0,
      () => 0,
    ),
  }),
  rangeProbe("range-suffix", {
    title: "Range: bytes=-1 (the last byte)",
    range: () => "bytes=-1",
    judge: exactPart(
      (n) => n - 1,
      (n) => n - 1,
    ),
  }),
  rangeProbe("range-open", {
    title: "Range: bytes=1- (all but the first byte)",
    range: () => "bytes=1-",
    judge: exactPart(
      () => 1,
      (n) => n - 1,
    ),
  }),
  rangeProbe("range-last-beyond-end", {
    rfc: "RFC 9110 §14.1.2",
    sentence:
      "If the last-pos value is absent, or if the value is greater than or equal to the current length of the representation data, the byte range is interpreted as the remainder of the representation.",
    title: "Range: bytes=0-(length + 1000)",
    range: (ctx) => `bytes=0-${len(ctx) + 1000}`,
    judge: exactPart(
      () => 0,
      (n) => n - 1,
    ),
  }),
  rangeProbe("range-multiple", {
    rfc: "RFC 9110 §15.3.7.2",
    sentence:
      'If multiple parts are being transferred, the server generating the 206 response MUST generate "multipart/byteranges" content, as defined in Section 14.6.',
    title: "Range: bytes=0-0,2-2",
    range: () => "bytes=0-0,2-2",
    judge: (part, whole, ctx) => {
      if (part.head.status === ctx.discovery.status)
        return judgement("pass", "ranges ignored (allowed)");
      if (part.head.status !== 206) return judgement("FAIL", "206 or 200 expected");
      const type = getField(part.head, "content-type") ?? "";
      if (/^multipart\/byteranges\s*;/i.test(type)) return judgement("pass", type);
      const cr = getField(part.head, "content-range");
      if (cr === "bytes 0-2/" + len(ctx)) return judgement("pass", `coalesced into ${cr}`);
      // One of the two ranges alone, as a single part, is allowed: "a server might want to send
      // only a subset of the data requested for reasons of its own ... Since a 206 response is
      // self-descriptive, the client can still understand" it (RFC 9110 §15.3.7).
      const at = cr === `bytes 0-0/${len(ctx)}` ? 0 : cr === `bytes 2-2/${len(ctx)}` ? 2 : -1;
      if (at >= 0 && part.bodyLength === 1 && part.body[0] === whole.body[at]) {
        return judgement("warn", `only ${cr} of the two ranges (a subset: allowed)`);
      }
      return judgement("FAIL", `Content-Type: ${type}, Content-Range: ${cr ?? "(none)"}`);
    },
  }),
  simpleProbe(G, {
    id: "range-unsatisfiable",
    level: "SHOULD",
    rfc: "RFC 9110 §15.5.17",
    sentence:
      "When this status code is generated in response to a byte-range request, the sender SHOULD generate a Content-Range header field specifying the current length of the selected representation.",
    title: "Range: bytes=LENGTH- (starts past the end)",
    needs: needsRanges,
    bytes: (ctx) => request(ctx, { fields: [`Range: bytes=${len(ctx)}-`] }),
    judge: (x, ctx) => {
      const r = x.responses[0];
      if (r === undefined) return judgement("FAIL", describe(x));
      if (r.head.status === ctx.discovery.status) {
        return judgement("warn", `${describe(x)} (the range was ignored; 416 expected)`);
      }
      if (r.head.status !== 416) return judgement("FAIL", `${describe(x)} (416 expected)`);
      const cr = getField(r.head, "content-range");
      return cr === `bytes */${len(ctx)}`
        ? judgement("pass", `${describe(x)}, Content-Range: ${cr}`)
        : judgement("FAIL", `${describe(x)}, Content-Range: ${cr ?? "(none)"}`);
    },
  }),
  simpleProbe(G, {
    id: "range-reversed",
    level: "MAY",
    rfc: "RFC 9110 §14.2",
    sentence:
      "A server that supports range requests MAY ignore or reject a Range header field that contains an invalid ranges-specifier.",
    title: "Range: bytes=2-1",
    needs: needsRanges,
    bytes: (ctx) => request(ctx, { fields: ["Range: bytes=2-1"] }),
    judge: (x, ctx) => expectStatus([ctx.discovery.status, 416, 400])(x, ctx),
  }),
  simpleProbe(G, {
    id: "range-unknown-unit",
    level: "MUST",
    rfc: "RFC 9110 §14.2",
    sentence:
      "An origin server MUST ignore a Range header field that contains a range unit it does not understand.",
    title: "Range: items=0-0",
    needs: needsRanges,
    bytes: (ctx) => request(ctx, { fields: ["Range: items=0-0"] }),
    judge: wholeServed,
  }),
  simpleProbe(G, {
    id: "range-overlapping-many",
    level: "MAY",
    rfc: "RFC 9110 §14.2",
    sentence:
      "A server that supports range requests MAY ignore or reject a Range header field that contains ... a ranges-specifier with more than two overlapping ranges, or a set of many small ranges that are not listed in ascending order, since these are indications of either a broken client or a deliberate denial-of-service attack.",
    title: "Range: bytes=0-,0-,... (64 whole-file ranges)",
    needs: needsRanges,
    bytes: (ctx) => request(ctx, { fields: [`Range: bytes=${Array(64).fill("0-").join(",")}`] }),
    judge: (x, ctx) => {
      const r = x.responses[0];
      if (r === undefined) return judgement("FAIL", describe(x));
      if (r.bodyLength > 2 * len(ctx) + 4096) {
        return judgement(
          "warn",
          `${describe(x)}: ${r.bodyLength} bytes for a ${len(ctx)}-byte file`,
        );
      }
      return judgement("pass", `${describe(x)}, ${r.bodyLength} bytes`);
    },
  }),
  rangeProbe("range-if-range-match", {
    ...IF_RANGE,
    level: "SHOULD",
    title: "Range: bytes=0-0 with If-Range: the path's ETag",
    needs: (d) =>
      needsRanges(d) ??
      (d.etag === undefined || d.etag.startsWith("W/") ? "the path has no strong ETag" : undefined),
    range: () => "bytes=0-0",
    fields: (ctx) => [`If-Range: ${ctx.discovery.etag ?? ""}`],
    judge: exactPart(
      () => 0,
      () => 0,
      true,
    ),
  }),
  simpleProbe(G, {
    id: "range-if-range-other",
    level: "MUST",
    ...IF_RANGE,
    title: 'Range: bytes=0-0 with If-Range: "other"',
    needs: needsRanges,
    bytes: (ctx) => request(ctx, { fields: ["Range: bytes=0-0", 'If-Range: "tcpkit-other"'] }),
    judge: wholeServed,
  }),
  simpleProbe(G, {
    id: "range-if-range-weak",
    level: "MUST",
    rfc: "RFC 9110 §13.1.5",
    sentence:
      "An origin server MUST use the strong comparison function when comparing entity tags for If-Range (Section 8.8.3.2).",
    title: "Range: bytes=0-0 with If-Range: W/ plus the ETag",
    needs: (d) => needsRanges(d) ?? (d.etag === undefined ? "the path has no ETag" : undefined),
    bytes: (ctx) =>
      request(ctx, {
        fields: [
          "Range: bytes=0-0",
          `If-Range: W/${(ctx.discovery.etag ?? "").replace(/^W\//, "")}`,
        ],
      }),
    judge: wholeServed,
  }),
];
