/**
 * Directory listings: reading a folder (without dotfiles unless allowed) and rendering it as HTML
 * (breadcrumbs, folders first, sortable by name, size and date through plain links, no JavaScript),
 * JSON or plain text. Names are escaped; no absolute server path ever appears.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { encodeSegment } from "./resolve-path.js";
import { formatSize } from "../util/format.js";

/** One row of a listing. */
export interface ListingEntry {
  readonly name: string;
  readonly isDirectory: boolean;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Column a listing is sorted by (the `sort` query parameter). */
export type SortKey = "name" | "size" | "date";
/** Direction of the sort (the `order` query parameter). */
export type SortOrder = "asc" | "desc";

/** Rows beyond this are left out (and the listing says so): a listing is for people. */
export const MAX_LISTING_ENTRIES = 5000;

/**
 * Reads the folder at `realPath`. Entries that cannot be stat'ed (dangling symlinks, races) are
 * left out; dotfiles are left out unless `dotfiles`.
 */
export async function readListing(
  realPath: string,
  dotfiles: boolean,
): Promise<{ entries: ListingEntry[]; truncated: boolean }> {
  const names = (await readdir(realPath)).filter((n) => dotfiles || !n.startsWith("."));
  const truncated = names.length > MAX_LISTING_ENTRIES;
  const picked = names.sort().slice(0, MAX_LISTING_ENTRIES);
  const entries: ListingEntry[] = [];
  await Promise.all(
    picked.map(async (name) => {
      try {
        const s = await stat(join(realPath, name));
        if (!s.isDirectory() && !s.isFile()) return;
        entries.push({ name, isDirectory: s.isDirectory(), size: s.size, mtimeMs: s.mtimeMs });
      } catch {
        // Gone or unreadable since readdir: not listed.
      }
    }),
  );
  return { entries, truncated };
}

/** Reads `sort` and `order` from a query string; anything unknown gives name ascending. */
export function parseSortQuery(query: string): { sort: SortKey; order: SortOrder } {
  let sort: SortKey = "name";
  let order: SortOrder = "asc";
  for (const pair of query.split("&")) {
    const [k, v] = pair.split("=");
    if (k === "sort" && (v === "name" || v === "size" || v === "date")) sort = v;
    if (k === "order" && (v === "asc" || v === "desc")) order = v;
  }
  return { sort, order };
}

/** Folders first, then by the key (name as the tie-breaker), reversed within groups for desc. */
export function sortEntries(
  entries: readonly ListingEntry[],
  sort: SortKey,
  order: SortOrder,
): ListingEntry[] {
  const dir = order === "asc" ? 1 : -1;
  const byName = (a: ListingEntry, b: ListingEntry): number =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  return [...entries].sort((a, b) => {
    if (a.isDirectory !== b.isDirectory) return a.isDirectory ? -1 : 1;
    let c = 0;
    if (sort === "size") c = a.size - b.size;
    else if (sort === "date") c = a.mtimeMs - b.mtimeMs;
    if (c === 0) c = byName(a, b);
    return c * dir;
  });
}

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}
const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** "2026-11-24 05:03" in UTC. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

/** The URL path of a folder from its decoded segments: "/", "/a%20b/". */
export function folderUrl(segments: readonly string[]): string {
  return "/" + segments.map((s) => encodeSegment(s) + "/").join("");
}

/**
 * The HTML page. `segments` are the folder's decoded URL path segments; `extras` is trusted HTML
 * other wings add under the heading (ServeStaticOptions.listingExtras).
 */
export function renderHtml(
  segments: readonly string[],
  entries: readonly ListingEntry[],
  sort: SortKey,
  order: SortOrder,
  truncated: boolean,
  extras = "",
): string {
  const title = "Index of /" + segments.map((s) => s + "/").join("");
  const crumbs = [`<a href="/">/</a>`];
  for (let i = 0; i < segments.length; i++) {
    crumbs.push(
      `<a href="${escapeHtml(folderUrl(segments.slice(0, i + 1)))}">${escapeHtml(segments[i] as string)}/</a>`,
    );
  }
  const header = (key: SortKey, label: string): string => {
    const next: SortOrder = sort === key && order === "asc" ? "desc" : "asc";
    const mark = sort === key ? (order === "asc" ? " ▲" : " ▼") : "";
    return `<th><a href="?sort=${key}&amp;order=${next}">${label}</a>${mark}</th>`;
  };
  const rows: string[] = [];
  if (segments.length > 0) {
    rows.push(`<tr><td><a href="../">../</a></td><td></td><td></td></tr>`);
  }
  for (const e of entries) {
    const href = encodeSegment(e.name) + (e.isDirectory ? "/" : "");
    const label = escapeHtml(e.name) + (e.isDirectory ? "/" : "");
    const size = e.isDirectory ? "-" : formatSize(e.size);
    rows.push(
      `<tr class="${e.isDirectory ? "dir" : "file"}"><td><a href="${escapeHtml(href)}">${label}</a></td>` +
        `<td class="size" data-bytes="${e.isDirectory ? "" : e.size}">${size}</td>` +
        `<td><time>${formatTime(e.mtimeMs)}</time></td></tr>`,
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:52rem;padding:0 1rem;color:#222}
nav a{text-decoration:none}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .75rem .25rem 0}
th{border-bottom:1px solid #ccc}td.size,th:nth-child(2){text-align:right;font-variant-numeric:tabular-nums}tr.dir a{font-weight:600}</style>
</head><body>
<h1>Index of <nav style="display:inline">${crumbs.join(" ")}</nav></h1>
${extras}<table><thead><tr>${header("name", "Name")}${header("size", "Size")}${header("date", "Modified")}</tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>
${truncated ? `<p>Only the first ${MAX_LISTING_ENTRIES} entries are shown.</p>\n` : ""}</body></html>
`;
}

/** The JSON form: `{ path, entries: [{ name, type, size, modified }], truncated }`. */
export function renderJson(
  segments: readonly string[],
  entries: readonly ListingEntry[],
  truncated: boolean,
): string {
  return (
    JSON.stringify({
      path: "/" + segments.map((s) => s + "/").join(""),
      entries: entries.map((e) => ({
        name: e.name,
        type: e.isDirectory ? "directory" : "file",
        size: e.size,
        modified: new Date(e.mtimeMs).toISOString(),
      })),
      truncated,
    }) + "\n"
  );
}

/** The plain-text form: one "name[/]\tsize\tmodified" line per entry. */
export function renderText(entries: readonly ListingEntry[]): string {
  return entries
    .map(
      (e) =>
        `${e.name.replace(/[\r\n\t]/g, "?")}${e.isDirectory ? "/" : ""}\t${e.size}\t${new Date(e.mtimeMs).toISOString()}\n`,
    )
    .join("");
}
