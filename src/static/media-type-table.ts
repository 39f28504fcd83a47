/**
 * The extension → Content-Type table, derived from mime-db (the source of truth, DESIGN §4) in a
 * compact form: each distinct Content-Type once, and each extension as an index into them. The
 * build writes it to dist/media-types.json (scripts/media-types.mjs), which a server parses in
 * C++ (JSON.parse) instead of loading mime-db's 2,500 entries and looping over them in
 * JavaScript: that loop cost an idle `tcpkit serve` 7-12 MiB (heap, and the pages of V8's
 * optimising compilers it woke), the compact table 0.5 MiB.
 */
import type { MimeDatabase } from "mime-db";

/** dist/media-types.json: `types[extensions[ext]]` is the Content-Type of `*.ext`. */
export interface MediaTypeTable {
  /** Distinct Content-Type values, with `; charset=utf-8` on textual types. */
  readonly types: readonly string[];
  /** Parallel to `types`: mime-db says compressing it pays. */
  readonly compressible: readonly boolean[];
  /** Lower-case extension (no dot) → index into `types`. */
  readonly extensions: Readonly<Record<string, number>>;
}

/**
 * Where mime-db lists an extension under several types, the one whose source is the most
 * authoritative wins (IANA, then Apache, then nginx); these are the exceptions where browsers
 * need the other one.
 */
const OVERRIDES: Record<string, string> = { mp4: "video/mp4", m4v: "video/mp4" };
const SOURCE_RANK: Record<string, number> = { iana: 3, apache: 2, nginx: 1 };

/** The table for `db` (mime-db's export). */
export function tableFromMimeDb(db: MimeDatabase): MediaTypeTable {
  const best = new Map<string, { type: string; rank: number }>();
  for (const [type, entry] of Object.entries(db)) {
    const rank = SOURCE_RANK[entry.source ?? ""] ?? 0;
    for (const ext of entry.extensions ?? []) {
      const prev = best.get(ext);
      if (prev === undefined || rank > prev.rank) best.set(ext, { type, rank });
    }
  }
  for (const [ext, type] of Object.entries(OVERRIDES)) best.set(ext, { type, rank: 99 });
  const types: string[] = [];
  const compressible: boolean[] = [];
  const indexOf = new Map<string, number>();
  const extensions: Record<string, number> = {};
  for (const [ext, { type }] of best) {
    let index = indexOf.get(type);
    if (index === undefined) {
      const entry = db[type];
      const textual = type.startsWith("text/") || entry?.charset?.toUpperCase() === "UTF-8";
      index = types.push(textual ? `${type}; charset=utf-8` : type) - 1;
      compressible.push(entry?.compressible === true);
      indexOf.set(type, index);
    }
    extensions[ext] = index;
  }
  return { types, compressible, extensions };
}
