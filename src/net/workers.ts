/**
 * Worker processes for `--workers N|auto` (DESIGN §8): node:cluster forks N copies of the server
 * that share one listening socket; the primary only supervises (start, restart, graceful stop).
 */
import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { TcpkitError } from "../util/tcpkit-error.js";

/** The IPC message the primary sends a worker to stop gracefully. */
const STOP_MESSAGE = "tcpkit:stop";
/** The IPC message a worker sends with text for the primary's stdout: { [STDOUT_KEY]: text }. */
const STDOUT_KEY = "tcpkit:stdout";
/** How long a stopping worker waits for the primary to take the text it still has to send. */
const STDOUT_DRAIN_MS = 2000;
/** How long the primary waits for workers to finish in-flight responses before killing them. */
export const WORKER_STOP_TIMEOUT_MS = 10_000;
/** A pool that loses more than this many workers within RESTART_WINDOW_MS gives up. */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

/** `auto` or a count; `auto` is the number of CPUs this process may run on. */
export type WorkerCount = number | "auto";

/** Resolves `auto` to os.availableParallelism() (at least 1). */
export function resolveWorkerCount(count: WorkerCount): number {
  return count === "auto" ? Math.max(1, availableParallelism()) : count;
}

/** True in a process started by startWorkerPool. */
export function isWorkerProcess(): boolean {
  return cluster.isWorker;
}

/** This worker's number (1, 2, ...; a replacement gets the next one), undefined outside a pool. */
export function workerNumber(): number | undefined {
  return cluster.worker?.id;
}

/** How the first start of a pool ended. */
export type PoolStart =
  | { ok: true; host: string; port: number }
  /** A worker exited before listening; it printed its own error line. */
  | { ok: false; exitCode: number };

/** A running pool of server worker processes sharing one listening address. */
export interface WorkerPool {
  /** Resolves once every worker listens on the shared address, or a worker failed to start. */
  readonly started: Promise<PoolStart>;
  /**
   * Rejects with a TcpkitError if workers keep dying (more than 5 in a minute); never resolves
   * otherwise. A worker that dies once is replaced.
   */
  readonly failed: Promise<never>;
  /** Asks every worker to stop gracefully, waits (bounded), kills stragglers. */
  stop(): Promise<void>;
}

/**
 * Forks `count` workers running this same command line (cluster re-runs process.argv with the
 * same Node flags). The first worker binds; the others start once it listens, so a bind error is
 * reported once. Call only in the primary process.
 *
 * The primary accepts connections and hands them to workers in turn (node:cluster's default
 * round-robin on Linux): even spreading across workers, where the kernel's choice among processes
 * waiting on one shared socket is often lopsided. NODE_CLUSTER_SCHED_POLICY=none overrides.
 */
export function startWorkerPool(count: number, stopTimeoutMs = WORKER_STOP_TIMEOUT_MS): WorkerPool {
  const workers = new Set<Worker>();
  /** Workers that listen, so have their stop handler installed. */
  const ready = new Set<Worker>();
  const restarts: number[] = [];
  let stopping = false;
  let listening = 0;
  let forkedRest = false;
  let address: { host: string; port: number } | undefined;
  let settleStart: (start: PoolStart) => void = () => {};
  let fail: (err: TcpkitError) => void = () => {};
  const started = new Promise<PoolStart>((resolve) => (settleStart = resolve));
  const failed = new Promise<never>((_resolve, reject) => (fail = reject));
  // nobody may await `failed`; an unhandled rejection must not crash the primary
  failed.catch(() => {});

  function fork(): void {
    const worker = cluster.fork();
    workers.add(worker);
    let up = false;
    worker.on("listening", (addr: { address: string; port: number }) => {
      if (up) return;
      up = true;
      ready.add(worker);
      address ??= { host: addr.address, port: addr.port };
      listening += 1;
      if (!forkedRest) {
        forkedRest = true;
        for (let i = 1; i < count; i++) fork();
      }
      if (listening === count) settleStart({ ok: true, ...address });
    });
    worker.on("error", () => {
      // IPC errors surface as an exit, handled below
    });
    worker.on("message", (message: unknown) => {
      const text = stdoutText(message);
      if (text !== undefined) relayStdout(text);
    });
    worker.on("exit", (code, signal) => {
      workers.delete(worker);
      ready.delete(worker);
      if (up) listening -= 1;
      if (stopping) return;
      if (!up && address === undefined) {
        // the first start failed (bad root, port in use): the worker said why on stderr
        stopping = true;
        for (const w of workers) w.process.kill("SIGKILL");
        settleStart({ ok: false, exitCode: code ?? 1 });
        return;
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && (restarts[0] ?? now) < now - RESTART_WINDOW_MS)
        restarts.shift();
      const how = signal === null ? `code ${code ?? "?"}` : `signal ${signal}`;
      if (restarts.length > MAX_RESTARTS) {
        stopping = true;
        for (const w of workers) w.process.kill("SIGKILL");
        fail(
          new TcpkitError(
            "ERR_WORKER",
            `workers keep exiting (last: ${how}); ${restarts.length} in the last minute, giving up`,
          ),
        );
        return;
      }
      process.stderr.write(
        `tcpkit: worker ${worker.process.pid ?? "?"} exited (${how}); starting another\n`,
      );
      fork();
    });
  }

  fork();

  return {
    started,
    failed,
    async stop() {
      stopping = true;
      const exits = [...workers].map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once("exit", () => resolve());
            // a worker still starting has no connections and no stop handler yet: end it
            if (!ready.has(w)) {
              w.process.kill("SIGTERM");
              return;
            }
            try {
              w.send(STOP_MESSAGE);
            } catch {
              w.process.kill("SIGTERM");
            }
          }),
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          for (const w of workers) w.process.kill("SIGKILL");
          resolve();
        }, stopTimeoutMs);
      });
      await Promise.race([Promise.all(exits), timeout]);
      clearTimeout(timer);
    },
  };
}

