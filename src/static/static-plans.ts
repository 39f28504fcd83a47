/**
 * The fixed responses serveStatic gives besides files: errors with short canned bodies (never OS
 * text), redirects, 304, OPTIONS and CORS preflight. Each carries the site's own header lines.
 */
import { ALLOW_HEADER, ALLOWED_METHODS } from "../http/method-policy.js";
import { reasonPhrase } from "../http/status.js";
import type { ResponsePlan } from "../http/types.js";

const bodies = new Map<number, Buffer>();
function errorBody(status: number): Buffer {
  let b = bodies.get(status);
  if (b === undefined) {
    // The same "404 Not Found\n" texts as the server's canned responses.
    b = Buffer.from(`${status} ${reasonPhrase(status)}\n`, "latin1");
    bodies.set(status, b);
  }
  return b;
}

/** An error with its fixed plain-text body. `extra` are lines such as Content-Range or Allow. */
export function errorPlan(status: number, siteHeaders: string, extra = ""): ResponsePlan {
  return {
    status,
    headers: `Content-Type: text/plain; charset=utf-8\r\n${extra}${siteHeaders}`,
    body: { kind: "bytes", bytes: errorBody(status), unchanging: true },
  };
}

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

/** OPTIONS without CORS: which methods the resource allows (as the server's own `OPTIONS *`). */
export function optionsPlan(siteHeaders: string): ResponsePlan {
  return { status: 200, headers: ALLOW_HEADER + siteHeaders, body: { kind: "none" } };
}

/** Request headers a preflight may ask for that are echoed back only when they are tokens. */
const TOKEN_LIST = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:\s*,\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/;

/**
 * The answer to a CORS preflight (Fetch standard §3.2.3): any origin, the site's methods, the
 * request headers the browser asked about (when well-formed), cached by the browser for 10 min.
 */
export function preflightPlan(
  requestHeaders: string | undefined,
  siteHeaders: string,
): ResponsePlan {
  const allowHeaders =
    requestHeaders !== undefined && TOKEN_LIST.test(requestHeaders.trim())
      ? `Access-Control-Allow-Headers: ${requestHeaders.trim()}\r\n`
      : "";
  return {
    status: 204,
    headers:
      `${ALLOW_HEADER}Access-Control-Allow-Methods: ${ALLOWED_METHODS}\r\n${allowHeaders}` +
      `Access-Control-Max-Age: 600\r\n${siteHeaders}`,
    body: { kind: "none" },
  };
}
