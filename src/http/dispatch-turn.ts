/**
 * Dispatch turns: requests whose heads were read during one pass of the event loop's poll phase
 * are handed to the handler together, in the check phase that follows (setImmediate), instead of
 * one by one as each socket is read.
 *
 * Why: every request dispatched in a turn was completely received before the turn began, and
 * nothing is read from a socket while the turn runs. So an observation a handler makes during
 * the turn (a file's stat) is at least as recent as every one of those requests, and handlers
 * may share it among them: it is what a separate observation per request could have seen. With
 * 50 keep-alive clients about 50 requests share one turn, and serveStatic makes one stat per
 * path per turn instead of one per request (turn-stat.ts). A handler called outside a turn (a
 * continuation after an await, a direct call) gets no turn and observes afresh.
 */
import type { DispatchTurn } from "./types.js";

/** What the batch calls back: a connection with a complete request waiting for its handler. */
export interface Dispatchable {
  dispatchQueued(): void;
}

export class DispatchTurns {
  #queue: Dispatchable[] = [];
  /** The other array, reused so a turn allocates nothing. */
  #spare: Dispatchable[] = [];
  #scheduled = false;
  /** The turn running now, or undefined between turns. */
  #current: { active: boolean } | undefined;
  readonly #run = (): void => this.run();

  /** The turn in progress, if the caller runs inside one. */
  get current(): DispatchTurn | undefined {
    return this.#current;
  }

  /**
   * Dispatches now when a turn is running (the request was read before it began), otherwise
   * queues the request for the next turn.
   */
  dispatchOrQueue(item: Dispatchable): void {
    if (this.#current !== undefined) {
      item.dispatchQueued();
      return;
    }
    this.#queue.push(item);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#run);
    }
  }

  private run(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = this.#spare;
    const turn = { active: true };
    this.#current = turn;
    let next = 0;
    try {
      while (next < queue.length) (queue[next++] as Dispatchable).dispatchQueued();
    } finally {
      turn.active = false;
      this.#current = undefined;
      // A callback that threw (a user's log hook, say) must not strand the requests after it.
      for (let i = next; i < queue.length; i++) this.dispatchOrQueue(queue[i] as Dispatchable);
      queue.length = 0;
      this.#spare = queue;
    }
  }
}
