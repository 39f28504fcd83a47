/**
 * The access log of `tcpkit serve`: Common Log Format, Combined, or JSON lines, on stdout.
 * Lines are buffered and written at most every 100 ms or 64 KiB (DESIGN §8: never a
 * synchronous write per request; stdout is synchronous for pipes and files on Linux), and
 * flushed on exit. The buffer holds bytes, not the line strings: hundreds of small strings kept
 * alive until the next flush would be copied by every young-generation GC (measured: the log
 * tripled the server's GC time under keep-alive load).
 *
 * A reader that stops reading (`tcpkit serve | less` left unscrolled, a blocked log shipper)
 * must not grow the server's memory: past MAX_QUEUED_BYTES waiting in the stream, lines are
 * dropped and counted, and one line on stderr gives the count when the reader catches up (or at
 * exit), at most once a minute.
 *
 * What waits in a stream is counted here, from the write callbacks, as well as read from
 * writableLength: Bun's process.stdout on a pipe reports writableLength 0 however much it holds
 * (its write returns false and calls back once the pipe took the bytes, as Node's does), so
 * writableLength alone let a stalled reader grow Bun's memory without a line ever dropped.
 */
import { isUtf8 } from "node:buffer";
import type { ExchangeRecord } from "../http/server/exchange-record.js";
import { errorLine } from "./error-line.js";

/** The --log values; "off" writes no access log. */
export type AccessLogFormat = "common" | "combined" | "json" | "off";

/** Every --log value, for validation and help. */
export const ACCESS_LOG_FORMATS: readonly AccessLogFormat[] = ["common", "combined", "json", "off"];

const FLUSH_MS = 100;
const FLUSH_BYTES = 64 * 1024;
/** Bytes the stream may hold for a slow reader before lines are dropped. */
export const MAX_QUEUED_BYTES = 1024 * 1024;
const REPORT_EVERY_MS = 60_000;

/** A buffered access log (see createAccessLog). */
export interface AccessLog {
  /** Records one exchange (queued). */
  write(record: ExchangeRecord): void;
  /** Writes everything queued now. */
  flush(): void;
}

/** Where log lines go: a stream such as process.stdout, or anything with `write`. */
export interface LogSink {
  /**
   * Writes `text`. A stream (a sink with writableLength) calls `done` once the reader has taken
   * it; any other sink writes synchronously and need not call it.
   */
  write(text: string, done?: (err?: Error | null) => void): unknown;
  /** Bytes written but not yet taken by the reader (streams have it; Bun's stdout says 0). */
  readonly writableLength?: number;
  /** Streams report a failed write (EPIPE when the reader of a pipe has gone) as 'error'. */
  on?(event: "error", listener: (err: Error) => void): unknown;
  /** And 'drain' when a slow reader has taken everything written. */
  on?(event: "drain", listener: () => void): unknown;
}

/**
 * An access log writing `format` lines to `out` (default: process.stdout). If `out` fails (e.g.
 * `tcpkit serve | head` once head exits), logging stops with one line through `warn` (default:
 * stderr) and the server keeps serving: a lost log reader must not take the server down.
 */
export function createAccessLog(
  format: Exclude<AccessLogFormat, "off">,
  out: LogSink = process.stdout,
  warn: (line: string) => void = (line) => process.stderr.write(line),
): AccessLog {
  const buffer = Buffer.allocUnsafe(FLUSH_BYTES);
  let used = 0;
  let lines = 0;
  let dropped = 0;
  let reportedAt = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let broken = false;
  /** Bytes handed to a stream whose write has not called back yet. */
  let inFlight = 0;
  const isStream = out.writableLength !== undefined;
  out.on?.("error", (err: Error) => {
    if (broken) return;
    broken = true;
    used = 0;
    warn(errorLine(`access log stopped: cannot write it: ${err.message}`));
  });
  const reportDropped = (): void => {
    reportedAt = Date.now();
    warn(errorLine(`access log: ${dropped} lines dropped: its reader did not keep up`));
    dropped = 0;
  };
  /**
   * Hands `text` (`bytes` in UTF-8, `n` lines) to the stream, or drops it while the reader is too
   * far behind.
   */
  const send = (text: string, bytes: number, n: number): void => {
    if (Math.max(out.writableLength ?? 0, inFlight) > MAX_QUEUED_BYTES) {
      dropped += n;
      return;
    }
    if (dropped > 0 && Date.now() - reportedAt >= REPORT_EVERY_MS) reportDropped();
    if (!isStream) {
      out.write(text);
      return;
    }
    inFlight += bytes;
    out.write(text, () => (inFlight -= bytes));
  };
  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (used === 0 || broken) return;
    const text = buffer.toString("utf8", 0, used);
    const bytes = used;
    const n = lines;
    used = 0;
    lines = 0;
    send(text, bytes, n);
  };
  // The reader caught up: the count now, not only with the next line logged.
  out.on?.("drain", () => {
    if (dropped > 0 && !broken && Date.now() - reportedAt >= REPORT_EVERY_MS) reportDropped();
  });
  process.once("exit", () => {
    flush();
    if (dropped > 0 && !broken) reportDropped();
  });
  const formatLine =
    format === "json" ? formatJson : format === "combined" ? formatCombined : formatCommon;
  return {
    write(record) {
      if (broken) return;
      const line = formatLine(record);
      // UTF-8 takes at most 3 bytes per UTF-16 unit: flush first unless the line surely fits.
      if (used + line.length * 3 > FLUSH_BYTES) flush();
      if (line.length * 3 > FLUSH_BYTES) {
        send(line, Buffer.byteLength(line), 1);
        return;
      }
      used += buffer.write(line, used, "utf8");
      lines++;
      if (timer === undefined) {
        timer = setTimeout(flush, FLUSH_MS);
        timer.unref();
      }
    },
    flush,
  };
}

