/**
 * Content-Type for a file name, from mime-db (DESIGN §4), with `charset=utf-8` on text types, and
 * whether a type is worth compressing. The table is read on the first lookup from the compact
 * form the build derives from mime-db (media-type-table.ts); where that file is missing (the
 * sources compiled without `npm run build`) it is derived from mime-db here, the same way.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { MimeDatabase } from "mime-db";
import { tableFromMimeDb, type MediaTypeTable } from "./media-type-table.js";

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

/** Where the build writes the table: dist/media-types.json, one level above dist/static/. */
const TABLE_URL = new URL("../media-types.json", import.meta.url);

let table: MediaTypeTable | undefined;
/** One TypeInfo per Content-Type, made on first use. */
const infos: (TypeInfo | undefined)[] = [];

function loadTable(): MediaTypeTable {
  try {
    return JSON.parse(readFileSync(TABLE_URL, "utf8")) as MediaTypeTable;
  } catch {
    return tableFromMimeDb(createRequire(import.meta.url)("mime-db") as MimeDatabase);
  }
}

/** The media type of `fileName` by its extension (case-insensitive). */
export function mediaTypeFor(fileName: string): TypeInfo {
  const dot = fileName.lastIndexOf(".");
  if (dot < 0 || dot === fileName.length - 1) return DEFAULT_TYPE;
  table ??= loadTable();
  const ext = fileName.slice(dot + 1).toLowerCase();
  // An own property only: `x.constructor` is no extension of the table's object.
  if (!Object.hasOwn(table.extensions, ext)) return DEFAULT_TYPE;
  const index = table.extensions[ext] as number;
  return (infos[index] ??= {
    contentType: table.types[index] as string,
    compressible: table.compressible[index] === true,
  });
}
