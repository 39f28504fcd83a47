/**
 * Conditional-request probes (RFC 9110 §13): If-None-Match, If-Modified-Since, If-Match and
 * If-Unmodified-Since against the validators the server itself sent for the path.
 */
import { request, type ProbeContext } from "../exchange.js";
import {
  describe,
  expectStatus,
  judgement,
  simpleProbe,
  type Judge,
  type Probe,
} from "../probe.js";
import type { Discovery, Level } from "../types.js";
import { getField } from "../wire.js";

const G = "conditional";

const INM = {
  rfc: "RFC 9110 §13.1.2",
  sentence:
    "An origin server that evaluates an If-None-Match condition MUST NOT perform the requested method if the condition evaluates to false; instead, the origin server MUST respond with either a) the 304 (Not Modified) status code if the request method is GET or HEAD or b) the 412 (Precondition Failed) status code for all other request methods.",
} as const;

const needsEtag = (d: Discovery): string | undefined =>
  d.etag === undefined ? "the path has no ETag" : undefined;
const needsStrongEtag = (d: Discovery): string | undefined =>
  d.etag === undefined
    ? "the path has no ETag"
    : d.etag.startsWith("W/")
      ? "the path's ETag is weak"
      : undefined;
const needsDate = (d: Discovery): string | undefined =>
  d.lastModified === undefined ? "the path has no Last-Modified" : undefined;

