// Part of `npm run build`, after tsc: writes dist/media-types.json, the extension → Content-Type
// table derived from mime-db (src/static/media-type-table.ts says why it is precomputed).
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tableFromMimeDb } from "../dist/static/media-type-table.js";

const db = createRequire(import.meta.url)("mime-db");
writeFileSync("dist/media-types.json", `${JSON.stringify(tableFromMimeDb(db))}\n`);
