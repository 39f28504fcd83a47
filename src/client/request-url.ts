/**
 * URLs as the client sends them: scheme, host, port and the request-target exactly as the user
 * typed it. WHATWG URL is used only to check the host; its path rules would re-encode and resolve
 * `%2e%2e` and `..`, which a download client must not do behind the user's back.
 */
import { isIPv6 } from "node:net";
import { trimOws } from "../http/header-fields.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** A parsed http or https URL, ready to connect to and to write on a request line. */
export interface RequestUrl {
  readonly scheme: "http" | "https";
  /** Host name (lower case) or IP literal, without IPv6 brackets: what node:net connects to. */
  readonly host: string;
  readonly port: number;
  /** The Host field value (RFC 9110 §7.2): host, brackets for IPv6, port when not the default. */
  readonly authority: string;
  /** origin-form request-target (RFC 9112 §3.2.1): path and query as typed, fragment dropped. */
  readonly target: string;
  /** scheme://authority/target, for messages and redirect-loop detection. */
  readonly href: string;
}

const DEFAULT_PORTS = { http: 80, https: 443 } as const;
const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/;

/**
 * Parses an absolute http(s) URL (a URL without a scheme is taken as http://, as wget does).
 * Percent-encoding and dot segments in the path are kept as given; only bytes that cannot appear
 * on a request line (controls, space, non-ASCII, `"<>\`{}` and backslash) are percent-encoded.
 * Throws TcpkitError ERR_INVALID_URL with a one-line reason.
 */
export function parseRequestUrl(text: string): RequestUrl {
  const input = text.includes("://") ? text : `http://${text}`;
  const match = URL_SHAPE.exec(input);
  if (match === null) throw invalid(text, "not an absolute URL");
  const scheme = (match[1] as string).toLowerCase();
  if (scheme !== "http" && scheme !== "https") {
    throw invalid(text, `unsupported scheme '${scheme}' (only http and https)`);
  }
  const rawAuthority = match[2] as string;
  if (rawAuthority.includes("@")) throw invalid(text, "credentials in URLs are not supported");
  if (rawAuthority === "") throw invalid(text, "no host");
  // WHATWG URL would drop tabs and line breaks from the host; a URL with any is not one.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f]/.test(rawAuthority)) throw invalid(text, "bad host or port");
  let parsed: URL;
  try {
    parsed = new URL(`${scheme}://${rawAuthority}/`);
  } catch {
    throw invalid(text, "bad host or port");
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const port = parsed.port === "" ? DEFAULT_PORTS[scheme] : Number(parsed.port);
  if (port === 0) throw invalid(text, "port 0");
  const hostPart = isIPv6(host) ? `[${host}]` : host;
  const authority = parsed.port === "" ? hostPart : `${hostPart}:${port}`;
  const target = encodeTarget(match[3] as string);
  return { scheme, host, port, authority, target, href: `${scheme}://${authority}${target}` };
}

/**
 * Resolves a Location field value against the URL that answered with it (RFC 9110 §10.2.2,
 * RFC 3986 §5). An absolute URL or an absolute path is used as sent; other relative forms are
 * resolved with WHATWG URL.
 */
export function resolveLocation(base: RequestUrl, location: string): RequestUrl {
  const value = encodeObsText(trimOws(location));
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) return parseRequestUrl(value);
  if (value.startsWith("/") && !value.startsWith("//")) {
    const target = encodeTarget(value.replace(/#.*$/s, ""));
    return { ...base, target, href: `${base.scheme}://${base.authority}${target}` };
  }
  let resolved: URL;
  try {
    resolved = new URL(value, base.href);
  } catch {
    throw invalid(value, "bad Location in a redirect");
  }
  return parseRequestUrl(resolved.href);
}

/**
 * A field value comes from the response head as latin1, one character per byte; a byte above 0x7F
 * in a Location (a server writing UTF-8 "é" as C3 A9) is that byte, percent-encoded: %C3%A9, as
 * curl and wget send it. Encoding the characters instead would send the UTF-8 of two latin1
 * characters (%C3%83%C2%A9), a path the server never named.
 */
function encodeObsText(value: string): string {
  return value.replace(/[\x80-\xff]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The path and query, "/" when the path is empty, with unsendable bytes percent-encoded. */
function encodeTarget(pathAndQuery: string): string {
  const raw =
    pathAndQuery === "" || pathAndQuery.startsWith("?") ? `/${pathAndQuery}` : pathAndQuery;
  let out = "";
  for (const char of raw) {
    const code = char.codePointAt(0) as number;
    if (code <= 0x20 || code >= 0x7f || '"<>`{}\\'.includes(char)) {
      for (const byte of Buffer.from(char, "utf8")) {
        out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
      }
    } else {
      out += char;
    }
  }
  return out;
}

function invalid(text: string, reason: string): TcpkitError {
  const cut = text.length > 100 ? `${text.slice(0, 100)}...` : text;
  // eslint-disable-next-line no-control-regex
  const shown = cut.replace(/[\x00-\x1f\x7f]/g, "?");
  return new TcpkitError("ERR_INVALID_URL", `invalid URL '${shown}': ${reason}`);
}
