/**
 * What the operator learns when a file cannot be served (issue 13, issue 18 #14): the client gets
 * a fixed 403 or 500 with no OS text (DESIGN §3), and the server's stderr gets one line naming the
 * file-system path and the cause, so "serve fails early and says why". Rate-limited so a client
 * asking for an unreadable file in a loop cannot flood the terminal: a path's line is repeated at
 * most once a minute, and at most LINES_PER_WINDOW lines are written per minute in all (the rest
 * are counted and the count given with the next line written).
 */

/** Receives a file error: the status the client got, the path, the error. */
export type FileErrorReporter = (status: 403 | 500, path: string, err: unknown) => void;

const WINDOW_MS = 60_000;
const LINES_PER_WINDOW = 20;
const MAX_PATHS = 1024;

/** The default reporter: rate-limited lines written with `write` (process.stderr). */
export function stderrFileErrors(
  write: (line: string) => void = (l) => process.stderr.write(l),
  now: () => number = Date.now,
): FileErrorReporter {
  const lastByKey = new Map<string, number>();
  let windowStart = 0;
  let written = 0;
  let suppressed = 0;
  return (status, path, err) => {
    const t = now();
    const key = `${status} ${path}`;
    const last = lastByKey.get(key);
    if (last !== undefined && t - last < WINDOW_MS) return;
    if (t - windowStart >= WINDOW_MS) {
      windowStart = t;
      written = 0;
    }
    if (written >= LINES_PER_WINDOW) {
      suppressed++;
      return;
    }
    if (lastByKey.size >= MAX_PATHS) lastByKey.clear();
    lastByKey.set(key, t);
    written++;
    const more = suppressed > 0 ? ` (${suppressed} similar lines suppressed)` : "";
    suppressed = 0;
    write(`tcpkit: ${status} for ${printable(path)}: ${describe(err)}${more}\n`);
  };
}

/** "permission denied (EACCES)", or the error's first line. */
function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code === "EACCES" || e?.code === "EPERM") return `permission denied (${e.code})`;
  const text = err instanceof Error ? err.message : String(err);
  return (
    (text.split("\n")[0] ?? text) +
    (e?.code !== undefined && !text.includes(e.code) ? ` (${e.code})` : "")
  );
}

/** A path with control characters escaped: a file name never writes a control to the terminal. */
function printable(path: string): string {
  return JSON.stringify(path)
    .slice(1, -1)
    .replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
