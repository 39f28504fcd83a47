/**
 * The transfers of one `tcpkit get` run: each URL in turn (or `parallel` at once) over the
 * run's kept-alive connections, a line per saved file (elapsed time, average rate), `-w` per
 * transfer, a summary when there were several, and the run's exit code: the worst of all
 * (130 interrupted, then 1, then 3 for an HTTP status, then 0).
 */
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { download, type DownloadOptions, type DownloadResult } from "../client/download.js";
import { httpGet, type HttpResponse } from "../client/http-get.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { formatSize } from "../util/format.js";
import { errorLine } from "./error-line.js";
import type { ProgressLine } from "./progress-line.js";
import { formatDuration } from "./progress-line.js";
import { EXIT_FAILURE, EXIT_OK } from "./usage-error.js";
import { formatWriteOut, type TransferReport } from "./write-out.js";

/** Exit code for an HTTP status >= 400 (the response arrived, but it is an error). */
export const EXIT_HTTP_STATUS = 3;
/** Exit code after Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** What the batch runs. */
export interface Batch {
  readonly urls: readonly string[];
  /** download() options shared by every transfer (pool, headers, timeouts, output...). */
  readonly options: DownloadOptions;
  /** Transfers at once. */
  readonly parallel: number;
  /** `-I`: HEAD requests, heads on stdout (printed by the trace hook), nothing saved. */
  readonly headOnly: boolean;
  /** A checked -w format. */
  readonly writeOut: string | undefined;
  /** --etag-save FILE. */
  readonly etagSave: string | undefined;
  readonly progress: ProgressLine | undefined;
  /** Notes on stderr (nothing with -q). */
  readonly notice: (message: string) => void;
  /** Connections opened so far, for the summary. */
  readonly connections: () => number;
  /** Called after each transfer (for --trace's body summary). */
  readonly afterTransfer?: (report: TransferReport) => void;
}

/** Runs every transfer; resolves with the run's exit code. */
export async function runBatch(batch: Batch): Promise<number> {
  const started = performance.now();
  const reports: TransferReport[] = [];
  const live = new Map<number, { received: number; offset: number; total: number | undefined }>();
  let next = 0;
  let finished = 0;
  const many = batch.urls.length > 1;
  const signal = batch.options.signal;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < batch.urls.length; i = next++) {
      if (signal?.aborted === true) return;
      const url = batch.urls[i] as string;
      const label = many ? `[${finished + 1}/${batch.urls.length}]` : undefined;
      const report = await transfer(batch, url, (p) => {
        live.set(i, p);
        batch.progress?.update(sum(live), label);
      });
      live.delete(i);
      finished++;
      reports.push(report);
      batch.afterTransfer?.(report);
      if (batch.writeOut !== undefined)
        process.stdout.write(formatWriteOut(batch.writeOut, report));
    }
  };
  await Promise.all(Array.from({ length: Math.min(batch.parallel, batch.urls.length) }, worker));
  batch.progress?.finish();
  if (many) batch.notice(summary(reports, performance.now() - started, batch.connections()));
  return worstExit(reports.map((r) => r.exitCode));
}

/** One URL: download (or HEAD), its saved line or error line, --etag-save. */
async function transfer(
  batch: Batch,
  url: string,
  onProgress: (p: { received: number; offset: number; total: number | undefined }) => void,
): Promise<TransferReport> {
  const startedAt = performance.now();
  let result: DownloadResult | undefined;
  let response: HttpResponse | undefined;
  try {
    if (batch.headOnly) {
      response = await httpGet(url, { ...batch.options, method: "HEAD" });
      response.body.resume();
      if (response.status >= 400) {
        throw new TcpkitError("ERR_HTTP_STATUS", `HTTP ${response.status} from ${response.url}`);
      }
    } else {
      const many = batch.urls.length > 1;
      result = await download(url, {
        ...batch.options,
        onProgress,
        onResponse: (r) => (response = r),
        onNotice: (message) => batch.notice(many ? `${shortName(url)}: ${message}` : message),
      });
      if (batch.parallel === 1) batch.progress?.finish();
      savedLine(batch, result);
      if (batch.etagSave !== undefined && result.resume !== "not-modified") {
        writeFileSync(batch.etagSave, result.etag === undefined ? "" : `${result.etag}\n`);
      }
    }
    return {
      url,
      startedAt,
      endedAt: performance.now(),
      result,
      response,
      exitCode: EXIT_OK,
      error: undefined,
    };
  } catch (err) {
    if (batch.parallel === 1) batch.progress?.finish();
    else batch.progress?.clear();
    if (!(err instanceof TcpkitError)) throw err;
    process.stderr.write(errorLine(err.message));
    const endedAt = performance.now();
    const exitCode = exitCodeOf(err);
    return { url, startedAt, endedAt, result, response, exitCode, error: err.message };
  }
}