/**
 * Common Log Format (NCSA httpd, as nginx and Apache write it):
 * `127.0.0.1 - - [24/Nov/2026:05:11:02 +0000] "GET / HTTP/1.1" 200 6`. A request without a
 * valid request line shows as "-" (one refused later, for a bad field, shows its line, as
 * nginx logs it); a zero-byte body as "-".
 */
export function formatCommon(r: ExchangeRecord): string {
  return `${commonPart(r)}\n`;
}

/** Combined Log Format: Common plus `"referer" "user-agent"`. */
export function formatCombined(r: ExchangeRecord): string {
  return `${commonPart(r)} "${quoted(r.referer ?? "-")}" "${quoted(r.userAgent ?? "-")}"\n`;
}

/** One JSON object per line. */
export function formatJson(r: ExchangeRecord): string {
  return (
    JSON.stringify({
      time: new Date(r.startMs).toISOString(),
      remote: r.remoteAddress,
      method: r.method ?? null,
      target: r.target ?? null,
      version: r.version === undefined ? null : r.version === 10 ? "HTTP/1.0" : "HTTP/1.1",
      status: r.status,
      bytes: r.bodyBytes,
      // What the client sent (head and body): an upload's size shows here.
      received: r.bytesReceived,
      referer: fieldText(r.referer),
      userAgent: fieldText(r.userAgent),
      // Microseconds are plenty, and keep the line short (0.412, not 0.41234199999999996).
      durationMs: Math.round(r.durationMs * 1000) / 1000,
    }) + "\n"
  );
}

/**
 * A field value (its bytes, one per char) as JSON text: the characters its bytes spell in UTF-8
 * when they are UTF-8 (a browser's Referer with `é`), else each byte as itself (U+0080-U+00FF),
 * as before (node:buffer isUtf8 decides): never replacement characters, which would lose bytes.
 */
function fieldText(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!/[\x80-\xff]/.test(value)) return value;
  const bytes = Buffer.from(value, "latin1");
  return isUtf8(bytes) ? bytes.toString("utf8") : value;
}

function commonPart(r: ExchangeRecord): string {
  const request =
    r.method === undefined
      ? "-"
      : `${r.method} ${quoted(r.target ?? "")} HTTP/${r.version === 10 ? "1.0" : "1.1"}`;
  const bytes = r.bodyBytes === 0 ? "-" : String(r.bodyBytes);
  return `${r.remoteAddress} - - [${clfTime(r.startMs)}] "${request}" ${r.status} ${bytes}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
let cachedSecond = -1;
let cachedTime = "";

/** `10/Oct/2000:13:55:36 +0000`, in UTC, formatted once per second. */
export function clfTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second === cachedSecond) return cachedTime;
  const d = new Date(second * 1000);
  const two = (n: number): string => String(n).padStart(2, "0");
  cachedTime =
    `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
  cachedSecond = second;
  return cachedTime;
}

/** Escapes `"`, `\` and non-printable bytes so a log line cannot be forged by a client. */
function quoted(s: string): string {
  let safe = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      safe = false;
      break;
    }
  }
  if (safe) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out +=
      c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c
        ? `\\x${c.toString(16).padStart(2, "0")}`
        : s[i];
  }
  return out;
}
