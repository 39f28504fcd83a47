/**
 * The `--trace` format shared by `tcpkit serve` and `tcpkit get`: each line of a message head on
 * stderr, marked by direction as seen from tcpkit (curl -v's convention): "> " for bytes tcpkit
 * sends, "< " for bytes it receives. Bodies are summarised, never dumped.
 *
 *   [127.0.0.1:50312] < GET / HTTP/1.1
 *   [127.0.0.1:50312] < Host: localhost
 *   [127.0.0.1:50312] > HTTP/1.1 200 OK
 *   [127.0.0.1:50312] > [body 1024 bytes]
 */
import { hexEscape } from "../util/format.js";

export type TraceDirection = "sent" | "received";

/**
 * Formats one message head (status or request line plus fields, without the final blank line
 * or with it; either is accepted) as marked lines, optionally followed by a body summary.
 * C0 and C1 control bytes are shown as \xNN so a hostile peer cannot drive the terminal.
 * Credentials never reach the trace: an Authorization or Proxy-Authorization value keeps only
 * its scheme ("Authorization: Basic [redacted]").
 */
export function formatTrace(
  direction: TraceDirection,
  head: string,
  options: { label?: string; bodyBytes?: number | "stream" } = {},
): string {
  const mark = direction === "sent" ? "> " : "< ";
  const prefix = options.label === undefined ? mark : `[${options.label}] ${mark}`;
  const lines = head.split("\r\n");
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  let out = "";
  for (const line of lines) out += prefix + escapeControls(redacted(line)) + "\n";
  if (options.bodyBytes === "stream") out += `${prefix}[body streamed]\n`;
  else if (options.bodyBytes !== undefined && options.bodyBytes > 0) {
    out += `${prefix}[body ${options.bodyBytes} bytes]\n`;
  }
  return out;
}

// Tab is allowed; every other C0 control, DEL and every C1 control (0x80-0x9F: heads are latin1
// text, so a peer byte 0x9B would reach a UTF-8 terminal as U+009B, CSI) is escaped.
// eslint-disable-next-line no-control-regex
const CONTROL_BYTES = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

function escapeControls(line: string): string {
  return line.replace(CONTROL_BYTES, hexEscape);
}

const CREDENTIALS = /^((?:proxy-)?authorization[ \t]*:[ \t]*)(\S*).*$/i;

/** The line with a credentials field's value cut to its scheme. */
function redacted(line: string): string {
  const m = CREDENTIALS.exec(line);
  return m === null ? line : `${m[1]}${m[2]} [redacted]`;
}
