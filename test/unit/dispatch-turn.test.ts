/**
 * Dispatch turns: requests queued during a poll phase run together in the next check phase, in
 * order, inside one active turn (process-wide: currentTurn()); a request completed inside a turn
 * runs at once in it; the turn is inactive once it is over; a turn holds at most TURN_MAX
 * requests, the TURN_MAX-th dispatching them at once; `now` (a connection's last request)
 * dispatches the queue and itself at once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  currentTurn,
  dispatchOrQueue,
  TURN_MAX,
  type DispatchTurn,
} from "../../src/http/server/dispatch-turn.js";

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("dispatch turns", () => {
  it("queues outside a turn and runs the queue in one active turn, in order", async () => {
    const seen: { name: string; turn: DispatchTurn | undefined; active: boolean }[] = [];
    const item = (name: string) => ({
      dispatchQueued: () =>
        seen.push({ name, turn: currentTurn(), active: currentTurn()?.active === true }),
    });
    dispatchOrQueue(item("a"));
    dispatchOrQueue(item("b"));
    assert.equal(seen.length, 0, "nothing runs before the check phase");
    assert.equal(currentTurn(), undefined);
    await nextTurn();
    assert.deepEqual(
      seen.map((s) => [s.name, s.active]),
      [
        ["a", true],
        ["b", true],
      ],
    );
    assert.equal(seen[0]?.turn, seen[1]?.turn, "one turn for both");
    assert.equal(seen[0]?.turn?.active, false, "inactive once over");
    assert.equal(currentTurn(), undefined);
  });

  it("`now` runs what was queued and the request at once, in order, in one turn", async () => {
    const seen: { name: string; turn: DispatchTurn | undefined }[] = [];
    const item = (name: string) => ({
      dispatchQueued: () => seen.push({ name, turn: currentTurn() }),
    });
    dispatchOrQueue(item("kept-alive"));
    dispatchOrQueue(item("last of its connection"), true);
    assert.deepEqual(
      seen.map((s) => s.name),
      ["kept-alive", "last of its connection"],
      "both ran before the check phase",
    );
    assert.equal(seen[0]?.turn, seen[1]?.turn, "in one turn");
    assert.equal(seen[0]?.turn?.active, false, "inactive once over");
    assert.equal(currentTurn(), undefined);
    await nextTurn();
    assert.equal(seen.length, 2, "the scheduled turn finds nothing left to run");
  });

  it("a callback that throws does not strand the requests queued after it", () => {
    // The turn's setImmediate callbacks are captured so the test can run them and see the throw.
    const scheduled: (() => void)[] = [];
    const realSetImmediate = globalThis.setImmediate;
    globalThis.setImmediate = ((fn: () => void) => {
      scheduled.push(fn);
    }) as unknown as typeof setImmediate;
    const ran: string[] = [];
    const failure = new Error("a log hook fails");
    try {
      dispatchOrQueue({ dispatchQueued: () => ran.push("a") });
      dispatchOrQueue({
        dispatchQueued: () => {
          ran.push("b");
          throw failure;
        },
      });
      dispatchOrQueue({ dispatchQueued: () => ran.push("c") });
      assert.equal(scheduled.length, 1);
      assert.throws(() => scheduled.shift()?.(), failure);
      assert.deepEqual(ran, ["a", "b"]);
      // "c" went to the next turn.
      assert.equal(scheduled.length, 1);
      scheduled.shift()?.();
      assert.deepEqual(ran, ["a", "b", "c"]);
    } finally {
      globalThis.setImmediate = realSetImmediate;
    }
  });

  it("runs a request completed inside a turn at once, in that turn", async () => {
    const order: string[] = [];
    let inner: DispatchTurn | undefined;
    let outer: DispatchTurn | undefined;
    dispatchOrQueue({
      dispatchQueued: () => {
        outer = currentTurn();
        order.push("first");
        dispatchOrQueue({
          dispatchQueued: () => {
            inner = currentTurn();
            order.push("pipelined");
          },
        });
        order.push("first done");
      },
    });
    await nextTurn();
    assert.deepEqual(order, ["first", "pipelined", "first done"]);
    assert.equal(inner, outer);
    // The next batch gets a new turn.
    let later: DispatchTurn | undefined;
    dispatchOrQueue({ dispatchQueued: () => (later = currentTurn()) });
    await nextTurn();
    assert.notEqual(later, outer);
  });

  it("dispatches TURN_MAX queued requests at once, in a turn of their own", async () => {
    const turns: (DispatchTurn | undefined)[] = [];
    const item = { dispatchQueued: () => turns.push(currentTurn()) };
    for (let i = 0; i < TURN_MAX - 1; i++) dispatchOrQueue(item);
    assert.equal(turns.length, 0, "below the bound, the requests wait for the check phase");
    dispatchOrQueue(item);
    assert.equal(turns.length, TURN_MAX, "the bound reached: all of them run now");
    assert.equal(new Set(turns).size, 1, "in one turn");
    assert.equal(turns[0]?.active, false, "over once they ran");
    assert.equal(currentTurn(), undefined);
    dispatchOrQueue(item);
    assert.equal(turns.length, TURN_MAX, "the next request waits again");
    await nextTurn();
    assert.equal(turns.length, TURN_MAX + 1);
    assert.notEqual(turns[TURN_MAX], turns[0], "in a turn of its own");
  });
});
