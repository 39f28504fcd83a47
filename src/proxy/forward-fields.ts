/**
 * The header fields a reverse proxy forwards (RFC 9110 §7.6), both ways. Pure: fields in, a
 * header block out. Hop-by-hop fields (§7.6.1: Connection and the fields it names, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, and the proxy credentials fields;
 * HTTP2-Settings too)
 * describe one connection and are never passed on; framing is the receiving side's own (the
 * request framing here, the response framing by the server). Via is added both ways (§7.6.3);
 * the client's address and the front end's scheme and Host go to the back end as
 * X-Forwarded-For/-Proto/-Host, X-Real-IP and Forwarded (RFC 7239), replacing whatever the client
 * sent unless the proxy in front of tcpkit is trusted to have set them.
 */
import { getField, type HasFields, requestAuthority, splitList } from "../http/header-lookup.js";

/**
 * Our Via entry (RFC 9110 §7.6.3): the protocol version of the message as tcpkit received it
 * (the client's request, the back end's response), then our pseudonym ("tcpkit-3f9c01d2": one
 * per proxy instance, so that a request coming back to it is seen: see passedThrough).
 */
function via(version: 10 | 11, pseudonym: string): string {
  return `${version === 10 ? "1.0" : "1.1"} ${pseudonym}`;
}

/**
 * True when a Via entry of `head` names `pseudonym` as its received-by (RFC 9110 §7.6.3:
 * "1.1 tcpkit-3f9c01d2"): the request already went through this proxy, so forwarding it again
 * would loop (a route to the server itself, two proxies routed at each other) until file
 * descriptors run out.
 */
export function passedThrough(head: { fields: readonly string[] }, pseudonym: string): boolean {
  const value = getField(head, "via");
  if (value === undefined || !value.includes(pseudonym)) return false;
  return splitList(value).some((entry) => entry.split(/[ \t]+/)[1] === pseudonym);
}

/**
 * The Max-Forwards value of an OPTIONS request (RFC 9110 §7.6.2: a proxy answers one at 0 as its
 * final recipient and passes a larger one on decremented), or undefined when absent or not
 * 1*DIGIT (then it goes on as it came, as in Apache's mod_proxy). TRACE, the other method it
 * applies to, is refused by this proxy.
 */
