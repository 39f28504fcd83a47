/**
 * Field-line and Host probes (RFC 9112 §5, RFC 9110 §5, §7.2): what may stand between a name
 * and its colon, what a value may hold, how Host is checked, and the limits on a header section.
 */
import { request, type ProbeContext } from "../exchange.js";
import {
  acceptsOrRejects,
  describe,
  expectStatus,
  judgement,
  rejects,
  simpleProbe,
  status,
  type Judge,
  type Probe,
} from "../probe.js";
import {
  RFC9110_5_4_LIMITS,
  RFC9110_5_5_CTL,
  RFC9112_2_2_BAD_MESSAGE,
  RFC9112_2_2_BARE_CR,
  RFC9112_2_2_BARE_LF,
  RFC9112_3_2_HOST,
  RFC9112_5_1_COLON,
} from "./sentences.js";

const G = "fields";
const withField = (ctx: ProbeContext, ...fields: string[]): string => request(ctx, { fields });
const withHost = (ctx: ProbeContext, ...hosts: string[]): string =>
  request(ctx, { host: null, fields: hosts.map((h) => `Host: ${h}`) });

/**
 * A limit probe: any 4xx passes (431 is the one meant), accepting warns, silence fails. A close
 * without an answer warns, as for the 400 probes: a server that refuses a huge head closes with
 * our bytes unread, and the reset that makes can destroy its 4xx before it is read (RFC 9112
 * §9.6), so the close is all that can be seen of a refusal.
 */
const limit: Judge = (x, ctx) => {
  const s = status(x);
  if (s === undefined && x.stop === "closed") {
    return judgement("warn", `${describe(x)} (a 4xx answer is required)`);
  }
  if (s === undefined) return judgement("FAIL", `${describe(x)} (a 4xx answer is required)`);
  if (s >= 400 && s < 500) return judgement("pass", describe(x));
  if (s === ctx.discovery.status) return judgement("warn", `${describe(x)} (accepted)`);
  return judgement("FAIL", describe(x));
};

