/**
 * The reverse proxy (docs/front-end.md): requests under a route's prefix go to its back end, any
 * method, bodies streamed both ways; everything else goes to next(). A back end that cannot be
 * reached, fails before its head or sends a malformed one gives 502, one too slow gives 504, each
 * with one log line naming it; a request is sent twice only when it is idempotent, has no body,
 * and went out on a kept-alive connection the back end had closed meanwhile (RFC 9112 §9.3.1).
 * Upgrades (WebSocket) are tunnelled after the back end's 101.
 */
import { randomBytes } from "node:crypto";
import type { TlsTrust } from "../client/connect.js";
import { errorPlan } from "../http/error-plan.js";
import { withMethods } from "../http/handler-chain.js";
import { isToken } from "../http/header-fields.js";
import { getField, hasToken, requestAuthority, splitList } from "../http/header-lookup.js";
import { ANY_UNREGISTERED_METHOD, optionsPlan, REGISTERED_METHODS } from "../http/method-policy.js";
import type { Handler, RequestContext, RequestHead, ResponsePlan } from "../http/types.js";
import { formatHostPort } from "../net/address.js";
import type { TcpkitError } from "../util/tcpkit-error.js";
import {
  downstreamHeaders,
  frontOrigin,
  maxForwards,
  passedThrough,
  upstreamRequestHead,
  withMaxForwards,
} from "./forward-fields.js";
import {
  hasBadEscape,
  hasDotSegment,
  rewriteLocation,
  routeMatches,
  upstreamTarget,
  type ProxyRoute,
} from "./proxy-route.js";
import { tunnel } from "./tunnel.js";
import { callUpstream, NoResponseError, type UpstreamResponse } from "./upstream-call.js";
import { UpstreamPool, type UpstreamConnection } from "./upstream-pool.js";

export interface ReverseProxyOptions {
  /** The routes, most specific first is not required: the longest matching prefix wins. */
  readonly routes: readonly ProxyRoute[];
  /** Send the client's Host to the back end instead of the back end's own authority. */
  readonly keepHost?: boolean;
  /** Keep and append to the client's X-Forwarded-* and Forwarded (a proxy in front set them). */
  readonly trustForwarded?: boolean;
  /** To connect, TLS included (default 10 s; past it 504). */
  readonly connectTimeoutMs?: number;
  /**
   * Trust for https back ends (default: the system's CAs). `ca` replaces them, as in node:tls;
   * `untrustedHint` ends the error line of a refused certificate.
   */
  readonly trust?: TlsTrust;
  /** For the response head and any silence in the body (default 60 s; 504 before the head). */
  readonly readTimeoutMs?: number;
  /**
   * This proxy's name in Via (a token; default "tcpkit-" and 8 random hex digits, one per
   * reverseProxy()). A request whose Via already names it came back around: 508 Loop Detected.
   */
  readonly viaPseudonym?: string;
  /** One line per failed request, naming the back end (the CLI prints it on stderr). */
  readonly onError?: (line: string) => void;
}

/**
 * Methods forwarded: any method (RFC 9110 §9.1: a token; the request parser checked it), those of
 * the IANA registry (WebDAV's PROPFIND and MKCOL, REPORT, QUERY, ...) and the back end's own
 * (PURGE, ...), as nginx's proxy_pass and Caddy's reverse_proxy do, but three. TRACE asks the
 * final recipient to reflect the request (§9.3.8): passed on, it would echo the front end's
 * credentials and cookies back to a script (cross-site tracing), and "a client MUST NOT send
 * content" with it, so it has nothing a back end needs. CONNECT asks for a tunnel to the host
 * in its target (§9.3.6), which only a forward proxy gives; PRI is only HTTP/2's preface. The
 * server answers those three with 405 (registered, not declared here).
 */
