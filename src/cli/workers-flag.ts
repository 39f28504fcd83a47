/**
 * `tcpkit serve --workers N|auto`: the flag, its help line, and the primary process's side (start
 * the pool, print the readiness line once, stop every worker on SIGINT/SIGTERM).
 */
import { parseCount } from "./args.js";
import { onShutdownSignal } from "./shutdown.js";
import { UsageError } from "./usage-error.js";
import { resolveWorkerCount, startWorkerPool } from "../net/workers.js";

/** More processes than this is a typo, not a plan. */
export const MAX_WORKERS = 256;

/** parseArgs option for --workers (spread into a command's options). */
export const WORKERS_FLAG_OPTION = { workers: { type: "string" } } as const;

/** The --workers line of a command's help. */
export const WORKERS_HELP =
  "  --workers N|auto worker processes sharing the port (default 1; auto: one per CPU)\n";

/** The worker count asked for: 1 when the flag is absent, `auto` resolved to the CPU count. */
export function parseWorkersFlag(value: string | undefined): number {
  if (value === "auto") return resolveWorkerCount("auto");
  const n = parseCount(value, "--workers", 1);
  if (n > MAX_WORKERS) throw new UsageError(`--workers must be 'auto' or 1 to ${MAX_WORKERS}`);
  return n;
}

/**
 * Runs the primary process of a worker pool: resolves with the exit code when the pool cannot
 * start (a worker already printed why), prints `readinessLine(host, port)` once every worker
 * listens, then supervises until a signal stops it (exit 0) or workers keep dying (rejects).
 */
export async function runWorkerPrimary(
  count: number,
  readinessLine: (host: string, port: number) => string,
): Promise<number> {
  const pool = startWorkerPool(count);
  const start = await pool.started;
  if (!start.ok) return start.exitCode;
  process.stdout.write(readinessLine(start.host, start.port));
  onShutdownSignal(() => pool.stop());
  return pool.failed;
}