export function maxForwards(head: HasFields): number | undefined {
  const value = getField(head, "max-forwards");
  return value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

/** `fields` with the value of Max-Forwards replaced by `hops`. */
export function withMaxForwards(fields: readonly string[], hops: number): string[] {
  const out = [...fields];
  for (let i = 0; i < out.length; i += 2) if (out[i] === "max-forwards") out[i + 1] = `${hops}`;
  return out;
}

/** What the proxy does with a field, by name: bits of FieldRole, 0 for "pass it on". */
const enum FieldRole {
  /** Hop-by-hop (RFC 9110 §7.6.1): never passed on, either way. */
  Hop = 1,
  /** Request fields set by the proxy itself (framing, Host, Via, Expect). */
  SetOnRequests = 2,
  /** The forwarding fields, set by the proxy: replaced, or appended to when trusted. */
  Forwarding = 4,
  /** Response fields the server writes itself (framing, Date) or the proxy rewrites (Via). */
  SetOnResponses = 8,
  /**
   * `Proxy` is no HTTP field: CGI servers make it HTTP_PROXY, which HTTP client libraries in the
   * back end take for their outgoing proxy ("httpoxy", CVE-2016-5385; nginx's advice is
   * `proxy_set_header Proxy ""`). Never forwarded on requests.
   */
  NotForRequests = 16,
}

const ROLES: [string, number][] = [
  ...[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-authenticate",
    "proxy-authorization",
    // h2c's upgrade settings (RFC 7540 §3.2.1: for the next hop only); h2c is never forwarded
    "http2-settings",
  ].map((n): [string, number] => [n, FieldRole.Hop]),
  ["host", FieldRole.SetOnRequests],
  ["expect", FieldRole.SetOnRequests],
  ["content-length", FieldRole.SetOnRequests | FieldRole.SetOnResponses],
  ["via", FieldRole.SetOnRequests | FieldRole.SetOnResponses],
  ["date", FieldRole.SetOnResponses],
  ["proxy", FieldRole.NotForRequests],
  ...["x-real-ip", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded"].map(
    (n): [string, number] => [n, FieldRole.Forwarding],
  ),
];

/** A field name's role and its canonical spelling, found with one lookup per field. */
interface NameInfo {
  readonly role: number;
  readonly canonical: string;
}

/** The names seen so far (bounded: peers vary), and those with a role from the start. */
const NAMES = new Map<string, NameInfo>(
  ROLES.map(([name, role]) => [name, { role, canonical: spelled(name) }]),
);
const NAMES_MAX = 512;

function nameInfo(name: string): NameInfo {
  const known = NAMES.get(name);
  if (known !== undefined) return known;
  const info = { role: 0, canonical: spelled(name) };
  if (NAMES.size < NAMES_MAX) NAMES.set(name, info);
  return info;
}

/** What the back end's request head is built from besides the client's fields. */
export interface ForwardRequest {
  readonly method: string;
  /** The client's HTTP version (for Via). */
  readonly version: 10 | 11;
  /** This proxy's Via pseudonym. */
  readonly pseudonym: string;
  /** The back end's request-target. */
  readonly target: string;
  /** The client's request fields (a RequestHead's flat list). */
  readonly fields: readonly string[];
  /** Host for the back end: its authority, or the client's Host with --proxy-keep-host. */
  readonly host: string;
  /** The authority the client named (requestAuthority: absolute-form's, else Host), if any. */
  readonly clientHost: string | undefined;
  readonly clientAddress: string;
  /** "https" when the client came over TLS. */
  readonly proto: "http" | "https";
  /** Append to the client's X-Forwarded-For/Forwarded (a trusted proxy set them) or replace. */
  readonly trustForwarded: boolean;
  /** Content-Length of the body to send, "chunked" for one of unknown length, or none. */
  readonly framing: number | "chunked" | "none";
  /** The Upgrade value to pass on (a WebSocket handshake), or undefined. */
  readonly upgrade: string | undefined;
}

/** The back end's request head, ending with the blank line. */
export function upstreamRequestHead(r: ForwardRequest): string {
  const head = { fields: r.fields };
  const named = connectionNamed(head);
  let out = `${r.method} ${r.target} HTTP/1.1\r\nHost: ${r.host}\r\n`;
  const f = r.fields;
  const dropped =
    FieldRole.Hop | FieldRole.SetOnRequests | FieldRole.Forwarding | FieldRole.NotForRequests;
  for (let i = 0; i < f.length; i += 2) {
    const name = f[i] as string;
    const info = nameInfo(name);
    // The forwarding fields are set below: replaced, or appended to when trusted.
    if ((info.role & dropped) !== 0 || (named.size !== 0 && named.has(name))) continue;
    // Spelled with underscores the forwarding fields are dropped too, trusted or not: CGI, PHP
    // and WSGI servers map X_Forwarded_For and X-Forwarded-For to one HTTP_X_FORWARDED_FOR,
    // where the client's value would stand beside or before ours (nginx drops such names by
    // default).
    if (name.includes("_") || name.startsWith("x-forwarded-")) {
      const dashed = name.replaceAll("_", "-");
      if ((nameInfo(dashed).role & FieldRole.Forwarding) !== 0) continue;
      // The other X-Forwarded-* (-Port, -Prefix, -Ssl, -Scheme, -Server) say what a proxy in
      // front saw; a back end behind this one believes them (Rack takes X-Forwarded-Ssl: on
      // for https, Spring and ProxyFix build links from -Port and -Prefix). A client's are lies.
      if (!r.trustForwarded && dashed.startsWith("x-forwarded-")) continue;
    }
    out += `${info.canonical}: ${f[i + 1] as string}\r\n`;
  }
  out += `Via: ${joined(getField(head, "via"), via(r.version, r.pseudonym))}\r\n`;
  const host = r.clientHost;
  const earlier = r.trustForwarded ? getField(head, "x-forwarded-for") : undefined;
  out += `X-Forwarded-For: ${joined(earlier, r.clientAddress)}\r\n`;
  // One address, the client's (nginx's usual `proxy_set_header X-Real-IP $remote_addr`); a
  // trusted proxy in front already named the client it came from.
  const realIp = r.trustForwarded ? getField(head, "x-real-ip") : undefined;
  out += `X-Real-IP: ${realIp ?? r.clientAddress}\r\n`;
  const proto = r.trustForwarded ? (getField(head, "x-forwarded-proto") ?? r.proto) : r.proto;
  out += `X-Forwarded-Proto: ${proto}\r\n`;
  const forwardedHost = r.trustForwarded ? (getField(head, "x-forwarded-host") ?? host) : host;
  if (forwardedHost !== undefined) out += `X-Forwarded-Host: ${forwardedHost}\r\n`;
  const earlierForwarded = r.trustForwarded ? getField(head, "forwarded") : undefined;
  out += `Forwarded: ${joined(earlierForwarded, forwardedElement(r.clientAddress, r.proto, host))}\r\n`;
  if (typeof r.framing === "number") out += `Content-Length: ${r.framing}\r\n`;
  else if (r.framing === "chunked") out += "Transfer-Encoding: chunked\r\n";
  if (r.upgrade !== undefined) out += `Connection: Upgrade\r\nUpgrade: ${r.upgrade}\r\n`;
  return out + "\r\n";
}

/**
 * The header block of the client's response from the back end's fields: hop-by-hop and framing
 * fields dropped, Via appended, a Location that points at the back end mapped by `location`.
 */
export function downstreamHeaders(
  fields: readonly string[],
  /** The back end's response version (for Via). */
  version: 10 | 11,
  location: (value: string) => string,
  /** This proxy's Via pseudonym. */
  pseudonym: string,
): string {
  const head = { fields };
  const named = connectionNamed(head);
  let out = "";
  const dropped = FieldRole.Hop | FieldRole.SetOnResponses;
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string;
    const info = nameInfo(name);
    if ((info.role & dropped) !== 0 || (named.size !== 0 && named.has(name))) continue;
    const value = fields[i + 1] as string;
    out += `${info.canonical}: ${name === "location" ? location(value) : value}\r\n`;
  }
  return out + `Via: ${joined(getField(head, "via"), via(version, pseudonym))}\r\n`;
}

