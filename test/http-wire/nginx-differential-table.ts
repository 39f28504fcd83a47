/**
 * Where tcpkit serve answers differently from nginx on the differential corpus, and why tcpkit's
 * answer is the right one (RFC section) or a deliberate safety policy. docs/CONFORMANCE.md holds
 * the same table (the test checks it; TCPKIT_CONFORMANCE_DOC=1 rewrites it).
 */

export interface Difference {
  /** The observed difference exactly as the test reports it. */
  readonly observed: string;
  /** Why tcpkit answers so. */
  readonly reason: string;
}

// One reason per kind of difference, shared by the cases it explains.
const RAW =
  "RFC 9112 §3.2, RFC 3986 §2: a request-target holds only URI characters; raw bytes above 0x7F make it invalid, so 400 and close (nginx looks the bytes up)";
const KEEP400 =
  "The target is refused (400) before any file is touched, but the message was framed correctly, so the connection stays usable (RFC 9112 §9.3); nginx closes after every 400";
const STAR =
  "RFC 9110 §12.5.3: `*` in Accept-Encoding matches any coding not listed, so the gzip sibling is acceptable; nginx's gzip_static ignores `*`";
const V09 = "RFC 9110 §15.6.6: major version 0 is not supported, so 505 (nginx: 400)";
const SIMPLE =
  "DESIGN §3: HTTP/0.9 is obsolete (RFC 9112 Appendix C.1) and has no status line, so a simple request gets 400; nginx still answers it with the raw file";
const VGRAM =
  'RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, so "1.10" is invalid: 400 (nginx reads it as 1.10)';
const REQWS =
  "RFC 9112 §3: request-line = method SP request-target SP HTTP-version; whitespace-lenient parsing is only a MAY, and an invalid line SHOULD get 400 (nginx tolerates extra spaces)";
const LF =
  "RFC 9112 §2.2: accepting a bare LF as a line end is only a MAY; tcpkit requires CRLF so that no two parsers on a path disagree on where a field ends (nginx accepts LF)";
const OPT =
  "RFC 9110 §9.3.7: OPTIONS is answered with 200 and Allow (nginx's static module answers 405)";
const OPTSTAR =
  "RFC 9112 §3.2.4, RFC 9110 §9.3.7: `OPTIONS *` asks about the server as a whole: 200 with Allow (nginx: 400 and close)";
const ALLOW = "RFC 9110 §15.5.6: a 405 MUST carry Allow; nginx sends none";
const TRACE =
  "RFC 9110 §15.5.6: a 405 MUST carry Allow (nginx sends none); the request was framed correctly, so the connection persists (RFC 9112 §9.3; nginx closes)";
const POSTMISS =
  "RFC 9110 §15.5.6: no resource here supports POST, so 405 with Allow is decided before the file lookup; nginx looks the file up first (404)";
const CONNECT =
  "RFC 9112 §3.2.3: CONNECT with authority-form is valid syntax; an origin server that is no proxy refuses the method with 405 and Allow and keeps the connection (nginx: 400 and close)";
const M501 =
  "RFC 9110 §9.1: methods are case-sensitive tokens and an unrecognised one SHOULD get 501 (nginx: 405 for unknown upper-case tokens, 400 and close for lower case or digits)";
const EMPTYHOST =
  "RFC 9112 §3.2: an empty Host is what a client MUST send when the target URI has no authority, so it is valid and served (nginx: 400)";
const USERINFO =
  'RFC 9110 §7.2: Host = uri-host [":" port], with no userinfo; RFC 9112 §3.2: a server MUST answer 400 to an invalid Host (nginx accepts it)';
const HOSTDOTS =
  "RFC 3986 §3.2.2: `..` is a syntactically valid reg-name, and tcpkit never maps Host to files, so the request is served (nginx rejects it to protect host-based roots)";
const FTP =
  "RFC 9110 §4.2, §7.4: an origin server answers only for http and https target URIs; another scheme is refused with 400 (nginx ignores the scheme)";