export const fieldProbes: readonly Probe[] = [
  simpleProbe(G, {
    id: "field-space-before-colon",
    level: "MUST",
    ...RFC9112_5_1_COLON,
    title: "X-Check : 1",
    bytes: (ctx) => withField(ctx, "X-Check : 1"),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "field-tab-before-colon",
    level: "MUST",
    ...RFC9112_5_1_COLON,
    title: "X-Check<HTAB>: 1",
    bytes: (ctx) => withField(ctx, "X-Check\t: 1"),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "field-host-space-before-colon",
    level: "MUST",
    ...RFC9112_5_1_COLON,
    title: "Host : host (the only Host)",
    bytes: (ctx) => request(ctx, { host: null, fields: [`Host : ${ctx.host}`] }),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "field-leading-whitespace",
    level: "MUST",
    rfc: "RFC 9112 §2.2",
    sentence:
      "A recipient that receives whitespace between the start-line and the first header field MUST either reject the message as invalid or consume each whitespace-preceded line without further processing of it.",
    title: "' Host: host' as the first and only Host line",
    bytes: (ctx) => request(ctx, { host: null, fields: [` Host: ${ctx.host}`] }),
    // Rejecting gives 400, and so does ignoring the line (then Host is missing).
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "field-obs-fold",
    level: "MUST",
    rfc: "RFC 9112 §5.2",
    sentence:
      "A server that receives an obs-fold in a request message that is not within a message/http container MUST either reject the message by sending a 400 (Bad Request), preferably with a representation explaining that obsolete line folding is unacceptable, or replace each received obs-fold with one or more SP octets prior to interpreting the field value or forwarding the message downstream.",
    title: "a field value folded onto a second line",
    bytes: (ctx) => withField(ctx, "X-Check: a", " b"),
    judge: acceptsOrRejects(),
  }),
  simpleProbe(G, {
    id: "field-empty-name",
    level: "SHOULD",
    ...RFC9112_2_2_BAD_MESSAGE,
    title: "': value' (empty field name)",
    bytes: (ctx) => withField(ctx, ": value"),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "field-no-colon",
    level: "SHOULD",
    ...RFC9112_2_2_BAD_MESSAGE,
    title: "a field line without a colon",
    bytes: (ctx) => withField(ctx, "X-Check"),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "field-name-not-token",
    level: "SHOULD",
    ...RFC9112_2_2_BAD_MESSAGE,
    title: "X[Check]: 1 (brackets are not tchar)",
    bytes: (ctx) => withField(ctx, "X[Check]: 1"),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "field-name-high-byte",
    level: "SHOULD",
    ...RFC9112_2_2_BAD_MESSAGE,
    title: "a field name with byte 0xE9",
    bytes: (ctx) => withField(ctx, "X-Ch\xe9ck: 1"),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "field-value-nul",
    level: "MUST",
    ...RFC9110_5_5_CTL,
    title: "NUL inside a field value",
    bytes: (ctx) => withField(ctx, "X-Check: a\x00b"),
    judge: acceptsOrRejects(),
  }),
  simpleProbe(G, {
    id: "field-value-bare-cr",
    level: "MUST",
    ...RFC9112_2_2_BARE_CR,
    title: "bare CR inside a field value",
    bytes: (ctx) => withField(ctx, "X-Check: a\rb"),
    judge: acceptsOrRejects(),
  }),
  simpleProbe(G, {
    id: "field-value-control",
    level: "SHOULD",
    ...RFC9112_2_2_BAD_MESSAGE,
    title: "byte 0x01 inside a field value",
    bytes: (ctx) => withField(ctx, "X-Check: a\x01b"),
    // Accepted warns, not fails: RFC 9110 §5.5 lets a recipient retain control bytes other than
    // CR, LF and NUL "within a safe context", which the checker cannot see from outside.
    judge: acceptsOrRejects({
      riskyIfAccepted: "RFC 9110 §5.5 allows it only where no downstream parser reads the byte",
    }),
  }),
  simpleProbe(G, {
    id: "field-bare-lf",
    level: "MAY",
    ...RFC9112_2_2_BARE_LF,
    title: "one field line ended by bare LF",
    bytes: (ctx) => `GET ${ctx.discovery.path} HTTP/1.1\r\nX-Check: 1\nHost: ${ctx.host}\r\n\r\n`,
    judge: acceptsOrRejects(),
  }),
  simpleProbe(G, {
    id: "host-missing",
    level: "MUST",
    ...RFC9112_3_2_HOST,
    title: "HTTP/1.1 without Host",
    bytes: (ctx) => request(ctx, { host: null }),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "host-twice",
    level: "MUST",
    ...RFC9112_3_2_HOST,
    title: "two Host lines with the same value",
    bytes: (ctx) => withHost(ctx, ctx.host, ctx.host),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "host-twice-different",
    level: "MUST",
    ...RFC9112_3_2_HOST,
    title: "two Host lines with different values",
    bytes: (ctx) => withHost(ctx, ctx.host, "other.invalid"),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "host-comma-list",
    level: "MUST",
    ...RFC9112_3_2_HOST,
    title: "Host: host, other.invalid",
    bytes: (ctx) => withHost(ctx, `${ctx.host}, other.invalid`),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "host-userinfo",
    level: "MUST",
    ...RFC9112_3_2_HOST,
    title: "Host: user@host",
    bytes: (ctx) => withHost(ctx, `user@${ctx.host}`),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "host-path",
    level: "MUST",
    ...RFC9112_3_2_HOST,
    title: "Host: host/path",
    bytes: (ctx) => withHost(ctx, `${ctx.host}/x`),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "host-bad-port",
    level: "MUST",
    ...RFC9112_3_2_HOST,
    title: "Host: host:abc",
    bytes: (ctx) =>
      withHost(ctx, `${ctx.url.host.includes(":") ? `[${ctx.url.host}]` : ctx.url.host}:abc`),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "host-space-inside",
    level: "MUST",
    ...RFC9112_3_2_HOST,
    title: "Host: a b",
    bytes: (ctx) => withHost(ctx, "a b"),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "host-empty",
    level: "MAY",
    rfc: "RFC 9110 §7.2",
    sentence:
      "If the authority component is missing or undefined for the target URI, then a client MUST send a Host header field with an empty field value.",
    title: "Host: (empty, which is valid)",
    bytes: (ctx) => withHost(ctx, ""),
    judge: (x) => {
      const s = status(x);
      if (s === undefined || s >= 500) return judgement("FAIL", describe(x));
      return judgement("pass", describe(x));
    },
  }),
  simpleProbe(G, {
    id: "host-missing-http10",
    level: "MAY",
    ...RFC9112_3_2_HOST,
    title: "HTTP/1.0 without Host (only 1.1 requires it)",
    version: "1.0",
    bytes: (ctx) => request(ctx, { host: null, version: "HTTP/1.0" }),
    judge: (x, ctx) => expectStatus([ctx.discovery.status], (s) => s >= 400 && s < 500)(x, ctx),
  }),
  simpleProbe(G, {
    id: "fields-1000",
    level: "MUST",
    ...RFC9110_5_4_LIMITS,
    title: "1000 field lines",
    bytes: (ctx) =>
      request(ctx, { fields: Array.from({ length: 1000 }, (_, i) => `X-F${i}: ${i}`) }),
    judge: (x, ctx) => {
      const s = status(x);
      // 1000 short fields (about 12 KiB) are within what many servers accept.
      if (s === ctx.discovery.status) return judgement("pass", `${describe(x)} (accepted)`);
      return limit(x, ctx);
    },
  }),
  simpleProbe(G, {
    id: "field-256k",
    level: "MUST",
    ...RFC9110_5_4_LIMITS,
    title: "one 256 KiB field value",
    bytes: (ctx) => withField(ctx, `X-Big: ${"a".repeat(256 * 1024)}`),
    judge: limit,
  }),
  simpleProbe(G, {
    id: "fields-1m",
    level: "MUST",
    ...RFC9110_5_4_LIMITS,
    title: "1 MiB of header fields",
    bytes: (ctx) =>
      request(ctx, {
        fields: Array.from({ length: 1024 }, (_, i) => `X-F${i}: ${"b".repeat(1010)}`),
      }),
    judge: limit,
  }),
];
