/**
 * `tcpkit get -w FORMAT` / `--write-out json`: a line per transfer with its timings, sizes,
 * status and peer, in curl's `-w` variables (`%{http_code} %{time_total}\n`) so that scripts
 * written for curl read it unchanged. Times are seconds since the transfer started, with six
 * decimals, as curl writes them; phases that did not happen (a reused connection needs no
 * lookup) are 0.
 */
import type { DownloadResult } from "../client/download.js";
import type { HttpResponse } from "../client/http-get.js";
import { escapeControls } from "./error-line.js";
import { UsageError } from "./usage-error.js";

/** What one transfer gives the write-out. */
export interface TransferReport {
  /** The URL as given. */
  readonly url: string;
  /** performance.now() when the transfer started, and when it ended. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly result: DownloadResult | undefined;
  /**
   * The last final response, also when the transfer saved nothing: a 404 (curl's -w says 404
   * there too, which is what scripts test), a HEAD (-I).
   */
  readonly response: HttpResponse | undefined;
  /** The exit code this transfer alone would have, and its error message. */
  readonly exitCode: number;
  readonly error: string | undefined;
}

type Value = string | number;

const VARIABLES: Readonly<Record<string, (r: TransferReport) => Value>> = {
  url: (r) => r.url,
  url_effective: (r) => r.result?.url ?? responseOf(r)?.url ?? r.url,
  http_code: (r) => responseOf(r)?.status ?? 0,
  response_code: (r) => responseOf(r)?.status ?? 0,
  http_version: (r) => {
    const version = responseOf(r)?.version;
    return version === 10 ? "1.0" : version === 11 ? "1.1" : "0";
  },
  num_redirects: (r) => responseOf(r)?.redirects.length ?? 0,
  num_connects: (r) => (responseOf(r)?.timing.reused !== false ? 0 : (r.result?.connections ?? 1)),
  num_retries: (r) => Math.max(0, (r.result?.attempts ?? 1) - 1),
  filename_effective: (r) => r.result?.path ?? "",
  size_download: (r) => r.result?.received ?? 0,
  size_header: (r) => responseOf(r)?.head.raw.length ?? 0,
  speed_download: (r) => speed(r),
  content_type: (r) => escapeControls(responseOf(r)?.header("content-type") ?? ""),
  remote_ip: (r) => responseOf(r)?.timing.remoteAddress ?? "",
  remote_port: (r) => responseOf(r)?.timing.remotePort ?? 0,
  time_namelookup: (r) => phase(r, "lookup"),
  time_connect: (r) => phase(r, "connect"),
  time_appconnect: (r) => phase(r, "tls"),
  time_pretransfer: (r) => phase(r, "sent"),
  time_starttransfer: (r) => phase(r, "first-byte"),
  time_total: (r) => seconds(r.endedAt - r.startedAt),
  exitcode: (r) => r.exitCode,
  errormsg: (r) => escapeControls(r.error ?? ""),
};

/** The variable names -w knows, for the help and for refusing a typo. */
export const WRITE_OUT_VARIABLES: readonly string[] = [...Object.keys(VARIABLES), "json"];

/**
 * Checks a -w format once, at start: every %{name} must be known (curl warns and prints
 * nothing; a script is better served by exit 2). `json` alone means `%{json}\n`.
 */
export function parseWriteOut(format: string): string {
  if (format === "json") return "%{json}\n";
  for (const m of format.matchAll(/%\{([^}]*)\}/g)) {
    const name = m[1] as string;
    if (!WRITE_OUT_VARIABLES.includes(name)) {
      throw new UsageError(`-w: unknown variable %{${name}}`);
    }
  }
  return format;
}

/** The -w text for one transfer: variables replaced, \n \r \t and %% unescaped (as curl). */
export function formatWriteOut(format: string, report: TransferReport): string {
  return format.replace(/%\{([^}]*)\}|%%|\\([nrt\\])/g, (whole, name?: string, esc?: string) => {
    if (esc !== undefined) return { n: "\n", r: "\r", t: "\t", "\\": "\\" }[esc] ?? whole;
    if (whole === "%%") return "%";
    if (name === "json") return JSON.stringify(jsonOf(report));
    const get = VARIABLES[name ?? ""];
    if (get === undefined) return whole;
    const value = get(report);
    return name?.startsWith("time_") === true ? (value as number).toFixed(6) : String(value);
  });
}

/** Every variable of one transfer as one object (curl's %{json}). */
export function jsonOf(report: TransferReport): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [name, get] of Object.entries(VARIABLES)) out[name] = get(report);
  return out;
}

/** The response a transfer's variables describe: the saved one, else the last one seen. */
function responseOf(report: TransferReport): HttpResponse | undefined {
  return report.result?.response ?? report.response;
}

type Phase = "lookup" | "connect" | "tls" | "sent" | "first-byte";

/** Seconds from the transfer's start to the end of a phase of its final request. */
function phase(report: TransferReport, which: Phase): number {
  const timing = responseOf(report)?.timing;
  if (timing === undefined) return 0;
  const at = {
    lookup: timing.lookupAt,
    connect: timing.connectAt,
    tls: timing.secureAt,
    sent: timing.sentAt,
    "first-byte": timing.firstByteAt,
  }[which];
  return at === 0 ? 0 : seconds(at - report.startedAt);
}

function speed(report: TransferReport): number {
  const s = (report.endedAt - report.startedAt) / 1000;
  return s > 0 ? Math.round((report.result?.received ?? 0) / s) : 0;
}

function seconds(ms: number): number {
  return Math.round(Math.max(0, ms) * 1000) / 1e6;
}
