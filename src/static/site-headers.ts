/**
 * The header lines a site adds to every response: Cache-Control, CORS, and custom `--header`
 * fields, validated once (RFC 9110 §5.1 token names, §5.5 field values) and prebuilt as one string.
 */
import { isToken, isValidFieldValue } from "../http/header-fields.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { autoCacheControl, REVALIDATE } from "./cache-policy.js";

/**
 * Fields the server itself owns (framing and connection management, RFC 9112 §6, §9): a custom
 * value would desynchronise the stream or contradict the server, so they are refused.
 */
const SERVER_OWNED = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "date",
]);

/** Throws ERR_INVALID_ARGUMENT unless `name: value` is a header a site may add. */
export function checkCustomHeader(name: string, value: string): void {
  if (!isToken(name)) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `invalid header name '${name}'`);
  }
  if (SERVER_OWNED.has(name.toLowerCase())) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `header '${name}' is set by the server`);
  }
  if (!isValidFieldValue(value)) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `invalid value for header '${name}'`);
  }
}

/** The site's header lines, prebuilt. */
export interface SiteHeaders {
  /** What listings carry: Cache-Control and the rest. */
  readonly fileHeaders: string;
  /** What every other response carries: CORS and --header, no Cache-Control. */
  readonly allHeaders: string;
  /**
   * What a 404 with the root's 404.html carries: "no-cache", never the files' value. A missing
   * file must not be cached as missing for as long as files are (`max-age=31536000, immutable`
   * would outlive the deploy that adds it); nginx adds no Cache-Control to a 404 either.
   */
  readonly notFoundHeaders: string;
  /** What the file named `fileName` carries (with `auto`, its own Cache-Control). */
  fileHeadersFor(fileName: string): string;
}

/**
 * Builds the lines responses carry. `cacheControl` is a field value, "" for none, or "auto"
 * (cache-policy.ts: by file name; listings and pages "no-cache").
 */
export function buildSiteHeaders(options: {
  cacheControl: string;
  cors: boolean;
  headers: readonly (readonly [string, string])[];
}): SiteHeaders {
  if (!isValidFieldValue(options.cacheControl)) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", "invalid Cache-Control value");
  }
  let all = "";
  if (options.cors) {
    all +=
      "Access-Control-Allow-Origin: *\r\n" +
      "Access-Control-Expose-Headers: Content-Range, Accept-Ranges, ETag, Content-Encoding\r\n";
  }
  for (const [name, value] of options.headers) {
    checkCustomHeader(name, value);
    all += `${name}: ${value}\r\n`;
  }
  if (options.cacheControl === "auto") {
    const byPolicy = new Map<string, string>();
    return {
      fileHeaders: `Cache-Control: ${REVALIDATE}\r\n${all}`,
      allHeaders: all,
      notFoundHeaders: `Cache-Control: ${REVALIDATE}\r\n${all}`,
      fileHeadersFor(fileName) {
        const value = autoCacheControl(fileName);
        let lines = byPolicy.get(value);
        if (lines === undefined) {
          lines = `Cache-Control: ${value}\r\n${all}`;
          byPolicy.set(value, lines);
        }
        return lines;
      },
    };
  }
  const cache = options.cacheControl === "" ? "" : `Cache-Control: ${options.cacheControl}\r\n`;
  const fileHeaders = cache + all;
  const notFoundHeaders = cache === "" ? all : `Cache-Control: ${REVALIDATE}\r\n${all}`;
  return { fileHeaders, allHeaders: all, notFoundHeaders, fileHeadersFor: () => fileHeaders };
}