const etag = (ctx: ProbeContext): string => ctx.discovery.etag ?? '""';
const strongForm = (tag: string): string => tag.replace(/^W\//, "");

/** 304, carrying the ETag a 200 would have carried (RFC 9110 §15.4.5). */
const notModified: Judge = (x, ctx) => {
  const r = x.responses[0];
  if (r === undefined) return judgement("FAIL", describe(x));
  if (r.head.status !== 304) return judgement("FAIL", `${describe(x)} (304 expected)`);
  if (ctx.discovery.etag !== undefined && getField(r.head, "etag") === undefined) {
    return judgement("FAIL", `${describe(x)} without the ETag a 200 carries`);
  }
  return judgement("pass", describe(x));
};

function conditional(
  id: string,
  o: {
    level?: Level;
    rfc?: string;
    sentence?: string;
    title: string;
    needs: (d: Discovery) => string | undefined;
    fields: (ctx: ProbeContext) => string[];
    method?: string;
    judge: Judge;
  },
): Probe {
  return simpleProbe(G, {
    id,
    level: o.level ?? "MUST",
    rfc: o.rfc ?? INM.rfc,
    sentence: o.sentence ?? INM.sentence,
    title: o.title,
    needs: o.needs,
    bytes: (ctx) => request(ctx, { method: o.method ?? "GET", fields: o.fields(ctx) }),
    judge: o.judge,
  });
}

const IMS = {
  rfc: "RFC 9110 §13.1.3",
  sentence:
    "If the selected representation's last modification date is earlier or equal to the date provided in the field value, the condition is false.",
} as const;
const IMS_IGNORE = {
  rfc: "RFC 9110 §13.1.3",
  sentence:
    "A recipient MUST ignore If-Modified-Since if the request contains an If-None-Match header field; the condition in If-None-Match is considered to be a more accurate replacement for the condition in If-Modified-Since.",
} as const;
const IMS_INVALID = {
  rfc: "RFC 9110 §13.1.3",
  sentence:
    "A recipient MUST ignore the If-Modified-Since header field if the received field value is not a valid HTTP-date, the field value has more than one member, or if the request method is neither GET nor HEAD.",
} as const;
const IM = {
  rfc: "RFC 9110 §13.1.1",
  sentence:
    "An origin server MUST NOT perform the requested method if a received If-Match condition evaluates to false.",
} as const;
const IUS = {
  rfc: "RFC 9110 §13.1.4",
  sentence:
    "An origin server that receives an If-Unmodified-Since header field without an If-Match header field MUST evaluate the condition as per Section 13.2 prior to performing the method.",
} as const;
const IUS_INVALID = {
  rfc: "RFC 9110 §13.1.4",
  sentence:
    "A recipient MUST ignore the If-Unmodified-Since header field if the received field value is not a valid HTTP-date (including when the field value appears to be a list of dates).",
} as const;

/** The full representation, as the baseline GET. */
const full: Judge = (x, ctx) => expectStatus([ctx.discovery.status])(x, ctx);

export const conditionalProbes: readonly Probe[] = [
  conditional("cond-inm-match", {
    title: "If-None-Match: the path's ETag",
    needs: needsEtag,
    fields: (ctx) => [`If-None-Match: ${etag(ctx)}`],
    judge: notModified,
  }),
  conditional("cond-inm-match-head", {
    title: "HEAD with If-None-Match: the path's ETag",
    needs: needsEtag,
    method: "HEAD",
    fields: (ctx) => [`If-None-Match: ${etag(ctx)}`],
    judge: notModified,
  }),
  conditional("cond-inm-weak", {
    rfc: "RFC 9110 §13.1.2",
    sentence:
      "A recipient MUST use the weak comparison function when comparing entity tags for If-None-Match (Section 8.8.3.2), since weak entity tags can be used for cache validation even if there have been changes to the representation data.",
    title: "If-None-Match: W/ plus the path's ETag",
    needs: needsEtag,
    fields: (ctx) => [`If-None-Match: W/${strongForm(etag(ctx))}`],
    judge: notModified,
  }),
  conditional("cond-inm-star", {
    title: "If-None-Match: *",
    needs: needsEtag,
    fields: () => ["If-None-Match: *"],
    judge: notModified,
  }),
  conditional("cond-inm-list", {
    title: 'If-None-Match: "other", the path\'s ETag',
    needs: needsEtag,
    fields: (ctx) => [`If-None-Match: "tcpkit-other", ${etag(ctx)}`],
    judge: notModified,
  }),
  conditional("cond-inm-other", {
    title: 'If-None-Match: "other"',
    needs: needsEtag,
    fields: () => ['If-None-Match: "tcpkit-other"'],
    judge: full,
  }),
  conditional("cond-ims-equal", {
    ...IMS,
    title: "If-Modified-Since: the path's Last-Modified",
    needs: needsDate,
    fields: (ctx) => [`If-Modified-Since: ${ctx.discovery.lastModified ?? ""}`],
    judge: notModified,
  }),
  conditional("cond-ims-with-inm", {
    ...IMS_IGNORE,
    title: 'If-None-Match: "other" with If-Modified-Since: Last-Modified',
    needs: (d) => needsEtag(d) ?? needsDate(d),
    fields: (ctx) => [
      'If-None-Match: "tcpkit-other"',
      `If-Modified-Since: ${ctx.discovery.lastModified ?? ""}`,
    ],
    judge: full,
  }),
  conditional("cond-ims-invalid", {
    ...IMS_INVALID,
    title: "If-Modified-Since: yesterday",
    needs: needsDate,
    fields: () => ["If-Modified-Since: yesterday"],
    judge: full,
  }),
  conditional("cond-im-other", {
    ...IM,
    title: 'If-Match: "other"',
    needs: needsEtag,
    fields: () => ['If-Match: "tcpkit-other"'],
    judge: expectStatus([412]),
  }),
  conditional("cond-im-match", {
    ...IM,
    title: "If-Match: the path's (strong) ETag",
    needs: needsStrongEtag,
    fields: (ctx) => [`If-Match: ${etag(ctx)}`],
    judge: full,
  }),
  conditional("cond-ius-old", {
    ...IUS,
    title: "If-Unmodified-Since: a date in 1998",
    needs: needsDate,
    fields: () => ["If-Unmodified-Since: Thu, 01 Jan 1998 00:00:00 GMT"],
    judge: expectStatus([412]),
  }),
  conditional("cond-ius-invalid", {
    ...IUS_INVALID,
    title: "If-Unmodified-Since: garbage",
    needs: needsDate,
    fields: () => ["If-Unmodified-Since: garbage"],
    judge: full,
  }),
];
