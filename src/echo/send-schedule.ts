/**
 * A fixed-rate send schedule for the open-loop and UDP modes: send k is due at start + k / rate,
 * whatever happened to earlier ones. Node's timers fire to the millisecond, so the schedule
 * sleeps with a timer until about 2 ms before the next send and polls (setImmediate) from
 * there: sends leave within microseconds of their time, at the price of a busy core at rates
 * above a few hundred per second. A send that still leaves late is the caller's to measure.
 */
import { performance } from "node:perf_hooks";

export interface ScheduleEvents {
  /** Send number `k`, due at `dueAt` (performance.now() time), is due now or overdue. */
  onDue(k: number, dueAt: number): void;
  /** Called after each batch of due sends (to write them in one go). */
  onBatch?(): void;
  /** The schedule ended: `total` sends issued, or stop() was called. Called once. */
  onEnd(): void;
}

export class SendSchedule {
  /** Sends issued so far. */
  issued = 0;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private ended = false;

  constructor(
    readonly start: number,
    rate: number,
    private readonly total: number,
    private readonly events: ScheduleEvents,
  ) {
    this.intervalMs = 1000 / rate;
  }

  /** When send `k` is due. */
  dueAt(k: number): number {
    return this.start + k * this.intervalMs;
  }

  /** Issues every send due by now, then sleeps until the next one is due. */
  readonly tick = (): void => {
    this.timer = undefined;
    if (this.ended) return;
    const now = performance.now();
    while (this.issued < this.total && this.dueAt(this.issued) <= now) {
      this.events.onDue(this.issued, this.dueAt(this.issued));
      this.issued++;
    }
    this.events.onBatch?.();
    if (this.issued >= this.total) {
      this.stop();
      return;
    }
    const delay = this.dueAt(this.issued) - performance.now();
    this.timer = delay < 2 ? setImmediate(this.tick) : setTimeout(this.tick, delay - 1);
  };

  /** Ends the schedule now: nothing more is issued; onEnd runs (once). */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.dispose();
    this.events.onEnd();
  }

  /** Clears the pending timer without ending (for a finally block). */
  dispose(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }
}
