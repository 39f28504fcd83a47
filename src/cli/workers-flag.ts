/**
 * `tcpkit serve --workers N|auto`: the flag, and the primary process's side (start the pool,
 * print the readiness line once, stop every worker on SIGINT/SIGTERM).
 */
import { flag, invalidValue } from "./flags.js";
import { onShutdownSignal } from "./shutdown.js";
import { resolveWorkerCount, startWorkerPool, WORKER_STOP_TIMEOUT_MS } from "../net/workers.js";

/** More processes than this is a typo, not a plan. */
export const MAX_WORKERS = 256;

/** The --workers flag, spread into a command's flag table; its value is the count (auto resolved). */
export const WORKERS_FLAG = {
  workers: flag.custom({
    metavar: "N|auto",
    default: 1,
    help: "worker processes sharing the port; auto: one per CPU",
    convert: (text, name) => {
      if (text === "auto") return resolveWorkerCount("auto");
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < 1 || n > MAX_WORKERS) {
        throw invalidValue(name, `'auto' or a whole number from 1 to ${MAX_WORKERS}`, text);
      }
      return n;
    },
  }),
};

/**
 * Runs the primary process of a worker pool: resolves with the exit code when the pool cannot
 * start (a worker already printed why), prints `readinessLine(host, port)` once every worker
 * listens, then supervises until a signal stops it (exit 0) or workers keep dying (rejects).
 */
export async function runWorkerPrimary(
  count: number,
  readinessLine: (host: string, port: number) => string,
  drainTimeoutMs: number,
): Promise<number> {
  // The workers drain for --drain-timeout; the primary kills them only well after it (capped at
  // the longest delay a timer takes: past it Node fires at once).
  const stopMs = Math.min(2 ** 31 - 1, Math.max(WORKER_STOP_TIMEOUT_MS, drainTimeoutMs + 5_000));
  const pool = startWorkerPool(count, stopMs);
  const start = await pool.started;
  if (!start.ok) return start.exitCode;
  // Before the readiness line: a script may signal as soon as it reads it.
  onShutdownSignal(() => pool.stop());
  process.stdout.write(readinessLine(start.host, start.port));
  return pool.failed;
}
