/**
 * TurnStat: stats shared within one event-loop turn, fresh in the next. The contract serveStatic
 * relies on: a change made before a turn begins is always seen in that turn.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { TurnStat } from "../../src/static/turn-stat.js";

const dir = mkdtempSync(join(tmpdir(), "tcpkit-turn-stat-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("TurnStat", () => {
  it("shares one stat within a turn and sees a change in the next turn", async () => {
    const file = join(dir, "a.txt");
    const stats = new TurnStat();
    let before: number;
    let first;
    let same;
    do {
      writeFileSync(file, "one\n");
      await nextTurn();
      before = Date.now();
      first = stats.stat(file);
      writeFileSync(file, "longer than before\n");
      // Same turn: its requests arrived before the change, so the shared stat is still valid.
      same = stats.stat(file);
      // A millisecond boundary between the calls also ends the memo; try again then.
    } while (Date.now() !== before);
    assert.equal(same, first);
    assert.equal(first?.size, 4);
    await nextTurn();
    assert.equal(stats.stat(file)?.size, 19);
  });

  it("remembers absence within a turn and sees a created file in the next", async () => {
    const file = join(dir, "later.txt");
    const stats = new TurnStat();
    await nextTurn();
    assert.equal(stats.stat(file), undefined);
    writeFileSync(file, "now\n");
    await nextTurn();
    assert.equal(stats.stat(file)?.size, 4);
    unlinkSync(file);
    await nextTurn();
    assert.equal(stats.stat(file), undefined);
  });

  it("does not remember errors other than absence", async () => {
    const file = join(dir, "plain.txt");
    writeFileSync(file, "x");
    const stats = new TurnStat();
    await nextTurn();
    assert.throws(() => stats.stat(join(file, "child")), { code: "ENOTDIR" });
    assert.throws(() => stats.stat(join(file, "child")), { code: "ENOTDIR" });
  });
});
