/**
 * stat(2) shared by the lookups of one dispatch turn (DESIGN §8: "revalidated cheaply").
 *
 * The server dispatches the requests read in one poll phase together, in a turn that starts
 * after all of them were received and during which nothing is read (http/server/dispatch-turn.ts). A
 * stat taken during the turn therefore sees the file as it was after every one of those
 * requests arrived, which is what a stat per request could have seen: sharing it changes no
 * answer. Under load about 50 requests share a turn, and the stat was the largest cost of a
 * hot-file request after the socket write. A lookup outside an active turn (a direct call, a
 * continuation after an await) stats afresh. Errors are not remembered, and the memo holds at
 * most MAX_PATHS paths.
 */
import { statSync, type Stats } from "node:fs";
import { currentTurn, type DispatchTurn } from "../http/server/dispatch-turn.js";

const MAX_PATHS = 1024;

/** A path's stat and the turn it was taken in (null: nothing there). */
interface Memo {
  turn: DispatchTurn;
  stat: Stats | null;
}

export class TurnStat {
  /**
   * Path → its last stat, valid only for the turn it names. Entries are updated in place, not
   * cleared per turn: a Map.clear() per turn made V8 rebuild the table each time and chain every
   * outgrown table to the next, and once one reached the old generation the chain kept each
   * turn's Stats alive through young collections (promoted at ~100 KB a scavenge under HTTP/1.0
   * load; docs/BENCHMARKS.md, "HTTP/1.0 and the young generation").
   */
  readonly #memo = new Map<string, Memo>();

  /** statSync(path), undefined when it does not exist; throws as statSync does otherwise. */
  stat(path: string): Stats | undefined {
    const turn = currentTurn();
    if (turn === undefined || !turn.active) return statIfExists(path);
    const known = this.#memo.get(path);
    if (known !== undefined && known.turn === turn) return known.stat ?? undefined;
    const s = statIfExists(path);
    if (known !== undefined) {
      known.turn = turn;
      known.stat = s ?? null;
    } else {
      if (this.#memo.size >= MAX_PATHS) this.#memo.clear();
      this.#memo.set(path, { turn, stat: s ?? null });
    }
    return s;
  }
}

/**
 * statSync, undefined when nothing is there: ENOENT, and ENOTDIR (a path through a file), which
 * Node 24 reports as absence by itself and Node 22 throws; both mean 404 to a caller.
 */
function statIfExists(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw error;
  }
}
