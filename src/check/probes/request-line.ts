/**
 * Request-line probes (RFC 9112 §2-3): line ends, separators, versions, request-target forms
 * and the bytes a target may not hold.
 */
import { request, type ProbeContext } from "../exchange.js";
import {
  accepts,
  acceptsOrRejects,
  describe,
  expectStatus,
  judgement,
  rejects,
  simpleProbe,
  status,
  type Probe,
} from "../probe.js";
import {
  RFC9112_2_2_BAD_MESSAGE,
  RFC9112_2_2_BARE_CR,
  RFC9112_2_2_BARE_LF,
  RFC9112_3_INVALID_LINE,
  RFC9112_3_WHITESPACE,
} from "./sentences.js";

const G = "request-line";
const line = (ctx: ProbeContext, requestLine: string): string =>
  `${requestLine}\r\nHost: ${ctx.host}\r\n\r\n`;
const p = (ctx: ProbeContext): string => ctx.discovery.path;
/** An invalid version: 400 passes, 505 warns (the major version is not the problem), 2xx fails. */
const badVersion = expectStatus([400], [505]);
const LENIENT =
  "lenient request-line parsing can let two parsers see two different requests (RFC 9112 §3)";

export const requestLineProbes: readonly Probe[] = [
  simpleProbe(G, {
    id: "line-bare-lf",
    level: "MAY",
    ...RFC9112_2_2_BARE_LF,
    title: "request line and fields ended by bare LF",
    bytes: (ctx) => `GET ${p(ctx)} HTTP/1.1\nHost: ${ctx.host}\n\n`,
    // A server that does not take LF as a line end has no CRLF yet: the request line has not
    // ended, and waiting for the rest is what it should do.
    judge: (x, ctx) =>
      status(x) === undefined && x.stop === "timeout"
        ? judgement("pass", `${describe(x)} (waits for a CRLF: bare LF is not a line end here)`)
        : acceptsOrRejects()(x, ctx),
  }),
  simpleProbe(G, {
    id: "line-bare-cr",
    level: "MUST",
    ...RFC9112_2_2_BARE_CR,
    title: "request line ended by a bare CR",
    bytes: (ctx) => `GET ${p(ctx)} HTTP/1.1\rHost: ${ctx.host}\r\n\r\n`,
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "line-leading-crlf",
    level: "SHOULD",
    rfc: "RFC 9112 §2.2",
    sentence:
      "In the interest of robustness, a server that is expecting to receive and parse a request-line SHOULD ignore at least one empty line (CRLF) received prior to the request-line.",
    title: "an empty line before the request line",
    bytes: (ctx) => `\r\n${request(ctx)}`,
    judge: accepts(),
  }),
  simpleProbe(G, {
    id: "line-tab-separator",
    level: "MAY",
    ...RFC9112_3_WHITESPACE,
    title: "HTAB between method, target and version",
    bytes: (ctx) => line(ctx, `GET\t${p(ctx)}\tHTTP/1.1`),
    judge: acceptsOrRejects({ riskyIfAccepted: LENIENT }),
  }),
  simpleProbe(G, {
    id: "line-double-space",
    level: "MAY",
    ...RFC9112_3_WHITESPACE,
    title: "two SP between method and target",
    bytes: (ctx) => line(ctx, `GET  ${p(ctx)} HTTP/1.1`),
    judge: acceptsOrRejects({ riskyIfAccepted: LENIENT }),
  }),
  simpleProbe(G, {
    id: "line-trailing-space",
    level: "MAY",
    ...RFC9112_3_WHITESPACE,
    title: "SP after the version",
    bytes: (ctx) => line(ctx, `GET ${p(ctx)} HTTP/1.1 `),
    judge: acceptsOrRejects({ riskyIfAccepted: LENIENT }),
  }),
  simpleProbe(G, {
    id: "line-version-1.2",
    level: "SHOULD",
    rfc: "RFC 9110 §2.5",
    sentence:
      "A recipient that receives a message with a major version number that it implements and a minor version number higher than what it implements SHOULD process the message as if it were in the highest minor version within that major version to which the recipient is conformant.",
    title: "HTTP/1.2",
    bytes: (ctx) => line(ctx, `GET ${p(ctx)} HTTP/1.2`),
    judge: accepts(),
  }),
  simpleProbe(G, {
    id: "line-version-two-digit-minor",
    level: "SHOULD",
    ...RFC9112_3_INVALID_LINE,
    title: "HTTP/1.32 (HTTP-version is DIGIT.DIGIT)",
    bytes: (ctx) => line(ctx, `GET ${p(ctx)} HTTP/1.32`),
    judge: badVersion,
  }),
  simpleProbe(G, {
    id: "line-version-leading-zero",
    level: "SHOULD",
    ...RFC9112_3_INVALID_LINE,
    title: "HTTP/01.1",
    bytes: (ctx) => line(ctx, `GET ${p(ctx)} HTTP/01.1`),
    judge: badVersion,
  }),
  simpleProbe(G, {
    id: "line-version-lowercase",
    level: "SHOULD",
    ...RFC9112_3_INVALID_LINE,
    title: "http/1.1 (HTTP-name is case-sensitive)",
    bytes: (ctx) => line(ctx, `GET ${p(ctx)} http/1.1`),
    judge: badVersion,
  }),
  simpleProbe(G, {
    id: "line-version-2.0",
    level: "SHOULD",
    rfc: "RFC 9110 §15.6.6",
    sentence:
      "The 505 (HTTP Version Not Supported) status code indicates that the server does not support, or refuses to support, the major version of HTTP that was used in the request message.",
    title: "HTTP/2.0 on an HTTP/1 request line",
    bytes: (ctx) => line(ctx, `GET ${p(ctx)} HTTP/2.0`),
    judge: expectStatus([505], [400]),
  }),
  simpleProbe(G, {
    id: "line-version-missing",
    level: "SHOULD",
    ...RFC9112_3_INVALID_LINE,
    title: "no version, followed by fields",
    bytes: (ctx) => line(ctx, `GET ${p(ctx)}`),
    judge: rejects(),
  }),
  simpleProbe(G, {
    id: "line-http09",
    level: "SHOULD",
    ...RFC9112_3_INVALID_LINE,
    title: "an HTTP/0.9 simple request (GET /path CRLF)",
    bytes: (ctx) => `GET ${p(ctx)}\r\n`,
    judge: (x) => {
      const s = status(x);
      if (s !== undefined) {
        return s >= 400 && s < 500
          ? judgement("pass", describe(x))
          : judgement("FAIL", `${describe(x)} (an HTTP/1 error expected)`);
      }
      if (x.stop === "closed") return judgement("pass", describe(x));
      if (x.stop === "timeout") {
        return judgement("warn", `${describe(x)} (it waits for the rest of an HTTP/1 head)`);
      }
      if (x.stop === "malformed") {
        return judgement(
          "FAIL",
          `${describe(x)}: an HTTP/0.9 answer (a body without a status line)?`,
        );
      }
      return judgement("FAIL", describe(x));
    },
  }),
  simpleProbe(G, {
    id: "line-asterisk-get",
    level: "SHOULD",
    rfc: "RFC 9112 §3.2.4",
    sentence:
      "The asterisk-form of request-target is only used for a server-wide OPTIONS request (Section 9.3.7 of [HTTP]).",
    title: "GET * HTTP/1.1",
    bytes: (ctx) => line(ctx, "GET * HTTP/1.1"),
    judge: expectStatus([400], (s) => s >= 400 && s < 500),
  }),
  simpleProbe(G, {
    id: "line-options-asterisk",
    level: "MAY",
    rfc: "RFC 9110 §9.3.7",
    sentence:
      'An OPTIONS request with an asterisk ("*") as the request-target (Section 7.1) applies to the server in general rather than to a specific resource.',
    title: "OPTIONS * HTTP/1.1",
    bytes: (ctx) => line(ctx, "OPTIONS * HTTP/1.1"),
    judge: expectStatus([200, 204], (s) => s >= 400 && s < 600, "OPTIONS * is not served"),
  }),
  simpleProbe(G, {
    id: "line-absolute-form",
    level: "MUST",
    rfc: "RFC 9112 §3.2.2",
    sentence:
      "A server MUST accept the absolute-form in requests even though most HTTP/1.1 clients will only send the absolute-form to a proxy.",
    title: "GET http://host/path HTTP/1.1",
    bytes: (ctx) => line(ctx, `GET ${ctx.url.scheme}://${ctx.host}${p(ctx)} HTTP/1.1`),
    judge: accepts(),
  }),
  simpleProbe(G, {
    id: "line-absolute-form-host-differs",
    level: "MUST",
    rfc: "RFC 9112 §3.2.2",
    sentence:
      "When an origin server receives a request with an absolute-form of request-target, the origin server MUST ignore the received Host header field (if any) and instead use the host information of the request-target.",
    title: "absolute-form target with another Host",
    bytes: (ctx) =>
      `GET ${ctx.url.scheme}://${ctx.host}${p(ctx)} HTTP/1.1\r\nHost: other.invalid\r\n\r\n`,
    judge: accepts(),
  }),
  simpleProbe(G, {
    id: "line-connect",
    level: "SHOULD",
    rfc: "RFC 9110 §9.3.6",
    sentence:
      "Any 2xx (Successful) response indicates that the sender (and all inbound proxies) will switch to tunnel mode immediately after the response header section.",
    title: "CONNECT host:port to an origin server",
    bytes: (ctx) => line(ctx, `CONNECT ${ctx.host} HTTP/1.1`),
    // A close without an answer opens no tunnel either: it warns, as elsewhere (Node's server
    // closes so when no one listens for CONNECT).
    judge: (x, ctx) =>
      status(x) === undefined && x.stop === "closed"
        ? judgement("warn", `${describe(x)} (400, 405 or 501 expected)`)
        : expectStatus(
            [400, 405, 501],
            (s) => s >= 400,
            "an origin server offers no tunnel",
          )(x, ctx),
  }),
  simpleProbe(G, {
    id: "line-method-lowercase",
    level: "SHOULD",
    rfc: "RFC 9110 §9.1",
    sentence:
      "An origin server that receives a request method that is unrecognized or not implemented SHOULD respond with the 501 (Not Implemented) status code.",
    title: "get (methods are case-sensitive)",
    bytes: (ctx) => line(ctx, `get ${p(ctx)} HTTP/1.1`),
    judge: expectStatus([501], [400, 405], "'get' is not GET"),
  }),
  simpleProbe(G, {
    id: "line-method-long",
    level: "SHOULD",
    rfc: "RFC 9112 §3",
    sentence:
      "A server that receives a method longer than any that it implements SHOULD respond with a 501 (Not Implemented) status code.",
    title: "a 1000-byte method",
    bytes: (ctx) => line(ctx, `${"A".repeat(1000)} ${p(ctx)} HTTP/1.1`),
    judge: expectStatus([501], (s) => s >= 400 && s < 500),
  }),
  simpleProbe(G, {
    id: "line-target-long",
    level: "MUST",
    rfc: "RFC 9112 §3",
    sentence:
      "A server that receives a request-target longer than any URI it wishes to parse MUST respond with a 414 (URI Too Long) status code.",
    title: "a 64 KiB request-target",
    bytes: (ctx) => line(ctx, `GET /${"a".repeat(64 * 1024)} HTTP/1.1`),
    // Closed without an answer warns: the answer can be lost to the reset (see fields' limit).
    judge: (x, ctx) =>
      status(x) === undefined && x.stop === "closed"
        ? judgement("warn", `${describe(x)} (414 expected)`)
        : expectStatus([414, 404], (s) => s >= 400 && s < 500, "a 404 means it parsed it")(x, ctx),
  }),
  simpleProbe(G, {
    id: "line-target-non-ascii",
    level: "SHOULD",
    ...RFC9112_3_INVALID_LINE,
    title: "raw bytes 0xFF 0xFE in the target",
    bytes: (ctx) => line(ctx, "GET /\xff\xfe HTTP/1.1"),
    judge: expectStatus([400], [404]),
  }),
  simpleProbe(G, {
    id: "line-target-fragment",
    level: "SHOULD",
    ...RFC9112_3_INVALID_LINE,
    title: "a #fragment in the target",
    bytes: (ctx) => line(ctx, `GET ${p(ctx)}#frag HTTP/1.1`),
    judge: (x, ctx) =>
      status(x) === ctx.discovery.status
        ? judgement("warn", `${describe(x)} (accepted; no request-target form has a fragment)`)
        : rejects()(x, ctx),
  }),
  simpleProbe(G, {
    id: "line-target-overlong-utf8",
    level: "MUST",
    rfc: "RFC 3629 §3",
    sentence:
      "Implementations of the decoding algorithm above MUST protect against decoding invalid sequences.",
    title: "/%C0%AE%C0%AE/ (overlong '..') before the path",
    bytes: (ctx) => line(ctx, `GET /%C0%AE%C0%AE${p(ctx)} HTTP/1.1`),
    judge: (x) => {
      const s = status(x);
      if (s === undefined) return judgement("FAIL", describe(x));
      return s >= 200 && s < 300
        ? judgement("FAIL", `${describe(x)}: overlong UTF-8 decoded as '..'`)
        : judgement("pass", describe(x));
    },
  }),
  simpleProbe(G, {
    id: "line-target-nul",
    level: "SHOULD",
    rfc: "RFC 9110 §17.3",
    sentence:
      "An origin server needs to avoid accessing names that have a special significance to the system when mapping the target resource to files, folders, or directories.",
    title: "the path followed by %00.txt",
    bytes: (ctx) => line(ctx, `GET ${p(ctx)}%00.txt HTTP/1.1`),
    judge: (x) => {
      const s = status(x);
      if (s === undefined) return judgement("FAIL", describe(x));
      return s >= 200 && s < 300
        ? judgement("FAIL", `${describe(x)}: the name was cut at the NUL`)
        : judgement("pass", describe(x));
    },
  }),
  simpleProbe(G, {
    id: "line-target-crlf",
    level: "SHOULD",
    rfc: "RFC 9112 §11.1",
    sentence:
      'A common defense against response splitting is to filter requests for data that looks like encoded CR and LF (e.g., "%0D" and "%0A").',
    title: "%0D%0A and a field in the target (response splitting)",
    bytes: (ctx) =>
      line(ctx, `GET ${ctx.discovery.folder ?? p(ctx)}%0D%0AX-Injected:%20yes HTTP/1.1`),
    judge: (x) => {
      const r = x.responses[0];
      if (r === undefined) return judgement("FAIL", describe(x));
      return r.head.fields.includes("x-injected")
        ? judgement("FAIL", `${describe(x)}: the response carries the injected X-Injected field`)
        : judgement("pass", describe(x));
    },
  }),
  simpleProbe(G, {
    id: "line-h2-preface",
    level: "SHOULD",
    rfc: "RFC 9113 §3.4",
    sentence:
      "The client connection preface is selected so that a large proportion of HTTP/1.1 or HTTP/1.0 servers and intermediaries do not attempt to process further frames.",
    title: "the HTTP/2 connection preface",
    bytes: () => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    judge: (x) => {
      // A SETTINGS frame (type 4 in the fourth byte of a frame header): it speaks HTTP/2 here.
      if (x.received.length >= 9 && x.received.charCodeAt(3) === 4) {
        return judgement("pass", "answered with an HTTP/2 SETTINGS frame (prior knowledge)");
      }
      const s = status(x);
      if (s === undefined) {
        return x.stop === "closed"
          ? judgement("pass", describe(x))
          : judgement("FAIL", describe(x));
      }
      return s >= 400 ? judgement("pass", describe(x)) : judgement("FAIL", describe(x));
    },
  }),
  simpleProbe(G, {
    id: "line-garbage",
    level: "SHOULD",
    ...RFC9112_2_2_BAD_MESSAGE,
    title: "64 bytes of binary garbage",
    bytes: () =>
      "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + "\x00\xff".repeat(26) + "\r\n\r\n",
    judge: rejects(),
  }),
];
