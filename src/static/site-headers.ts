/**
 * The header lines a site adds to every response: Cache-Control, CORS, and custom `--header`
 * fields, validated once (RFC 9110 §5.1 token names, §5.5 field values) and prebuilt as one string.
 */
import { TcpkitError } from "../util/tcpkit-error.js";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII, obs-text, space and tab inside; no CR, LF, NUL or other controls. */
// eslint-disable-next-line no-control-regex
const FIELD_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;

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
  if (!TOKEN.test(name)) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `invalid header name '${name}'`);
  }
  if (SERVER_OWNED.has(name.toLowerCase())) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `header '${name}' is set by the server`);
  }
  if (!FIELD_VALUE.test(value)) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `invalid value for header '${name}'`);
  }
}

/** Splits "Name: value" as given to --header; throws ERR_INVALID_ARGUMENT if malformed. */
export function parseHeaderArgument(text: string): [string, string] {
  const colon = text.indexOf(":");
  if (colon <= 0) {
    throw new TcpkitError(
      "ERR_INVALID_ARGUMENT",
      `header must look like "Name: value", not '${text}'`,
    );
  }
  const name = text.slice(0, colon);
  const value = text.slice(colon + 1).trim();
  checkCustomHeader(name, value);
  return [name, value];
}

/** Builds the lines every file response carries. */
export function buildSiteHeaders(options: {
  cacheControl: string;
  cors: boolean;
  headers: readonly (readonly [string, string])[];
}): { fileHeaders: string; allHeaders: string } {
  if (!FIELD_VALUE.test(options.cacheControl)) {
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
  const cache = options.cacheControl === "" ? "" : `Cache-Control: ${options.cacheControl}\r\n`;
  return { fileHeaders: cache + all, allHeaders: all };
}