const E413 =
  "RFC 9110 §15.5.14: after 413 the server MAY close; tcpkit closes rather than read a body it refused, so those bytes can never be parsed as a request (nginx keeps the connection and discards)";
const TEFINAL =
  "RFC 9112 §6.3 item 4: when chunked is not the final transfer coding the length cannot be determined, and the server MUST answer 400 and close (nginx: 501)";
const C100 =
  "RFC 9110 §10.1.1: a server MAY omit 100 Continue when it has already received the content (it came in the same write as the head)";
const FNAME =
  "RFC 9110 §5.1: field-name = token; a field line whose name is not a token makes the message invalid: 400 and close (nginx silently drops the line, ignore_invalid_headers)";
const FVALUE =
  "RFC 9110 §5.5: field values are VCHAR, SP, HTAB and obs-text; control bytes make the message invalid: 400 and close (nginx accepts them)";
const FRAG =
  "RFC 9112 §3.2: no request-target form contains a fragment (`#`): 400 (nginx strips it)";
const HEADLIM =
  "Limit policy, RFC 6585 §5: a head over 16 KiB (--max-head-bytes) gets 431 Request Header Fields Too Large; nginx allows 4 buffers of 8 KiB";
const LINE431 =
  "RFC 6585 §5: a field too large is 431 Request Header Fields Too Large, not the generic 400 nginx sends";
const COUNTLIM =
  "Limit policy, RFC 6585 §5: more than 100 header fields (--max-headers) get 431; nginx has no count limit";
const BACKSLASH =
  "RFC 3986 §2: a raw `\\` is not a URI character, and decoded from %5C it is a path separator on some systems; tcpkit refuses both with 400 rather than look up a name (nginx: 404)";
const OVERLONG =
  "RFC 3629 §3, §10: overlong UTF-8 (%C0%AE) is invalid and is never decoded to `.`; 400 (nginx looks the raw bytes up: 404)";
const SYMLINK =
  "Safety policy (DESIGN §4, --follow-symlinks): a symlink resolving outside the root is 404; nginx (disable_symlinks off by default) serves the secret file outside the root";
const DOT =
  "Safety policy (DESIGN §4, --dotfiles): dotfiles and dot-folders are 404 by default; nginx serves .env and .git/ unless configured not to";
const IMSFUT =
  "RFC 9110 §13.1.3: the condition is false when the last modification is earlier than or equal to the date given, so 304 (as Go's net/http); nginx's default `if_modified_since exact` only matches the same date";
const OPEN412 =
  "RFC 9112 §9.3: a 412 leaves the framing intact, so the connection persists (nginx closes after 412)";
const IUSGARB =
  "RFC 9110 §13.1.4: a recipient MUST ignore If-Unmodified-Since whose value is not a valid HTTP-date, so 200 (nginx answers 412)";
const RANGEINV =
  "RFC 9110 §14.2: a server MAY ignore an invalid ranges-specifier; tcpkit ignores it and sends 200 with the whole file (nginx: 416)";
const RANGEHUGE =
  "RFC 9110 §14.1.2: a last-pos at or beyond the length means up to the end, so 206 with the whole file (nginx treats the overflow as unsatisfiable: 416)";
const C100WAIT =
  "RFC 9110 §10.1.1: having sent 100 Continue, tcpkit reads the content the client announced before the final answer (its head timeout bounds the wait); nginx answers a static GET at once and discards the body later";
const DATECASE =
  "RFC 9110 §5.6.7: HTTP-date is case-sensitive, so `gmt` is not a date, and §13.1.3 says a recipient MUST ignore an invalid If-Modified-Since: 200 (nginx parses it and answers 304)";
const SIBOUT =
  "Safety policy (DESIGN §4): a precompressed sibling that resolves outside the root is ignored and the file itself is served; nginx's gzip_static sends the outside file";
const HOSTPORT =
  'RFC 9110 §7.2: Host = uri-host [":" port], port = *DIGIT, and a reg-name holds no `:` or `[`; RFC 9112 §3.2: a server MUST answer 400 to an invalid Host (nginx accepts it)';
