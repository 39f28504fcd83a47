/**
 * Progress on a terminal: one line redrawn in place (carriage return + erase), at most ten times
 * a second, never wider than the terminal (a line that wraps leaves a stale copy of itself each
 * time it is redrawn), and redrawn when the terminal is resized. `TerminalLine` is the drawing;
 * `ProgressLine` is the download's bytes / percent / rate / ETA line on it.
 */
import type { DownloadProgress } from "../client/download.js";
import { formatSize } from "../util/format.js";

const REDRAW_INTERVAL_MS = 100;
/** Width assumed when the stream does not say (not a TTY, or a TTY without a size). */
const DEFAULT_COLUMNS = 80;

/** One status line on a terminal, redrawn in place. */
export class TerminalLine {
  private lastDraw = 0;
  /** Columns the line on screen takes (0: nothing drawn, or the line was ended). */
  private shown = 0;
  private latest: (() => readonly string[]) | undefined;
  private listening = false;
  private readonly onResize = (): void => this.redrawAfterResize();

  constructor(private readonly stream: NodeJS.WriteStream) {}

  /** Sets what the line shows (its parts, most important first); drawn at most 10 times a second. */
  update(parts: () => readonly string[]): void {
    this.latest = parts;
    if (!this.listening) {
      this.stream.on("resize", this.onResize);
      this.listening = true;
    }
    const now = Date.now();
    if (now - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = now;
    this.draw("\r\x1b[2K");
  }

  /** Draws the final state and moves to a new line; stops following resizes. */
  finish(): void {
    this.stream.off("resize", this.onResize);
    this.listening = false;
    if (this.latest === undefined) return;
    this.draw("\r\x1b[2K");
    if (this.shown > 0) this.stream.write("\n");
    this.shown = 0;
    this.latest = undefined;
  }

  /** Erases the line so that a message can be written; the next update draws it again. */
  clear(): void {
    if (this.shown === 0) return;
    this.stream.write("\r\x1b[2K");
    this.shown = 0;
    this.lastDraw = 0;
  }

  private draw(prefix: string): void {
    if (this.latest === undefined) return;
    const text = fitParts(this.latest(), this.columns() - 1);
    this.stream.write(prefix + text);
    this.shown = Math.max(1, text.length);
  }

  /**
   * After a resize the terminal may have re-wrapped the line on screen over several rows (when
   * it got narrower): go up to its first row, erase to the end of the screen, draw it again.
   */
  private redrawAfterResize(): void {
    if (this.shown === 0 || this.latest === undefined) return;
    const rows = Math.ceil(this.shown / this.columns());
    this.draw(rows > 1 ? `\x1b[${rows - 1}A\r\x1b[J` : "\r\x1b[J");
  }

  private columns(): number {
    const columns = this.stream.columns;
    return Number.isInteger(columns) && columns > 1 ? columns : DEFAULT_COLUMNS;
  }
}

/**
 * Joins `parts` with two spaces, dropping parts from the end until the line fits in `width`
 * columns; the first part is cut if even it alone does not fit.
 */
export function fitParts(parts: readonly string[], width: number): string {
  const kept = [...parts];
  while (kept.length > 1 && kept.join("  ").length > width) kept.pop();
  const line = kept.join("  ");
  return line.length > width ? line.slice(0, Math.max(0, width)) : line;
}

/** Draws a download's progress on `stream` (a TTY); call `finish()` once to end the line. */
export class ProgressLine {
  private readonly line: TerminalLine;
  private readonly startedAt = Date.now();

  constructor(stream: NodeJS.WriteStream) {
    this.line = new TerminalLine(stream);
  }

  /** Shows `progress`, after `label` when given ("[3/100]"). */
  update(progress: DownloadProgress, label?: string): void {
    this.line.update(() => {
      const parts = progressParts(progress, Date.now() - this.startedAt);
      return label === undefined ? parts : [`${label} ${parts[0] ?? ""}`, ...parts.slice(1)];
    });
  }

  /** Draws the final state and moves to a new line. */
  finish(): void {
    this.line.finish();
  }

  /** Erases the line for a message; the next update draws it again. */
  clear(): void {
    this.line.clear();
  }
}

/** "  42%  1.2 MiB of 2.9 MiB  3.1 MiB/s  ETA 0:01" (percent and ETA only when the size is known). */
export function formatProgress(progress: DownloadProgress, elapsedMs: number): string {
  return progressParts(progress, elapsedMs).join("  ");
}

/** The parts of the progress line, most important first (narrow terminals drop the last ones). */
function progressParts(progress: DownloadProgress, elapsedMs: number): string[] {
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
  return parts;
}

/** "0:07", "1:02:03". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.ceil(totalSeconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}
