/**
 * "Did you mean ...?" for a mistyped command or flag name: the known name closest to what was
 * typed, when it is close enough to be a typo rather than a different word.
 */

/**
 * The candidate nearest to `typed` by edit distance (insertions, deletions, substitutions and
 * swaps of two neighbours, ignoring case), if it is within a third of the typed length (at
 * least 1); else the only candidate `typed` is a prefix of (3 characters or more).
 */
export function closestName(typed: string, candidates: readonly string[]): string | undefined {
  const lower = typed.toLowerCase();
  const limit = Math.max(1, Math.floor(lower.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  if (best !== undefined && bestDistance <= limit) return best;
  const extensions = candidates.filter((c) => c.toLowerCase().startsWith(lower));
  return lower.length >= 3 && extensions.length === 1 ? extensions[0] : undefined;
}

/** Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring). */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: distance between a[0..i) and b[0..j); names are short, so a full table is fine.
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}
