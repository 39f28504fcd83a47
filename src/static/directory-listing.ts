/**
 * Directory listings rendered (listing-reader.ts reads them) as HTML (breadcrumbs, an entry
 * count, folders first, sortable by name, size and date through plain links, no JavaScript), JSON
 * or plain text. Names are escaped; no absolute server path ever appears.
 */
import { getField } from "../http/header-lookup.js";
import { escapeHtml, htmlPage } from "../http/html-page.js";
import { mediaTypeQuality } from "../http/negotiation.js";
import type { RequestHead } from "../http/types.js";
import { encodeSegment } from "./resolve-path.js";
import { MAX_LISTING_ENTRIES, type Listing, type ListingEntry } from "./listing-reader.js";
import { formatSize } from "../util/format.js";

export { escapeHtml } from "../http/html-page.js";
export type { ListingEntry } from "./listing-reader.js";

/** Column a listing is sorted by (the `sort` query parameter). */
export type SortKey = "name" | "size" | "date";
/** Direction of the sort (the `order` query parameter). */
export type SortOrder = "asc" | "desc";

/** HTML another wing adds to the listing of the folder at `folderPath` (see listingExtras). */
export type ListingExtra = (folderPath: string) => string;

/** Rendered bodies kept per listing read: sort × order × form, per folder path and extras. */
const RENDERED_PER_LISTING = 24;
const rendered = new WeakMap<Listing, Map<string, RenderedListing>>();

/** A listing's body in the form the client prefers, and its Content-Type. */
export interface RenderedListing {
  readonly type: string;
  readonly bytes: Buffer;
}

/**
 * The listing as `head` asks for it (`sort`/`order` in the query; JSON, text or HTML by Accept).
 * A body is rendered once per listing read (listing-reader.ts shares those) and reused while that
 * read is current, so a burst of requests for one folder sorts and renders it once.
 */
export function renderListing(
  listing: Listing,
  segments: readonly string[],
  head: RequestHead,
  listingExtras: readonly ListingExtra[],
): RenderedListing {
  const { sort, order } = parseSortQuery(head.query);
  const accept = getField(head, "accept");
  const html = mediaTypeQuality(accept, "text/html");
  const json = mediaTypeQuality(accept, "application/json");
  const text = mediaTypeQuality(accept, "text/plain");
  const form = json > html && json >= text ? "json" : text > html ? "text" : "html";
  const folderPath = folderUrl(segments);
  const extras = form === "html" ? listingExtras.map((extra) => extra(folderPath)).join("") : "";
  const key = `${form}\0${sort}\0${order}\0${folderPath}\0${extras}`;
  let forListing = rendered.get(listing);
  const known = forListing?.get(key);
  if (known !== undefined) return known;
  const entries = sortEntries(listing.entries, sort, order);
  let out: RenderedListing;
  if (form === "json") {
    const body = renderJson(segments, entries, listing.truncated);
    out = { type: "application/json; charset=utf-8", bytes: Buffer.from(body, "utf8") };
  } else if (form === "text") {
    out = { type: "text/plain; charset=utf-8", bytes: Buffer.from(renderText(entries), "utf8") };
  } else {
    const body = renderHtml(segments, entries, sort, order, listing.truncated, extras);
    out = { type: "text/html; charset=utf-8", bytes: Buffer.from(body, "utf8") };
  }
  if (forListing === undefined) rendered.set(listing, (forListing = new Map()));
  if (forListing.size >= RENDERED_PER_LISTING) forListing.clear();
  forListing.set(key, out);
  return out;
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

/** "2026-11-24 05:03" in UTC. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

/** The URL path of a folder from its decoded segments: "/", "/a%20b/". */
export function folderUrl(segments: readonly string[]): string {
  return "/" + segments.map((s) => encodeSegment(s) + "/").join("");
}

/** "2 folders, 3 files" (singulars as they should be). */
export function entryCount(entries: readonly ListingEntry[]): string {
  let folders = 0;
  for (const e of entries) if (e.isDirectory) folders++;
  const files = entries.length - folders;
  const count = (n: number, one: string): string => `${n} ${one}${n === 1 ? "" : "s"}`;
  return `${count(folders, "folder")}, ${count(files, "file")}`;
}

/**
 * The HTML page (html-page.ts' look): breadcrumbs, the entry count, what other wings add
 * (`extras`, trusted HTML: ServeStaticOptions.listingExtras), then the table. Names wrap; sizes
 * and dates never do; on a phone the date column is hidden. `segments` are the folder's decoded
 * URL path segments.
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
  const header = (key: SortKey, label: string, cls: string): string => {
    const next: SortOrder = sort === key && order === "asc" ? "desc" : "asc";
    const mark = sort === key ? (order === "asc" ? " ▲" : " ▼") : "";
    const current = sort === key ? ` aria-sort="${order}ending"` : "";
    return `<th class="${cls}"${current}><a href="?sort=${key}&amp;order=${next}">${label}</a>${mark}</th>`;
  };
  const rows: string[] = [];
  if (segments.length > 0) {
    rows.push(
      `<tr class="dir up"><td class="name"><a href="../">../</a></td><td class="size num nowrap"></td><td class="date nowrap wide"></td></tr>`,
    );
  }
  for (const e of entries) {
    const href = encodeSegment(e.name) + (e.isDirectory ? "/" : "");
    const label = escapeHtml(e.name) + (e.isDirectory ? "/" : "");
    const size = e.isDirectory ? "-" : formatSize(e.size);
    const iso = new Date(e.mtimeMs).toISOString();
    rows.push(
      `<tr class="${e.isDirectory ? "dir" : "file"}"><td class="name"><a href="${escapeHtml(href)}">${label}</a></td>` +
        `<td class="size num nowrap" data-bytes="${e.isDirectory ? "" : e.size}">${size}</td>` +
        `<td class="date nowrap wide"><time datetime="${iso}">${formatTime(e.mtimeMs)}</time></td></tr>`,
    );
  }
  const count =
    entryCount(entries) + (truncated ? `; only the first ${MAX_LISTING_ENTRIES} are shown` : "");
  return htmlPage(
    title,
    `<h1>Index of <nav style="display:inline">${crumbs.join(" ")}</nav></h1>
<p class="meta count">${count}</p>
${extras}<table><thead><tr>${header("name", "Name", "name")}${header("size", "Size", "size num")}${header("date", "Modified", "date wide")}</tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table>`,
  );
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

/**
 * The plain-text form: one "name[/]\tsize\tmodified" line per entry. Listed names carry no C0
 * control (listing-reader.ts leaves those out); a C1 control (U+0080-U+009F, which a terminal may
 * read as CSI and the like) is shown as "?", so no name byte reaches a terminal as a control.
 */
export function renderText(entries: readonly ListingEntry[]): string {
  return entries
    .map(
      (e) =>
        // eslint-disable-next-line no-control-regex
        `${e.name.replace(/[\x00-\x1f\x7f-\x9f]/g, "?")}${e.isDirectory ? "/" : ""}\t${e.size}\t${new Date(e.mtimeMs).toISOString()}\n`,
    )
    .join("");
}
