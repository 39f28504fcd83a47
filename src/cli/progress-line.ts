/**
 * The download progress line of `tcpkit get` on a terminal: bytes, percent, rate and ETA on one
 * line redrawn in place (carriage return + erase line), at most ten times a second.
 */
import type { DownloadProgress } from "../client/download.js";
import { formatSize } from "../util/format.js";

const REDRAW_INTERVAL_MS = 100;

/** Draws progress on `stream` (a TTY); call `finish()` once to end the line. */
export class ProgressLine {
  private lastDraw = 0;
  private drawn = false;
  private readonly startedAt = Date.now();
  private latest: DownloadProgress | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(progress: DownloadProgress): void {
    this.latest = progress;
    const now = Date.now();
    if (now - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = now;
    this.draw(now);
  }

  /** Draws the final state and moves to a new line. */
  finish(): void {
    if (this.latest === undefined) return;
    this.draw(Date.now());
    if (this.drawn) this.stream.write("\n");
  }

  private draw(now: number): void {
    if (this.latest === undefined) return;
    this.stream.write(`\r\x1b[2K${formatProgress(this.latest, now - this.startedAt)}`);
    this.drawn = true;
  }
}

/** "  42%  1.2 MiB of 2.9 MiB  3.1 MiB/s  ETA 0:01" (percent and ETA only when the size is known). */
export function formatProgress(progress: DownloadProgress, elapsedMs: number): string {
  const have = progress.offset + progress.received;
  const rate = elapsedMs > 0 ? Math.round((progress.received * 1000) / elapsedMs) : 0;
  const parts: string[] = [];
  if (progress.total !== undefined && progress.total > 0) {
    parts.push(`${String(Math.floor((have * 100) / progress.total)).padStart(3)}%`);
    parts.push(`${formatSize(have)} of ${formatSize(progress.total)}`);
  } else {
    parts.push(formatSize(have));
  }
  parts.push(`${formatSize(rate)}/s`);
  if (progress.total !== undefined && rate > 0 && have < progress.total) {
    parts.push(`ETA ${formatDuration((progress.total - have) / rate)}`);
  }
  return parts.join("  ");
}

function formatDuration(totalSeconds: number): string {
  const s = Math.ceil(totalSeconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
