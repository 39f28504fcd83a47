/**
 * Running out of file descriptors, said out loud (issue 18 #13). When accept(2) fails with
 * EMFILE, libuv closes the waiting connection on a reserved descriptor and reports nothing, so a
 * server under `ulimit -n 64` dropped 155 of 200 connections without a word. Instead, a server
 * caps its connections below the descriptor limit (server.maxConnections: Node closes the
 * connections past it and emits 'drop'), counts each refusal and says so on stderr, at most once
 * every 10 s with the count since (the first at once, the rest when the 10 s are up), and
 * takes connections again as soon as others close.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { Server } from "node:net";

/** At most one line per this long; the refusals in between are counted in the next. */
const REPORT_EVERY_MS = 10_000;

/** The soft limit on open files (`ulimit -n`), or undefined when unknown or unlimited. */
export function openFileLimit(): number | undefined {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const m = /^Max open files\s+(\d+)/m.exec(limits);
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

function openDescriptors(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return 0;
  }
}

/**
 * Caps `server`'s connections at the soft limit less the descriptors open now and `headroom`
 * (kept for what connections open besides themselves: files being sent, listings, logs), unless
 * `maxConnections` already asks for fewer; refusals past the cap are said on stderr, naming
 * `name`. Node raises its soft limit to the hard one at start, so the cap binds only where the
 * hard limit is low. Returns the cap (undefined: no limit known, nothing changed).
 */
export function guardDescriptors(
  server: Server,
  options: { name: string; headroom: number },
): number | undefined {
  const limit = openFileLimit();
  if (limit === undefined) return undefined;
  const fdCap = Math.max(1, limit - openDescriptors() - options.headroom);
  const userCap = server.maxConnections > 0 ? server.maxConnections : Infinity;
  if (fdCap >= userCap) return userCap;
  server.maxConnections = fdCap;
  // The first refusal is said at once; later ones are counted and said once the window ends.
  let refused = 0;
  let reportedAt = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  const report = (): void => {
    timer = undefined;
    reportedAt = Date.now();
    process.stderr.write(
      `tcpkit: ${options.name}: ${refused} connection${refused === 1 ? "" : "s"} refused: ` +
        `${fdCap} open at once is all the file-descriptor limit allows (ulimit -n ${limit}); ` +
        "raise it with ulimit -n\n",
    );
    refused = 0;
  };
  server.on("drop", () => {
    refused++;
    const wait = reportedAt + REPORT_EVERY_MS - Date.now();
    if (wait <= 0) report();
    else if (timer === undefined) {
      timer = setTimeout(report, wait);
      timer.unref();
    }
  });
  server.once("close", () => clearTimeout(timer));
  return fdCap;
}