/** Past this much waiting for stdout's reader, the primary drops workers' text (and says so). */
const MAX_STDOUT_QUEUE = 16 * 1024 * 1024;
let droppedLines = 0;
let droppedReportedAt = -Infinity;

/** Writes a worker's text on the primary's stdout, or counts its lines out if the reader lags. */
function relayStdout(text: string): void {
  if (process.stdout.writableLength <= MAX_STDOUT_QUEUE) {
    process.stdout.write(text);
    return;
  }
  if (droppedReportedAt === -Infinity) process.once("exit", reportDropped);
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) droppedLines++;
  if (Date.now() - droppedReportedAt >= 10_000) reportDropped();
}

function reportDropped(): void {
  droppedReportedAt = Date.now();
  if (droppedLines === 0) return;
  process.stderr.write(
    `tcpkit: access log: ${droppedLines} lines dropped: its reader did not keep up\n`,
  );
  droppedLines = 0;
}

/** The text of a worker's stdout message, else undefined. */
function stdoutText(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const text = (message as Record<string, unknown>)[STDOUT_KEY];
  return typeof text === "string" ? text : undefined;
}

/** Sends a worker's stdout text (whole lines) to the primary, which writes it. */
export interface PrimaryStdout {
  /** Calls `done` once the primary's channel has taken `text`. */
  write(text: string, done?: (err?: Error | null) => void): boolean;
  /** Text sent whose delivery has not been confirmed, in UTF-16 units: for backpressure. */
  readonly writableLength: number;
}

let unsent = 0;

/**
 * In a worker: its stdout through the primary. Workers inherit one stdout; when that is a pipe,
 * a write larger than PIPE_BUF (4 KiB) from one process can be split by another's, tearing
 * lines (measured: 222 of 9,790 access-log lines with two workers behind `| cat`). The primary
 * writes every worker's text itself, so each batch of lines stays whole. Undefined outside a
 * pool (or with no IPC channel, where stdout is the process's own).
 */
export function primaryStdout(): PrimaryStdout | undefined {
  if (!cluster.isWorker || process.send === undefined) return undefined;
  const send = process.send.bind(process);
  return {
    write(text, done) {
      unsent += text.length;
      return send({ [STDOUT_KEY]: text }, undefined, {}, (err: Error | null) => {
        unsent -= text.length;
        done?.(err);
      });
    },
    get writableLength() {
      return unsent;
    },
  };
}

/** Resolves once the primary has taken every text sent through primaryStdout (bounded). */
async function stdoutSent(): Promise<void> {
  for (let waited = 0; unsent > 0 && waited < STDOUT_DRAIN_MS; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * In a worker, runs `start` (create the server and listen); if it fails, leaves the cluster so
 * the process can exit with the error (the IPC channel to the primary would keep it alive) and
 * rethrows. Outside a cluster it only runs `start`.
 */
export async function leaveClusterOnFailure<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    // cluster.worker.disconnect(), not process.disconnect(): the latter makes node:cluster
    // exit the worker at once with code 0, hiding the failure from the primary
    cluster.worker?.disconnect();
    throw err;
  }
}

/**
 * In a worker: runs `stop` once, then exits 0, when the primary asks (IPC), when the primary is
 * gone (the IPC channel closes), or on SIGTERM sent to this worker alone. SIGINT is ignored: a
 * Ctrl-C on a terminal reaches every process of the group, and the primary turns it into an
 * orderly stop of all workers.
 */
export function stopWhenPrimaryAsks(stop: () => Promise<void>): void {
  let stopping = false;
  const run = (): void => {
    if (stopping) return;
    stopping = true;
    // The last log lines go to the primary before this process ends.
    stop().then(
      () => stdoutSent().then(() => process.exit(0)),
      () => stdoutSent().then(() => process.exit(1)),
    );
  };
  process.on("message", (message: unknown) => {
    if (message === STOP_MESSAGE) run();
  });
  process.on("disconnect", run);
  process.on("SIGTERM", run);
  process.on("SIGINT", () => {});
}

/**
 * In the primary: passes `signal` on to every worker (each reacts as it would alone), so that
 * `kill -HUP PRIMARY`, as logrotate sends it, reaches the workers that hold the log files.
 */
export function relayToWorkers(signal: NodeJS.Signals): void {
  process.on(signal, () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  });
}
