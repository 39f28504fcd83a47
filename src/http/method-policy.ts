/**
 * Which methods the server serves (DESIGN §3, RFC 9110 §9): GET and HEAD go to the handler;
 * OPTIONS is answered with Allow; other registered methods get 405 with Allow; methods nobody
 * registered get 501. Shared with handlers so that they answer OPTIONS the same way.
 */
import type { ResponsePlan } from "./types.js";

/** What a read-only server allows (RFC 9110 §10.2.1 Allow). */
export const ALLOWED_METHODS = "GET, HEAD, OPTIONS";

/** The Allow header line handlers and the server put on 405 and OPTIONS answers. */
export const ALLOW_HEADER = `Allow: ${ALLOWED_METHODS}\r\n`;

/**
 * Methods in the IANA HTTP Method Registry (plus QUERY, in the registry since 2024). Methods are
 * case-sensitive (RFC 9110 §9.1): "get" is not GET and gets 501.
 */
const REGISTERED_METHODS = new Set([
  "ACL",
  "BASELINE-CONTROL",
  "BIND",
  "CHECKIN",
  "CHECKOUT",
  "CONNECT",
  "COPY",
  "DELETE",
  "GET",
  "HEAD",
  "LABEL",
  "LINK",
  "LOCK",
  "MERGE",
  "MKACTIVITY",
  "MKCALENDAR",
  "MKCOL",
  "MKREDIRECTREF",
  "MKWORKSPACE",
  "MOVE",
  "OPTIONS",
  "ORDERPATCH",
  "PATCH",
  "POST",
  "PRI",
  "PROPFIND",
  "PROPPATCH",
  "PUT",
  "QUERY",
  "REBIND",
  "REPORT",
  "SEARCH",
  "TRACE",
  "UNBIND",
  "UNCHECKOUT",
  "UNLINK",
  "UNLOCK",
  "UPDATE",
  "UPDATEREDIRECTREF",
  "VERSION-CONTROL",
]);

/** What to do with a request method: serve it, 405 (registered but not allowed), 501 (unknown). */
export type MethodDecision = "serve" | "not-allowed" | "not-implemented";

/** "serve" for GET, HEAD, OPTIONS; "not-allowed" (405) for other registered methods; else 501. */
export function classifyMethod(method: string): MethodDecision {
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return "serve";
  return REGISTERED_METHODS.has(method) ? "not-allowed" : "not-implemented";
}

const OPTIONS_PLAN: ResponsePlan = {
  status: 200,
  headers: ALLOW_HEADER,
  body: { kind: "none" },
};

/**
 * The default answer to OPTIONS (RFC 9110 §9.3.7): 200 with Allow and an empty body
 * (Content-Length: 0). Handlers return it for OPTIONS on a resource; the server returns it
 * itself for `OPTIONS *`.
 */
export function optionsPlan(): ResponsePlan {
  return OPTIONS_PLAN;
}