const RANGEGZ =
  "RFC 9110 §14.1, §14.2: a range applies to the selected representation, here the gzip sibling (issue 4); nginx's gzip_static drops the Range (200)";

/** Case name → observed difference and reason. */
export const DIFFERENCES: Readonly<Record<string, Difference>> = {
  "GET UTF-8 name raw bytes": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: RAW,
  },
  "GET invalid escape": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "GET truncated escape": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "GET precompressed, *": {
    observed: "#1 content-encoding: tcpkit gzip, nginx (none)",
    reason: STAR,
  },
  "HTTP/0.9 full line": { observed: "status: tcpkit 505, nginx 400", reason: V09 },
  "HTTP/0.9 simple request": { observed: "status: tcpkit 400, nginx raw(1024B)", reason: SIMPLE },
  "HTTP/1.10": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: VGRAM,
  },
  "request line with trailing space": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: REQWS,
  },
  "two spaces after method": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: REQWS,
  },
  "LF-only line endings": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: LF,
  },
  "OPTIONS /": { observed: "status: tcpkit 200, nginx 405", reason: OPT },
  "OPTIONS *": {
    observed: "status: tcpkit 200, nginx 400; open: tcpkit true, nginx false",
    reason: OPTSTAR,
  },
  "OPTIONS /a.txt": { observed: "status: tcpkit 200, nginx 405", reason: OPT },
  "POST /a.txt no body": {
    observed: "#1 allow: tcpkit GET, HEAD, OPTIONS, nginx (none)",
    reason: ALLOW,
  },
  "POST /a.txt with body": {
    observed: "#1 allow: tcpkit GET, HEAD, OPTIONS, nginx (none)",
    reason: ALLOW,
  },
  "POST /missing": { observed: "status: tcpkit 405, nginx 404", reason: POSTMISS },
  "PUT /a.txt": { observed: "#1 allow: tcpkit GET, HEAD, OPTIONS, nginx (none)", reason: ALLOW },
  "DELETE /a.txt": { observed: "#1 allow: tcpkit GET, HEAD, OPTIONS, nginx (none)", reason: ALLOW },
  "PATCH /a.txt": { observed: "#1 allow: tcpkit GET, HEAD, OPTIONS, nginx (none)", reason: ALLOW },
  "TRACE /": {
    observed:
      "#1 allow: tcpkit GET, HEAD, OPTIONS, nginx (none); #1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: TRACE,
  },
  "CONNECT authority": {
    observed: "status: tcpkit 405, nginx 400; open: tcpkit true, nginx false",
    reason: CONNECT,
  },
  "unknown method FOO": { observed: "status: tcpkit 501, nginx 405", reason: M501 },
  "lowercase get": {
    observed: "status: tcpkit 501, nginx 400; open: tcpkit true, nginx false",
    reason: M501,
  },
  "mixed-case Get": {
    observed: "status: tcpkit 501, nginx 400; open: tcpkit true, nginx false",
    reason: M501,
  },
  "method with digit": {
    observed: "status: tcpkit 501, nginx 400; open: tcpkit true, nginx false",
    reason: M501,
  },
  "method with hyphen token": { observed: "status: tcpkit 501, nginx 405", reason: M501 },
  "very long method": { observed: "status: tcpkit 501, nginx 405", reason: M501 },
  "1.1 empty Host": {
    observed: "status: tcpkit 200, nginx 400; open: tcpkit true, nginx false",
    reason: EMPTYHOST,
  },
  "Host with userinfo": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: USERINFO,
  },
  "Host with bad port": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: HOSTPORT,
  },
  "Host with two colons": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: HOSTPORT,
  },
  "Host unclosed IP literal": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: HOSTPORT,
  },
  "Host ..": {
    observed: "status: tcpkit 200, nginx 400; open: tcpkit true, nginx false",
    reason: HOSTDOTS,
  },
  "absolute-form ftp scheme": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: FTP,
  },
  "absolute-form traversal": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "CL above body limit": { observed: "open: tcpkit false, nginx true", reason: E413 },
  "TE identity": { observed: "status: tcpkit 400, nginx 501", reason: TEFINAL },
  "TE chunked, identity": { observed: "status: tcpkit 400, nginx 501", reason: TEFINAL },
  "Expect 100-continue with body": { observed: "status: tcpkit 200, nginx 100,200", reason: C100 },
  "OPTIONS with body": { observed: "status: tcpkit 200, nginx 405", reason: OPT },
  "Expect 100-continue, body withheld": {
    observed: "status: tcpkit 100, nginx 100,200",
    reason: C100WAIT,
  },
  "field name with slash": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: FNAME,
  },
  "field name with high byte": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: FNAME,
  },
  "field value with control byte": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: FVALUE,
  },
  "field value with DEL": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: FVALUE,
  },
  "bare LF between fields": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: LF,
  },
  "high byte in target": {
    observed: "status: tcpkit 400, nginx 404; open: tcpkit false, nginx true",
    reason: RAW,
  },
  "fragment in target": {
    observed: "status: tcpkit 400, nginx 200; open: tcpkit false, nginx true",
    reason: FRAG,
  },
  "huge head (many fields)": {
    observed: "status: tcpkit 431, nginx 200; open: tcpkit false, nginx true",
    reason: HEADLIM,
  },
  "one 20 KiB field": { observed: "status: tcpkit 431, nginx 400", reason: LINE431 },
  "150 short fields": {
    observed: "status: tcpkit 431, nginx 200; open: tcpkit false, nginx true",
    reason: COUNTLIM,
  },
  "traversal ..": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "traversal deep ..": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "traversal %2e%2e": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "traversal %2E%2E upper": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "traversal .%2e": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "traversal ..%2f": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "traversal %2e%2e%2f": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "traversal dir%2f..%2f..": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "traversal %5c": { observed: "status: tcpkit 400, nginx 404", reason: BACKSLASH },
  "traversal %2e%2e%5c": { observed: "status: tcpkit 400, nginx 404", reason: BACKSLASH },
  "traversal backslash": { observed: "status: tcpkit 400, nginx 404", reason: BACKSLASH },
  "traversal dir backslash": { observed: "status: tcpkit 400, nginx 404", reason: BACKSLASH },
  "traversal %00": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "NUL escape in name": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "traversal many ..": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "traversal overlong UTF-8 dot": { observed: "status: tcpkit 400, nginx 404", reason: OVERLONG },
  "symlink out (file)": { observed: "status: tcpkit 404, nginx 200", reason: SYMLINK },
  "symlink out (folder)": { observed: "status: tcpkit 404, nginx 200", reason: SYMLINK },
  "symlink out folder listing": { observed: "status: tcpkit 404, nginx 200", reason: SYMLINK },
  "symlink out with Range": { observed: "status: tcpkit 404, nginx 206", reason: SYMLINK },
  "symlink out HEAD": { observed: "status: tcpkit 404, nginx 200", reason: SYMLINK },
  "symlink out folder (no slash)": { observed: "status: tcpkit 404, nginx 301", reason: SYMLINK },
  "symlink out via dot segments": { observed: "status: tcpkit 404, nginx 200", reason: SYMLINK },
  "symlink out absolute-form": { observed: "status: tcpkit 404, nginx 200", reason: SYMLINK },
  "symlink out with If-None-Match *": {
    observed: "status: tcpkit 404, nginx 304",
    reason: SYMLINK,
  },
  "precompressed sibling symlinked out": {
    observed: "#1 content-encoding: tcpkit (none), nginx gzip",
    reason: SIBOUT,
  },
  "precompressed sibling symlinked out, direct": {
    observed: "status: tcpkit 404, nginx 200",
    reason: SYMLINK,
  },
  "symlink in root to a dotfile": { observed: "status: tcpkit 404, nginx 200", reason: DOT },
  "traversal to secret-dir": {
    observed: "#1 connection-close: tcpkit false, nginx true; open: tcpkit true, nginx false",
    reason: KEEP400,
  },
  "dotfile .env": { observed: "status: tcpkit 404, nginx 200", reason: DOT },
  "dotfile .git/config": { observed: "status: tcpkit 404, nginx 200", reason: DOT },
  "dotfolder .git/": { observed: "status: tcpkit 404, nginx 200", reason: DOT },
  "dotfile encoded %2eenv": { observed: "status: tcpkit 404, nginx 200", reason: DOT },
  "hidden in listing folder": { observed: "status: tcpkit 404, nginx 200", reason: DOT },
  "If-Modified-Since future": { observed: "status: tcpkit 304, nginx 200", reason: IMSFUT },
  "If-Modified-Since lower-case GMT": {
    observed: "status: tcpkit 200, nginx 304",
    reason: DATECASE,
  },
  "If-None-Match on POST": {
    observed: "#1 allow: tcpkit GET, HEAD, OPTIONS, nginx (none)",
    reason: ALLOW,
  },
  "If-Match other": { observed: "open: tcpkit true, nginx false", reason: OPEN412 },
  "If-Match weak": { observed: "open: tcpkit true, nginx false", reason: OPEN412 },
  "If-Match garbage": { observed: "open: tcpkit true, nginx false", reason: OPEN412 },
  "If-Unmodified-Since old": { observed: "open: tcpkit true, nginx false", reason: OPEN412 },
  "If-Unmodified-Since garbage": {
    observed: "status: tcpkit 200, nginx 412; open: tcpkit true, nginx false",
    reason: IUSGARB,
  },
  "If-Match other + If-Unmodified-Since equal": {
    observed: "open: tcpkit true, nginx false",
    reason: OPEN412,
  },
  "Range reversed": { observed: "status: tcpkit 200, nginx 416", reason: RANGEINV },
  "Range no dash": { observed: "status: tcpkit 200, nginx 416", reason: RANGEINV },
  "Range negative start": { observed: "status: tcpkit 200, nginx 416", reason: RANGEINV },
  "Range huge numbers": { observed: "status: tcpkit 206, nginx 416", reason: RANGEHUGE },
  "Range on gzip sibling": { observed: "status: tcpkit 206, nginx 200", reason: RANGEGZ },
  "Range with POST": {
    observed: "#1 allow: tcpkit GET, HEAD, OPTIONS, nginx (none)",
    reason: ALLOW,
  },
  "pipelined OPTIONS then GET": { observed: "status: tcpkit 200,200, nginx 405,200", reason: OPT },
};

