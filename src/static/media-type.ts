/**
 * Content-Type for a file name, from mime-db (DESIGN §4), with `charset=utf-8` on text types, and
 * whether a type is worth compressing.
 */
import db from "mime-db";

interface TypeInfo {
  /** The full Content-Type value. */
  readonly contentType: string;
  /** mime-db says compressing it pays (text, JSON, SVG, ...). */
  readonly compressible: boolean;
}

/** Used when the extension is unknown or absent: the client must not guess (RFC 9110 §8.3). */
export const DEFAULT_TYPE: TypeInfo = {
  contentType: "application/octet-stream",
  compressible: false,
};

/**
 * Where mime-db lists an extension under several types, the one whose source is the most
 * authoritative wins (IANA, then Apache, then nginx); these are the exceptions where browsers
 * need the other one.
 */
const OVERRIDES: Record<string, string> = { mp4: "video/mp4", m4v: "video/mp4" };
const SOURCE_RANK: Record<string, number> = { iana: 3, apache: 2, nginx: 1 };

function buildTable(): Map<string, TypeInfo> {
  const best = new Map<string, { type: string; rank: number }>();
  for (const [type, entry] of Object.entries(db)) {
    const rank = SOURCE_RANK[entry.source ?? ""] ?? 0;
    for (const ext of entry.extensions ?? []) {
      const prev = best.get(ext);
      if (prev === undefined || rank > prev.rank) best.set(ext, { type, rank });
    }
  }
  for (const [ext, type] of Object.entries(OVERRIDES)) best.set(ext, { type, rank: 99 });
  const table = new Map<string, TypeInfo>();
  for (const [ext, { type }] of best) {
    const entry = db[type];
    const textual = type.startsWith("text/") || entry?.charset?.toUpperCase() === "UTF-8";
    table.set(ext, {
      contentType: textual ? `${type}; charset=utf-8` : type,
      compressible: entry?.compressible === true,
    });
  }
  return table;
}

const TABLE = buildTable();

/** The media type of `fileName` by its extension (case-insensitive). */
export function mediaTypeFor(fileName: string): TypeInfo {
  const dot = fileName.lastIndexOf(".");
  if (dot < 0 || dot === fileName.length - 1) return DEFAULT_TYPE;
  return TABLE.get(fileName.slice(dot + 1).toLowerCase()) ?? DEFAULT_TYPE;
}
