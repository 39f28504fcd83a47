/**
 * --secure-headers: a wrapper that adds the usual protective response fields to whatever the
 * handlers after it answer (files, listings, errors, 401s): no MIME sniffing, no framing by other
 * sites (X-Frame-Options and CSP frame-ancestors: old and new browsers), no Referer sent to
 * other sites, and over TLS only, HSTS (RFC 6797 §7.2: a host must not send it over plain HTTP).
 * The answers the server makes itself (405/501, 400 to a malformed request, 408, 413, 431...)
 * never reach a handler: the same lines go to the server as its ownAnswerHeaders
 * (secureHeaderLines).
 */
import type { Handler, RequestContext, ResponsePlan } from "../http/types.js";

const COMMON =
  "X-Content-Type-Options: nosniff\r\n" +
  "X-Frame-Options: DENY\r\n" +
  "Content-Security-Policy: frame-ancestors 'none'\r\n" +
  "Referrer-Policy: no-referrer\r\n";
/** One year, the figure browsers' preload lists ask for; no includeSubDomains (not ours to say). */
const HSTS = "Strict-Transport-Security: max-age=31536000\r\n";

/** The lines for a server with TLS or without: ownAnswerHeaders for the server's own answers. */
export function secureHeaderLines(tls: boolean): string {
  return tls ? COMMON + HSTS : COMMON;
}

/** The wrapper; see the file comment. */
export function secureHeaders(): Handler {
  const add = (plan: ResponsePlan, context: RequestContext): ResponsePlan => ({
    ...plan,
    headers: plan.headers + (context.secure ? COMMON + HSTS : COMMON),
  });
  return (_head, context, next) => {
    const plan = next();
    return plan instanceof Promise ? plan.then((p) => add(p, context)) : add(plan, context);
  };
}
