/**
 * Reason phrases for the status codes tcpkit sends (RFC 9110 §15; 102 from RFC 2518; 431 from
 * RFC 6585 §5; 103 from RFC 8297; 104 from draft-ietf-httpbis-resumable-upload; 507 from RFC 4918
 * §11.5; 508 from RFC 5842 §7.2).
 */

const REASONS: Readonly<Record<number, string>> = {
  100: "Continue",
  101: "Switching Protocols",
  102: "Processing", // RFC 2518 §10.1, passed through by the proxy
  103: "Early Hints",
  104: "Upload Resumption Supported",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  204: "No Content",
  205: "Reset Content",
  206: "Partial Content",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  421: "Misdirected Request",
  422: "Unprocessable Content",
  426: "Upgrade Required",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
  507: "Insufficient Storage",
  508: "Loop Detected",
};

/**
 * The reason phrase for `status`. Unknown codes get the phrase of their class's x00 code; the
 * phrase is informational only (RFC 9112 §4: clients SHOULD ignore it).
 */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? REASONS[Math.floor(status / 100) * 100] ?? "Unknown";
}

/** Prebuilt "HTTP/1.1 200 OK\r\n" lines, so the hot path does not concatenate them. */
const STATUS_LINES = new Map<number, string>();

/**
 * The status line for `status`. Always HTTP/1.1, to 1.0 clients too: RFC 9110 §6.2 says a server
 * sends the highest minor version it conforms to, and nginx does the same; 1.0 clients read 1.1.
 */
export function statusLine(status: number): string {
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
    if (STATUS_LINES.size < 1000) STATUS_LINES.set(status, line);
  }
  return line;
}