/**
 * The origin the client reached ("https://example.com"), for the Location of a redirect to the
 * back end. Behind a trusted proxy (--trust-proxy) that is the proxy's: the first
 * X-Forwarded-Proto/-Host (else the first Forwarded element's proto=/host=, RFC 7239 §5.3-4);
 * a value that is no http(s) scheme or no plain authority is ignored. Otherwise, and for what
 * the proxy did not say: this server's scheme, then the authority the request named (an
 * absolute-form target's, else Host), then `local` (the
 * address the client connected to: an HTTP/1.0 request may have no Host).
 */
export function frontOrigin(
  head: HasFields & { readonly target: string },
  trusted: boolean,
  proto: "http" | "https",
  local: string,
): string {
  let scheme: string | undefined;
  let authority: string | undefined;
  if (trusted) {
    const forwarded = firstForwarded(getField(head, "forwarded"));
    scheme = firstOf(getField(head, "x-forwarded-proto")) ?? forwarded.get("proto");
    authority = firstOf(getField(head, "x-forwarded-host")) ?? forwarded.get("host");
    if (scheme !== undefined && !/^https?$/i.test(scheme)) scheme = undefined;
    if (authority !== undefined && !AUTHORITY.test(authority)) authority = undefined;
  }
  return `${scheme?.toLowerCase() ?? proto}://${authority ?? requestAuthority(head) ?? local}`;
}

/** host[:port], with an IPv6 literal in brackets (RFC 3986 §3.2): nothing to break a URL. */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+;=-]+)(?::\d{1,5})?$/;

function firstOf(list: string | undefined): string | undefined {
  return list === undefined ? undefined : splitList(list)[0];
}

/** The parameters of the first element of a Forwarded value (RFC 7239 §4), names lower-cased. */
function firstForwarded(value: string | undefined): Map<string, string> {
  const params = new Map<string, string>();
  if (value === undefined) return params;
  const pair = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)=("(?:[^"\\]|\\.)*"|[^;,\s"]*)\s*([;,]?)/y;
  for (let m = pair.exec(value); m !== null; m = pair.exec(value)) {
    const raw = m[2] as string;
    const v = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, "$1") : raw;
    params.set((m[1] as string).toLowerCase(), v);
    if (m[3] !== ";") break; // "," ends the first element; "" the value
  }
  return params;
}

/** The field names a Connection field lists (RFC 9110 §7.6.1), lower-cased. */
function connectionNamed(head: { fields: readonly string[] }): Set<string> {
  const value = getField(head, "connection");
  // The usual values name nothing beyond the hop-by-hop fields (a Set per message otherwise).
  if (value === undefined || /^(?:keep-alive|close)$/i.test(value)) return EMPTY;
  return new Set(splitList(value).map((n) => n.toLowerCase()));
}
const EMPTY = new Set<string>();

function joined(earlier: string | undefined, entry: string): string {
  return earlier === undefined || earlier === "" ? entry : `${earlier}, ${entry}`;
}

/** One Forwarded element (RFC 7239 §4): IPv6 addresses and host values quoted. */
function forwardedElement(address: string, proto: string, host: string | undefined): string {
  // A socket's peer address: IPv6 exactly when it has a colon (net.isIPv6's regex cost ~1 µs).
  const node = address.includes(":") ? `"[${address}]"` : address;
  const hostPart = host === undefined ? "" : `;host=${quoteIfNeeded(host)}`;
  return `for=${node}${hostPart};proto=${proto}`;
}

function quoteIfNeeded(value: string): string {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value)
    ? value
    : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** "content-type" → "Content-Type" (field names are case-insensitive; this is for readers). */
function spelled(name: string): string {
  let out = "";
  let upper = true;
  for (let i = 0; i < name.length; i++) {
    const c = name[i] as string;
    out += upper ? c.toUpperCase() : c;
    upper = c === "-";
  }
  return out;
}
