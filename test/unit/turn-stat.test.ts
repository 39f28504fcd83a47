/**
 * TurnStat: stats shared by the lookups of one active dispatch turn, fresh otherwise. The
 * contract serveStatic relies on: outside an active turn every call stats afresh, and a new turn
 * never sees an older turn's stats.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { TurnStat } from "../../src/static/turn-stat.js";

const dir = mkdtempSync(join(tmpdir(), "tcpkit-turn-stat-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("TurnStat", () => {
  it("shares one stat within an active turn; a new turn sees the change", () => {
    const file = join(dir, "a.txt");
    writeFileSync(file, "one\n");
    const stats = new TurnStat();
    const turn = { active: true };
    const first = stats.stat(file, turn);
    writeFileSync(file, "longer than before\n");
    // Same turn: its requests all arrived before it began, so the shared stat is valid for them.
    assert.equal(stats.stat(file, turn), first);
    assert.equal(first?.size, 4);
    assert.equal(stats.stat(file, { active: true })?.size, 19);
  });

  it("stats afresh outside a turn and once the turn has ended", () => {
    const file = join(dir, "b.txt");
    writeFileSync(file, "one\n");
    const stats = new TurnStat();
    assert.equal(stats.stat(file, undefined)?.size, 4);
    writeFileSync(file, "three\n");
    assert.equal(stats.stat(file, undefined)?.size, 6);
    const turn = { active: true };
    assert.equal(stats.stat(file, turn)?.size, 6);
    turn.active = false;
    writeFileSync(file, "seven!\n\n");
    // A continuation after the turn (an await in the handler) must not reuse its stats.
    assert.equal(stats.stat(file, turn)?.size, 8);
  });

  it("remembers absence within a turn and sees a created file in the next", () => {
    const file = join(dir, "later.txt");
    const stats = new TurnStat();
    const turn = { active: true };
    assert.equal(stats.stat(file, turn), undefined);
    writeFileSync(file, "now\n");
    assert.equal(stats.stat(file, turn), undefined);
    assert.equal(stats.stat(file, { active: true })?.size, 4);
    unlinkSync(file);
    assert.equal(stats.stat(file, { active: true }), undefined);
  });

  it("does not remember errors other than absence", () => {
    const loop = join(dir, "loop");
    symlinkSync(loop, loop);
    const stats = new TurnStat();
    const turn = { active: true };
    assert.throws(() => stats.stat(loop, turn), { code: "ELOOP" });
    assert.throws(() => stats.stat(loop, turn), { code: "ELOOP" });
  });

  it("treats a path through a file (ENOTDIR) as absent, on every runtime", () => {
    const file = join(dir, "plain.txt");
    writeFileSync(file, "x");
    const stats = new TurnStat();
    assert.equal(stats.stat(join(file, "child"), { active: true }), undefined);
    assert.equal(stats.stat(join(file, "child"), undefined), undefined);
  });
});
