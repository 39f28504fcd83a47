/**
 * Lint of every response the run saw (REDbot's kind of check, over the whole run): status line,
 * line ends, folding, Date, timestamp formats, framing fields, repeated singleton fields, ETag
 * syntax. These probes send nothing; they run last and read what the others collected.
 */
import type { SeenResponse } from "../probe-connection.js";
import { judgement, type Judgement, type Probe } from "../probe.js";
import type { ProbeContext } from "../exchange.js";
import type { Level } from "../types.js";
import { getField, type ResponseHead } from "../wire.js";

const G = "lint";

type Seen = ProbeContext["seen"][number];

/** A rule: the problem with one response, or undefined when it complies. */
type Rule = (s: Seen, ctx: ProbeContext) => string | undefined;

function lint(
  id: string,
  level: Level,
  rfc: string,
  sentence: string,
  title: string,
  rule: Rule,
): Probe {
  return {
    id,
    group: G,
    level,
    rfc,
    sentence,
    title,
    run(ctx) {
      let checked = 0;
      for (const s of ctx.seen) {
        checked++;
        const problem = rule(s, ctx);
        if (problem !== undefined) {
          const j: Judgement = judgement(
            "FAIL",
            `${s.response.head.status} to ${s.probe}: ${problem}`,
          );
          return Promise.resolve({ ...j, exchanges: [] });
        }
      }
      return Promise.resolve({
        ...judgement("pass", `${checked} responses checked`),
        exchanges: [],
      });
    },
  };
}

/** Every head of the response: interim ones and the final one. */
const heads = (r: SeenResponse): readonly ResponseHead[] => [...r.interim, r.head];

const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const ENTITY_TAG = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;
const SINGLETONS = [
  "content-type",
  "date",
  "etag",
  "last-modified",
  "location",
  "content-range",
  "expires",
  "retry-after",
  "age",
];

function count(head: ResponseHead, name: string): number {
  let n = 0;
  for (let i = 0; i < head.fields.length; i += 2) if (head.fields[i] === name) n++;
  return n;
}

