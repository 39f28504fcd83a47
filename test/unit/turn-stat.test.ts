/**
 * TurnStat: stats shared by the lookups of one active dispatch turn, fresh otherwise. The
 * contract serveStatic relies on: outside an active turn every call stats afresh, and a new turn
 * never sees an older turn's stats. Turns are the server's own (dispatch-turn.ts): each test step
 * runs inside one.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { dispatchOrQueue } from "../../src/http/server/dispatch-turn.js";
import { TurnStat } from "../../src/static/turn-stat.js";

/** Runs `fn` inside a dispatch turn of its own (the next check phase). */
function inTurn<T>(fn: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    dispatchOrQueue({
      dispatchQueued: () => {
        try {
          resolve(fn());
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      },
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "tcpkit-turn-stat-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("TurnStat", () => {
  it("shares one stat within a turn; a new turn sees the change", async () => {
    const file = join(dir, "a.txt");
    writeFileSync(file, "one\n");
    const stats = new TurnStat();
    await inTurn(() => {
      const first = stats.stat(file);
      writeFileSync(file, "longer than before\n");
      // Same turn: its requests all arrived before it began, so the shared stat is valid for them.
      assert.equal(stats.stat(file), first);
      assert.equal(first?.size, 4);
    });
    assert.equal((await inTurn(() => stats.stat(file)))?.size, 19);
  });

  it("stats afresh outside a turn", async () => {
    const file = join(dir, "b.txt");
    writeFileSync(file, "one\n");
    const stats = new TurnStat();
    assert.equal(stats.stat(file)?.size, 4);
    writeFileSync(file, "three\n");
    assert.equal(stats.stat(file)?.size, 6);
    assert.equal((await inTurn(() => stats.stat(file)))?.size, 6);
    writeFileSync(file, "seven!\n\n");
    // A continuation after the turn (an await in the handler) must not reuse its stats.
    assert.equal(stats.stat(file)?.size, 8);
  });

  it("remembers absence within a turn and sees a created file in the next", async () => {
    const file = join(dir, "later.txt");
    const stats = new TurnStat();
    await inTurn(() => {
      assert.equal(stats.stat(file), undefined);
      writeFileSync(file, "now\n");
      assert.equal(stats.stat(file), undefined);
    });
    assert.equal((await inTurn(() => stats.stat(file)))?.size, 4);
    unlinkSync(file);
    assert.equal(await inTurn(() => stats.stat(file)), undefined);
  });

  it("does not remember errors other than absence", async () => {
    const loop = join(dir, "loop");
    symlinkSync(loop, loop);
    const stats = new TurnStat();
    await inTurn(() => {
      assert.throws(() => stats.stat(loop), { code: "ELOOP" });
      assert.throws(() => stats.stat(loop), { code: "ELOOP" });
    });
  });

  it("treats a path through a file (ENOTDIR) as absent, on every runtime", async () => {
    const file = join(dir, "plain.txt");
    writeFileSync(file, "x");
    const stats = new TurnStat();
    assert.equal(await inTurn(() => stats.stat(join(file, "child"))), undefined);
    assert.equal(stats.stat(join(file, "child")), undefined);
  });
});
