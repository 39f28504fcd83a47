/**
 * One `--proxy PREFIX=URL` route: which request paths it takes and the back end's target for
 * each. Pure. The rule is nginx's `proxy_pass`: a URL without a path keeps the request's path
 * (`/api=http://b:3000`: /api/x → /api/x); a URL with one replaces the prefix
 * (`/api=http://b:3000/v1`: /api/x → /v1/x), and redirects are mapped back the same way.
 */
import { parseRequestUrl, type RequestUrl } from "../client/request-url.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** A parsed route. */
export interface ProxyRoute {
  /** The path prefix, "/api" (no trailing slash unless it is "/"). */
  readonly prefix: string;
  /** The back end: scheme, host, port, authority ("host:port" as Host sends it). */
  readonly upstream: RequestUrl;
  /** The path that replaces `prefix`, or undefined to keep the request's path as it is. */
  readonly replace: string | undefined;
  /** "http://b:3000", the back end's origin, for messages and Location rewriting. */
  readonly origin: string;
}

/** Parses "PREFIX=URL"; throws TcpkitError (ERR_INVALID_ARGUMENT) with a one-line reason. */
export function parseProxyRoute(text: string): ProxyRoute {
  const eq = text.indexOf("=");
  if (eq < 0) throw invalid(`'${text}' is not PREFIX=URL (e.g. /api=http://127.0.0.1:3000)`);
  let prefix = text.slice(0, eq);
  const urlText = text.slice(eq + 1);
  if (!prefix.startsWith("/") || /[\s?#%]/.test(prefix) || hasDotSegment(prefix)) {
    throw invalid(`prefix '${prefix}' must be a plain path starting with /`);
  }
  if (prefix.length > 1 && prefix.endsWith("/")) prefix = prefix.slice(0, -1);
  let upstream: RequestUrl;
  try {
    upstream = parseRequestUrl(urlText);
  } catch (err) {
    throw invalid(`'${urlText}': ${(err as Error).message}`);
  }
  if (/[?#]/.test(urlText)) throw invalid(`'${urlText}': a back end URL has no query`);
  // Whether the text names a path: "http://b:3000" and "http://b:3000/" differ, as in nginx.
  const afterScheme = urlText.slice(urlText.indexOf("//") + 2);
  const slash = afterScheme.indexOf("/");
  let replace: string | undefined;
  if (slash >= 0) {
    replace = afterScheme.slice(slash);
    if (replace.length > 1 && replace.endsWith("/")) replace = replace.slice(0, -1);
    if (replace === "/") replace = "";
  }
  const origin = `${upstream.scheme}://${upstream.authority}`;
  return { prefix, upstream, replace, origin };
}

/** True when `path` (still percent-encoded) is under the route's prefix, on a segment boundary. */
export function routeMatches(route: ProxyRoute, path: string): boolean {
  const prefix = route.prefix;
  if (prefix === "/") return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 0x2f;
}

/** The back end's request-target for `path` and `query` (path already matched). */
export function upstreamTarget(route: ProxyRoute, path: string, query: string): string {
  let out = path;
  if (route.replace !== undefined) {
    const rest = route.prefix === "/" ? path : path.slice(route.prefix.length);
    out = route.replace + rest;
    if (out === "") out = "/";
  }
  return query === "" ? out : `${out}?${query}`;
}

/**
 * A dot segment ("." or "..", also percent-encoded) in a path: refused for proxied requests,
 * so that /api/../admin cannot step outside what a path-replacing route maps. The target goes
 * on still encoded, so what the back end takes for a segment counts too: many decode before
 * they resolve dot segments (python's http.server: /v1/..%2fadmin is /admin there), Windows
 * and IIS take a backslash (%5c) for a slash, and Tomcat, Jetty and Spring drop a segment's
 * `;parameters` first (`..;` is `..` there). Such a dot segment is refused as well.
 */
export function hasDotSegment(path: string): boolean {
  // Every dot segment starts after "/" (or "%2f", "%5c") with "." or "%2e": the usual path
  // has neither "." after a slash nor "%2", "%5": no split then.
  if (!path.includes("/.") && !path.includes("%2") && !path.includes("%5") && !path.startsWith("."))
    return false;
  for (const segment of path.toLowerCase().split(/\/|%2f|%5c/)) {
    const semicolon = segment.search(/;|%3b/);
    const name = (semicolon < 0 ? segment : segment.slice(0, semicolon)).replaceAll("%2e", ".");
    if (name === "." || name === "..") return true;
  }
  return false;
}

/**
 * A `%` not followed by two hex digits (RFC 3986 §2.1): refused for proxied requests, as nginx
 * does, since back ends read it each in their own way (IIS takes `%u002e` for ".").
 */
export function hasBadEscape(path: string): boolean {
  return path.includes("%") && /%(?![0-9a-fA-F]{2})/.test(path);
}

/**
 * The front end's URL for a `Location` that points at the back end (nginx's `proxy_redirect
 * default`): the back end's origin becomes `front` ("http://localhost:8080"), and a replaced
 * path prefix becomes the route's prefix again. Anything else, a path outside the route among
 * it, is returned unchanged.
 */
export function rewriteLocation(route: ProxyRoute, location: string, front: string): string {
  let rest = pathAtOrigin(route, location);
  if (rest !== undefined) {
    // the origin alone, or with a query or fragment right after it: its path is "/"
    if (!rest.startsWith("/")) rest = `/${rest}`;
  } else if (location.startsWith("/") && !location.startsWith("//")) {
    rest = location;
  } else {
    return location;
  }
  // Only what the route maps is mapped back: a back-end path outside it (the back end's
  // /other for `/api=http://b/v1`) would land on some other resource of this server, so such a
  // Location stays as the back end wrote it, as with nginx's proxy_redirect.
  if (route.replace !== undefined) {
    const base = route.replace;
    const prefix = route.prefix === "/" ? "" : route.prefix;
    if (base === "") rest = prefix + rest;
    else if (rest === base || rest.startsWith(base + "/") || /^[?#]/.test(rest.slice(base.length)))
      rest = prefix + rest.slice(base.length);
    else return location;
  } else if (!routeMatches(route, /^[^?#]*/.exec(rest)?.[0] ?? rest)) {
    return location;
  }
  if (rest === "") rest = "/";
  // A relative path mapped back under the route `/` can begin "//" or "/\\" (the back end's
  // /v1//evil.example/ is //evil.example/ here), which a browser reads as another host's URL
  // (WHATWG URL: a backslash is a slash in http URLs, and tabs are dropped): this origin's
  // path, made absolute.
  if (location.startsWith("/") && !/^\/\t*[/\\]/.test(rest)) return rest;
  return front + rest;
}

/**
 * What follows the origin of `location` when it is the back end's (scheme and host in any case,
 * RFC 3986 §6.2.2.1; its default port written or not, §6.2.3), else undefined.
 */
function pathAtOrigin(route: ProxyRoute, location: string): string | undefined {
  // The usual case: the origin exactly as the route spells it.
  if (location.startsWith(route.origin)) {
    const next = location.charCodeAt(route.origin.length);
    if (Number.isNaN(next) || next === 0x2f || next === 0x3f || next === 0x23)
      return location.slice(route.origin.length);
  }
  const m = /^([a-z][a-z\d+.-]*:\/\/[^/?#]*)/i.exec(location);
  if (m === null) return undefined;
  const origin = (m[1] as string)
    .toLowerCase()
    .replace(/^(http:\/\/[^/]*):80$/, "$1")
    .replace(/^(https:\/\/[^/]*):443$/, "$1");
  return origin === route.origin ? location.slice((m[1] as string).length) : undefined;
}

function invalid(message: string): TcpkitError {
  return new TcpkitError("ERR_INVALID_ARGUMENT", message);
}