/** "saved NAME (SIZE bytes[, N new]) in T, RATE[, 4 connections][, Repr-Digest sha256 verified]". */
function savedLine(batch: Batch, result: DownloadResult): void {
  if (result.path === undefined || result.resume === "not-modified") return;
  const rel = relative(process.cwd(), result.path);
  const shown = rel === "" || rel.startsWith("..") ? result.path : rel;
  if (result.resume === "already-complete") {
    batch.notice(`${shown}: nothing to do`);
    return;
  }
  const size = `${result.size} bytes${result.resume === "resumed" ? `, ${result.received} new` : ""}`;
  const parts = [`in ${elapsed(result.elapsedMs)}`, rate(result.received, result.elapsedMs)];
  if (result.connections > 1) parts.push(`${result.connections} connections`);
  for (const v of result.verified) parts.push(`${v} verified`);
  batch.notice(`saved ${shown} (${size}) ${parts.join(", ")}`);
}

function summary(reports: readonly TransferReport[], ms: number, connections: number): string {
  const saved = reports.filter((r) => r.exitCode === EXIT_OK).length;
  const failed = reports.length - saved;
  const bytes = reports.reduce((n, r) => n + (r.result?.received ?? 0), 0);
  const over = `${connections} connection${connections === 1 ? "" : "s"}`;
  return (
    `${reports.length} URLs: ${saved} done${failed > 0 ? `, ${failed} failed` : ""}; ` +
    `${formatSize(bytes)} in ${elapsed(ms)} (${rate(bytes, ms)}) over ${over}`
  );
}

/** ERR_HTTP_STATUS → 3, interrupted → 130, any other failure → 1. */
export function exitCodeOf(err: TcpkitError): number {
  if (err.code === "ERR_INTERRUPTED") return EXIT_INTERRUPTED;
  return err.code === "ERR_HTTP_STATUS" ? EXIT_HTTP_STATUS : EXIT_FAILURE;
}

/** The worst of several exit codes: 130, then 1, then 3, then 0. */
export function worstExit(codes: readonly number[]): number {
  for (const code of [EXIT_INTERRUPTED, EXIT_FAILURE, EXIT_HTTP_STATUS]) {
    if (codes.includes(code)) return code;
  }
  return EXIT_OK;
}

function sum(
  live: ReadonlyMap<number, { received: number; offset: number; total: number | undefined }>,
) {
  let received = 0;
  let offset = 0;
  let total: number | undefined = 0;
  for (const p of live.values()) {
    received += p.received;
    offset += p.offset;
    total = total === undefined || p.total === undefined ? undefined : total + p.total;
  }
  return { received, offset, total };
}

/** "0.3 s", "12 s", "1:02:03". */
function elapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  return s < 60 ? `${Math.round(s)} s` : formatDuration(s);
}

function rate(bytes: number, ms: number): string {
  return `${formatSize(ms > 0 ? Math.round((bytes * 1000) / ms) : 0)}/s`;
}

/** The last path segment of a URL, for prefixing notes when there are several. */
function shortName(url: string): string {
  const path = url.replace(/[?#].*$/s, "");
  return path.slice(path.lastIndexOf("/") + 1) || url;
}
