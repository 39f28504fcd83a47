/**
 * A PUT's preconditions (RFC 9110 §13.1) against the file it would replace: `If-Match` (the
 * ETag the client last saw: no lost update), `If-None-Match: *` (create only, never replace) and
 * `If-Unmodified-Since`; 412 when one fails. The validators are those the static side serves
 * for the file (makeEtag, its mtime), so an ETag from a GET matches. Evaluated only where the
 * PUT would otherwise succeed (§13.2.1: a 409 for a taken name without --overwrite stays 409).
 */
import type { Stats } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { getField } from "../http/header-lookup.js";
import { evaluatePreconditions } from "../http/preconditions.js";
import type { RequestHead } from "../http/types.js";
import { makeEtag } from "../static/file-table.js";

/** The regular file at `name` in `folder` as the static side would serve it, if there is one. */
export async function currentFile(folder: string, name: string): Promise<Stats | undefined> {
  const s = await stat(join(folder, name)).catch(() => undefined);
  return s?.isFile() === true ? s : undefined;
}

/** Whether `head`'s preconditions hold for `current` (undefined: no file has the name). */
export function preconditionsHold(head: RequestHead, current: Stats | undefined): boolean {
  if (current === undefined) {
    // No current representation: If-Match is false (§13.1.1), If-None-Match true (§13.1.2),
    // and a date has nothing to compare with (§13.1.4).
    return getField(head, "if-match") === undefined;
  }
  const validators = { etag: makeEtag(current), lastModifiedMs: current.mtimeMs };
  return evaluatePreconditions(head, validators).kind === "proceed";
}

/** `If-None-Match: *`: the PUT may create the file, never replace one. */
export function createOnly(head: RequestHead): boolean {
  return getField(head, "if-none-match")?.trim() === "*";
}