export const PROXY_METHODS = [
  ...[...REGISTERED_METHODS].filter((m) => m !== "TRACE" && m !== "CONNECT" && m !== "PRI"),
  ANY_UNREGISTERED_METHOD,
];
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
/** The proxy's answer to OPTIONS as the final recipient: the registered methods it forwards. */
const OPTIONS_HERE = optionsPlan(
  "",
  `Allow: ${PROXY_METHODS.filter((m) => m !== ANY_UNREGISTERED_METHOD).join(", ")}\r\n`,
);
/** A request body's own limit: the back end decides; memory is bounded by backpressure. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;
/** The default read timeout (nginx's proxy_read_timeout). */
const READ_TIMEOUT_MS = 60_000;

/** The proxy handler for `options.routes`. */
export function reverseProxy(options: ReverseProxyOptions): Handler {
  const routes = [...options.routes].sort((a, b) => b.prefix.length - a.prefix.length);
  const pseudonym = options.viaPseudonym ?? `tcpkit-${randomBytes(4).toString("hex")}`;
  if (!isToken(pseudonym))
    throw new TypeError(`viaPseudonym must be a token (RFC 9110 §5.6.2): '${pseudonym}'`);
  const pool = new UpstreamPool({
    ...(options.connectTimeoutMs === undefined
      ? {}
      : { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.trust === undefined ? {} : { trust: options.trust }),
    readTimeoutMs: options.readTimeoutMs ?? READ_TIMEOUT_MS,
  });
  let poolWatched = false;
  return withMethods(PROXY_METHODS, (head, context, next) => {
    const route = routes.find((r) => routeMatches(r, head.path));
    if (route === undefined) return next();
    if (!poolWatched) {
      poolWatched = true;
      context.draining.addEventListener("abort", () => pool.close(), { once: true });
    }
    return forward(route, head, context, pool, pseudonym, options);
  });
}

async function forward(
  route: ProxyRoute,
  head: RequestHead,
  context: RequestContext,
  pool: UpstreamPool,
  pseudonym: string,
  options: ReverseProxyOptions,
): Promise<ResponsePlan> {
  if (hasDotSegment(head.path) || hasBadEscape(head.path)) return errorPlan(400);
  const target = upstreamTarget(route, head.path, head.query);
  // RFC 5842 §7.2's 508 Loop Detected (from WebDAV, the one status that says it).
  if (passedThrough(head, pseudonym)) {
    options.onError?.(`proxy ${route.origin}${target}: came back through this proxy (508)`);
    return errorPlan(508);
  }
  // RFC 9110 §7.6.2: an OPTIONS whose Max-Forwards is 0 stops here, a larger one goes on less 1.
  let fields = head.fields;
  if (head.method === "OPTIONS") {
    const hops = maxForwards(head);
    if (hops === 0) return OPTIONS_HERE;
    if (hops !== undefined) fields = withMaxForwards(fields, hops - 1);
  }
  const upgrade = upgradeOf(head);
  const length = context.body.length;
  const framing =
    length === undefined
      ? "chunked"
      : length > 0
        ? length
        : getField(head, "content-length") !== undefined
          ? 0
          : "none";
  const proto = context.secure ? "https" : "http";
  const clientHost = requestAuthority(head);
  const requestHead = upstreamRequestHead({
    method: head.method,
    version: head.version,
    pseudonym,
    target,
    fields,
    host:
      options.keepHost === true
        ? (clientHost ?? route.upstream.authority)
        : route.upstream.authority,
    clientHost,
    clientAddress: context.remoteAddress,
    proto,
    trustForwarded: options.trustForwarded === true,
    framing,
    upgrade,
  });
  const body =
    (typeof framing === "number" && framing > 0) || framing === "chunked"
      ? context.body.stream({ limit: NO_LIMIT })
      : undefined;
  const canRetry = body === undefined && IDEMPOTENT.has(head.method);
  let conn: UpstreamConnection | undefined;
  let response: UpstreamResponse;
  for (let attempt = 0; ; attempt++) {
    try {
      conn =
        pool.take(route.origin) ?? (await pool.dial(route.upstream, route.origin, context.signal));
      const reused = conn.reused;
      try {
        response = await callUpstream(conn, head.method, requestHead, {
          body,
          chunked: framing === "chunked",
          readTimeoutMs: options.readTimeoutMs ?? READ_TIMEOUT_MS,
          onInterim: (h) =>
            context.sendInterim(
              h.status,
              downstreamHeaders(h.fields, h.version, (v) => v, pseudonym),
            ),
          onReusable: upgrade === undefined ? (c) => pool.release(c) : (c) => c.destroy(),
          clientSignal: () => context.signal,
        });
      } catch (err) {
        if (err instanceof NoResponseError && reused && canRetry && attempt === 0) continue;
        throw err;
      }
      break;
    } catch (err) {
      // The client went away or ended its side: the back end was let go; a client that only
      // half-closed reads that the request was not carried through.
      if (context.signal.aborted) return { ...errorPlan(502), close: true };
      const status = (err as TcpkitError).code === "ERR_TIMEOUT" ? 504 : 502;
      options.onError?.(`proxy ${route.origin}${target}: ${(err as Error).message} (${status})`);
      return { ...errorPlan(status), close: body !== undefined };
    }
  }
  // Redirects point where the client came in: a trusted proxy's origin, else this server's
  // (without a Host, HTTP/1.0: its socket's address), never the back end's authority.
  // Worked out only for a response with a Location: most have none.
  const front = (): string =>
    frontOrigin(
      head,
      options.trustForwarded === true,
      proto,
      formatHostPort(context.localAddress, context.localPort),
    );
  const rh = response.head;
  let headers = downstreamHeaders(
    rh.fields,
    rh.version,
    (v) => rewriteLocation(route, v, front()),
    pseudonym,
  );
  if (rh.status === 101) {
    const upstreamSocket = (conn as UpstreamConnection).detach();
    if (upgrade === undefined) {
      upstreamSocket.destroy();
      options.onError?.(
        `proxy ${route.origin}${target}: 101 to a request that asked for no upgrade (502)`,
      );
      return errorPlan(502);
    }
    headers += `Connection: Upgrade\r\nUpgrade: ${getField(rh, "upgrade") ?? upgrade}\r\n`;
    const rest = response.rest;
    context.signal.addEventListener("abort", () => upstreamSocket.destroy(), { once: true });
    return {
      status: 101,
      headers,
      body: {
        kind: "upgrade",
        onUpgrade: (socket, buffered) =>
          tunnel(socket, buffered, upstreamSocket, rest, context.draining),
      },
    };
  }
  const bodyAllowed = rh.status >= 200 && rh.status !== 204 && rh.status !== 304;
  if (!bodyAllowed) return { status: rh.status, headers, body: { kind: "none" } };
  const stream = response.body;
  // A body that came whole with the head goes out with the server's head in one write. As one
  // segment, not as bytes: each back-end body is seen once, and the server's prebuilt cache of
  // repeated bodies (a WeakMap entry per new body) would only cost here.
  if (Buffer.isBuffer(stream))
    return { status: rh.status, headers, body: { kind: "segments", segments: [stream] } };
  // A client that sends its FIN (gone, or half-closed: the same until a write fails) stops the
  // back end's response, as nginx does: its connection is closed, never pooled mid-response.
  const untilClientEnds = true;
  return response.length === undefined
    ? { status: rh.status, headers, body: { kind: "stream", stream, untilClientEnds } }
    : {
        status: rh.status,
        headers,
        body: { kind: "stream", stream, length: response.length, untilClientEnds },
      };
}

/**
 * The protocol a request asks to switch to (RFC 9110 §7.8), on HTTP/1.1 only. Never h2c
 * (HTTP/2 over cleartext, whose Upgrade RFC 9113 §3.1 deprecates): after its 101 the tunnel
 * would carry HTTP/2 requests for any path of the back end, past the route's prefix mapping and
 * its dot-segment checks ("h2c smuggling"). Such a request goes on as a plain one, without
 * Upgrade, as Go's ReverseProxy and YARP do.
 */
function upgradeOf(head: RequestHead): string | undefined {
  if (head.version !== 11 || !hasToken(head, "connection", "upgrade")) return undefined;
  const upgrade = getField(head, "upgrade");
  if (upgrade === undefined || splitList(upgrade).some((p) => /^h2c(?:\/|$)/i.test(p)))
    return undefined;
  return upgrade;
}