/**
 * The differences grouped by reason, as rows of cells for docs/CONFORMANCE.md: the cases, what
 * differs (each distinct observation once), and why.
 */
export function conformanceRows(): string[][] {
  const groups = new Map<string, { cases: string[]; observed: Set<string> }>();
  for (const [name, d] of Object.entries(DIFFERENCES)) {
    let g = groups.get(d.reason);
    if (g === undefined) groups.set(d.reason, (g = { cases: [], observed: new Set() }));
    g.cases.push(`\`${name}\``);
    g.observed.add(d.observed);
  }
  return [...groups].map(([reason, g]) => [
    g.cases.join(", "),
    [...g.observed].join("<br>"),
    reason,
  ]);
}

/** conformanceRows() as a Markdown table. */
export function conformanceMarkdown(): string {
  const row = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  return [
    row(["Cases", "Difference (tcpkit, nginx)", "Why"]),
    row(["---", "---", "---"]),
    ...conformanceRows().map(row),
  ].join("\n");
}

/** The rows of the Markdown table between `start` and `end` in `doc`, as trimmed cells. */
export function markdownRows(doc: string, start: string, end: string): string[][] {
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from === -1 || to === -1) return [];
  return doc
    .slice(from + start.length, to)
    .split("\n")
    .filter((l) => l.startsWith("|"))
    .slice(2)
    .map((l) =>
      l
        .slice(1, -1)
        .split(" | ")
        .map((c) => c.trim()),
    );
}
