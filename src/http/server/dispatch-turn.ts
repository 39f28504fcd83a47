/**
 * Dispatch turns: requests whose heads were read during one pass of the event loop's poll phase
 * are handed to their handlers together, in the check phase that follows (setImmediate), instead
 * of one by one as each socket is read.
 *
 * Why: every request dispatched in a turn was completely received before the turn began (its
 * head; a body is read later, on the handler's demand), and nothing is read from any socket while
 * the turn runs: reading happens in the poll phase, and a turn is one synchronous run. So an
 * observation a handler makes during the turn (a file's stat) is at least as recent as every one
 * of those requests, and handlers may share it among them: it is what a separate observation per
 * request could have seen. This holds for the whole process, whatever the server, so the turn is
 * process-wide and no handler is told about it: a cache that wants it asks currentTurn()
 * (static/turn-stat.ts). With 50 keep-alive clients about 50 requests share one turn, and
 * serveStatic makes one stat per path per turn instead of one per request (+38% keep-alive
 * throughput, docs/BENCHMARKS.md). Code running outside a turn (a continuation after an await, a
 * direct call) sees no turn and observes afresh.
 *
 * A turn is bounded: once TURN_MAX requests wait, they are dispatched at once, inside the poll
 * phase, in a turn of their own (the argument above holds for any prefix of the phase's reads:
 * each of them was received before that turn began, and nothing is read while it runs). Without
 * the bound, a request read first in a busy poll phase waited for every read after it (about 40
 * with 50 clients, 400 µs in the server against nginx's 5 µs) before its answer was written; with
 * it, it waits for at most TURN_MAX - 1 reads, and a stat is still shared by up to TURN_MAX
 * requests (16: in-server p50 379 → 132 µs, docs/BENCHMARKS.md).
 */

/** What a turn calls back: a connection with a complete request head waiting for its handler. */
export interface Dispatchable {
  dispatchQueued(): void;
}

/** A turn in progress: `active` until its synchronous run ends. */
export interface DispatchTurn {
  readonly active: boolean;
}

/** Requests per turn at most: the bound on how long a read request waits for its dispatch. */
export const TURN_MAX = 32;

let queue: Dispatchable[] = [];
/** The other array, reused so a turn allocates nothing but its marker. */
let spare: Dispatchable[] = [];
let scheduled = false;
let current: { active: boolean } | undefined;

/** The turn the caller runs inside, if any. */
export function currentTurn(): DispatchTurn | undefined {
  return current;
}

/**
 * Dispatches now when a turn is running (the request was read before it began), otherwise
 * queues the request for the next turn. `now` ends the gathering early: the queue so far and
 * this request run as a turn at once, as when TURN_MAX is reached (see startRequest in
 * connection.ts for who asks).
 */
export function dispatchOrQueue(item: Dispatchable, now = false): void {
  if (current !== undefined) {
    item.dispatchQueued();
    return;
  }
  queue.push(item);
  if (now || queue.length >= TURN_MAX) return runTurn();
  if (!scheduled) {
    scheduled = true;
    setImmediate(runScheduledTurn);
  }
}

function runScheduledTurn(): void {
  scheduled = false;
  if (queue.length > 0) runTurn();
}

function runTurn(): void {
  const items = queue;
  queue = spare;
  const turn = { active: true };
  current = turn;
  let next = 0;
  try {
    while (next < items.length) (items[next++] as Dispatchable).dispatchQueued();
  } finally {
    turn.active = false;
    current = undefined;
    // A callback that threw (a user's log hook, say) must not strand the requests after it.
    for (let i = next; i < items.length; i++) dispatchOrQueue(items[i] as Dispatchable);
    items.length = 0;
    spare = items;
  }
}