export const lintProbes: readonly Probe[] = [
  {
    id: "lint-framing",
    group: G,
    level: "MUST",
    rfc: "RFC 9112 §6.3",
    sentence:
      "Any response to a HEAD request and any response with a 1xx (Informational), 204 (No Content), or 304 (Not Modified) status code is always terminated by the first empty line after the header fields, regardless of the header fields present in the message, and thus cannot contain a message body or trailer section.",
    title: "every response framed as its fields say: no content after it, none missing",
    run(ctx) {
      const first = ctx.misframed[0];
      const j =
        first === undefined
          ? judgement("pass", `${ctx.seen.length} responses, all framed as their fields say`)
          : judgement(
              "FAIL",
              `${ctx.misframed.length} misframed; the first, to ${first.probe}: ${first.message}`,
            );
      return Promise.resolve({ ...j, exchanges: [] });
    },
  },
  lint(
    "lint-status-line",
    "MUST",
    "RFC 9112 §4",
    "A server MUST send the space that separates the status-code from the reason-phrase even when the reason-phrase is absent (i.e., the status-line would end with the space).",
    "every status line is HTTP-version SP status-code SP [reason-phrase]",
    ({ response }) =>
      heads(response).some((h) => !/^HTTP\/1\.[01] \d{3} [^\r\n]*\r?\n/.test(h.raw))
        ? `status line '${heads(response)[0]?.raw.split(/\r?\n/)[0] ?? ""}'`
        : undefined,
  ),
  lint(
    "lint-crlf",
    "MUST",
    "RFC 9112 §2.1",
    "HTTP-message = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]",
    "every head line ends in CRLF",
    ({ response }) =>
      heads(response).some((h) => /(^|[^\r])\n/.test(h.raw))
        ? "a line ended by bare LF"
        : undefined,
  ),
  lint(
    "lint-no-obs-fold",
    "MUST",
    "RFC 9112 §5.2",
    'A sender MUST NOT generate a message that includes line folding (i.e., that has any field line value that contains a match to the obs-fold rule) unless the message is intended for packaging within the "message/http" media type.',
    "no folded field lines",
    ({ response }) =>
      heads(response).some((h) => /\n[ \t]/.test(h.raw)) ? "a folded field line" : undefined,
  ),
  lint(
    "lint-date",
    "MUST",
    "RFC 9110 §6.6.1",
    "An origin server with a clock (as defined in Section 5.6.7) MUST generate a Date header field in all 2xx (Successful), 3xx (Redirection), and 4xx (Client Error) responses.",
    "Date on every 2xx, 3xx and 4xx",
    ({ response }) =>
      response.head.status < 500 && getField(response.head, "date") === undefined
        ? "no Date"
        : undefined,
  ),
  lint(
    "lint-date-format",
    "MUST",
    "RFC 9110 §5.6.7",
    "When a sender generates a field that contains one or more timestamps defined as HTTP-date, the sender MUST generate those timestamps in the IMF-fixdate format.",
    "Date and Last-Modified in IMF-fixdate",
    ({ response }) => {
      for (const name of ["date", "last-modified"]) {
        const v = getField(response.head, name);
        if (v !== undefined && !IMF_FIXDATE.test(v)) return `${name}: ${v}`;
      }
      return undefined;
    },
  ),
  lint(
    "lint-no-cl-with-te",
    "MUST",
    "RFC 9112 §6.2",
    "A sender MUST NOT send a Content-Length header field in any message that contains a Transfer-Encoding header field.",
    "never Content-Length with Transfer-Encoding",
    ({ response }) =>
      getField(response.head, "content-length") !== undefined &&
      getField(response.head, "transfer-encoding") !== undefined
        ? "Content-Length and Transfer-Encoding"
        : undefined,
  ),
  lint(
    "lint-no-te-to-http10",
    "MUST",
    "RFC 9112 §6.1",
    "A server MUST NOT send a response containing Transfer-Encoding unless the corresponding request indicates HTTP/1.1 (or later minor revisions).",
    "no Transfer-Encoding in answers to HTTP/1.0",
    ({ response, requestVersion }) =>
      requestVersion === "1.0" && getField(response.head, "transfer-encoding") !== undefined
        ? "Transfer-Encoding to an HTTP/1.0 request"
        : undefined,
  ),
  lint(
    "lint-no-cl-1xx-204",
    "MUST",
    "RFC 9110 §8.6",
    "A server MUST NOT send a Content-Length header field in any response with a status code of 1xx (Informational) or 204 (No Content).",
    "no Content-Length on 1xx and 204",
    ({ response }) =>
      heads(response).some(
        (h) => (h.status < 200 || h.status === 204) && getField(h, "content-length") !== undefined,
      )
        ? "Content-Length on a 1xx or 204"
        : undefined,
  ),
  lint(
    "lint-singleton-fields",
    "MUST",
    "RFC 9110 §5.3",
    "A sender MUST NOT generate multiple field lines with the same name in a message (whether in the headers or trailers) or append a field line when a field line of the same name already exists in the message, unless that field's definition allows multiple field line values to be recombined as a comma-separated list.",
    "no repeated Content-Type, Date, ETag, Last-Modified, Location, ...",
    ({ response }) => {
      const name = SINGLETONS.find((n) => count(response.head, n) > 1);
      return name === undefined ? undefined : `${name} repeated`;
    },
  ),
  lint(
    "lint-etag-syntax",
    "MUST",
    "RFC 9110 §8.8.3",
    "An entity-tag consists of an opaque quoted string, possibly prefixed by a weakness indicator.",
    'every ETag is [W/]"..."',
    ({ response }) => {
      const v = getField(response.head, "etag");
      return v !== undefined && !ENTITY_TAG.test(v) ? `ETag: ${v}` : undefined;
    },
  ),
  lint(
    "lint-304-no-content-fields",
    "SHOULD",
    "RFC 9110 §15.4.5",
    "Since the goal of a 304 response is to minimize information transfer when the recipient already has one or more cached representations, a sender SHOULD NOT generate representation metadata other than the above listed fields unless said metadata exists for the purpose of guiding cache updates.",
    "a 304 carries no Content-Length other than the representation's, no Transfer-Encoding",
    ({ response }, ctx) => {
      if (response.head.status !== 304) return undefined;
      if (getField(response.head, "transfer-encoding") !== undefined) {
        return "Transfer-Encoding on a 304";
      }
      // The run's 304s answer conditionals on the path, whose length discovery knows.
      const cl = getField(response.head, "content-length");
      const length = ctx.discovery.length;
      return cl !== undefined && length !== undefined && cl !== String(length)
        ? `Content-Length: ${cl} on a 304, the representation has ${length} bytes`
        : undefined;
    },
  ),
];
