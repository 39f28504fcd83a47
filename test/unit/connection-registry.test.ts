/**
 * ConnectionRegistry: the open connections of a server kept in an array with each connection's
 * index (removal swaps the last into its place). What the servers rely on: size, delete of any
 * connection in any order, forEach visiting each open one once even when the visit closes it,
 * and drain() resolving once the last one is gone.
 */
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { describe, it } from "node:test";
import { ConnectionRegistry, type TrackedConnection } from "../../src/net/connection-registry.js";

interface Fake extends TrackedConnection {
  readonly id: number;
  shutdowns: number;
}

function fake(id: number): Fake {
  return {
    id,
    registryIndex: -1,
    shutdowns: 0,
    socket: { destroy: () => undefined } as unknown as Socket,
    shutdown() {
      this.shutdowns++;
    },
  };
}

function ids(registry: ConnectionRegistry<Fake>): number[] {
  const seen: number[] = [];
  registry.forEach((c) => seen.push(c.id));
  return seen.sort((a, b) => a - b);
}

describe("ConnectionRegistry", () => {
  it("adds and deletes in any order; a second add or delete changes nothing", () => {
    const registry = new ConnectionRegistry<Fake>();
    const all = Array.from({ length: 8 }, (_, i) => fake(i));
    for (const c of all) registry.add(c);
    registry.add(all[3] as Fake);
    assert.equal(registry.size, 8);
    for (const i of [0, 7, 3, 3, 5]) registry.delete(all[i] as Fake);
    assert.equal(registry.size, 4);
    assert.deepEqual(ids(registry), [1, 2, 4, 6]);
    // each survivor still finds itself where the registry says
    for (const i of [6, 1, 4, 2]) registry.delete(all[i] as Fake);
    assert.equal(registry.size, 0);
    assert.deepEqual(ids(registry), []);
    for (const c of all) assert.equal(c.registryIndex, -1);
  });

  it("does not take a connection of another registry for its own", () => {
    const a = new ConnectionRegistry<Fake>();
    const b = new ConnectionRegistry<Fake>();
    const mine = fake(1);
    const theirs = fake(2);
    a.add(mine);
    b.add(theirs);
    a.delete(theirs); // same index 0, another connection: not removed from either
    assert.equal(a.size, 1);
    assert.equal(b.size, 1);
  });

  it("visits every open connection once, also when a visit closes it", () => {
    const registry = new ConnectionRegistry<Fake>();
    const all = Array.from({ length: 6 }, (_, i) => fake(i));
    for (const c of all) registry.add(c);
    const seen: number[] = [];
    registry.forEach((c) => {
      seen.push(c.id);
      if (c.id % 2 === 0) registry.delete(c);
    });
    assert.deepEqual(
      seen.sort((x, y) => x - y),
      [0, 1, 2, 3, 4, 5],
    );
    assert.deepEqual(ids(registry), [1, 3, 5]);
  });

  it("drain() tells each connection and resolves when the last is deleted", async () => {
    const registry = new ConnectionRegistry<Fake>();
    const all = [fake(1), fake(2)];
    for (const c of all) registry.add(c);
    let done = false;
    const drained = registry.drain(10_000).then(() => (done = true));
    assert.equal(registry.isDraining, true);
    assert.deepEqual(
      all.map((c) => c.shutdowns),
      [1, 1],
    );
    registry.delete(all[0] as Fake);
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false);
    registry.delete(all[1] as Fake);
    await drained;
    assert.equal(done, true);
  });
});
