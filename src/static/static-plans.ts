/**
 * The fixed responses serveStatic gives besides files and errors (http/error-plan.ts): redirects,
 * 304 and CORS preflight. Each carries the site's own header lines.
 */
import { trimOws } from "../http/header-fields.js";
import { ALLOWED_METHODS } from "../http/method-policy.js";
import { getField } from "../http/header-lookup.js";
import type { RequestHead, ResponsePlan } from "../http/types.js";

/** 301 to `location` (already encoded and checked: starts with a single "/"). */
export function redirectPlan(location: string, siteHeaders: string): ResponsePlan {
  return {
    status: 301,
    headers: `Location: ${location}\r\n${siteHeaders}`,
    body: { kind: "none" },
  };
}

/**
 * 304 (RFC 9110 §15.4.5): no body, and of the representation headers only those a 200 would have
 * carried that the RFC requires: ETag, Vary, and the site's Cache-Control. Last-Modified is left
 * out because an ETag is sent (as Go's writeNotModified does); Content-Type, Content-Length and
 * Content-Encoding are never sent.
 */
export function notModifiedPlan(etag: string, vary: boolean, siteHeaders: string): ResponsePlan {
  return {
    status: 304,
    headers: `ETag: ${etag}\r\n${vary ? "Vary: Accept-Encoding\r\n" : ""}${siteHeaders}`,
    body: { kind: "none" },
  };
}

/** A CORS preflight (Fetch standard §3.2.2): OPTIONS with Origin and Access-Control-Request-Method. */
export function isPreflight(head: RequestHead): boolean {
  return (
    head.method === "OPTIONS" &&
    getField(head, "origin") !== undefined &&
    getField(head, "access-control-request-method") !== undefined
  );
}

/** Request headers a preflight may ask for that are echoed back only when they are tokens. */
const TOKEN_LIST = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*,[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/;

/**
 * The answer to a CORS preflight (Fetch standard §3.2.3): any origin, `methods` (the site's by
 * default), the request headers the browser asked about (when well-formed), cached by the
 * browser for 10 min. `siteHeaders` carries Access-Control-Allow-Origin.
 */
export function preflightPlan(
  requestHeaders: string | undefined,
  siteHeaders: string,
  methods: string = ALLOWED_METHODS,
): ResponsePlan {
  const allowHeaders =
    requestHeaders !== undefined && TOKEN_LIST.test(trimOws(requestHeaders))
      ? `Access-Control-Allow-Headers: ${trimOws(requestHeaders)}\r\n`
      : "";
  return {
    status: 204,
    headers:
      `Allow: ${methods}\r\nAccess-Control-Allow-Methods: ${methods}\r\n${allowHeaders}` +
      `Access-Control-Max-Age: 600\r\n${siteHeaders}`,
    body: { kind: "none" },
  };
}
