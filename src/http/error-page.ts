/**
 * Error answers for people and for programs: a client that prefers text/html to text/plain (a
 * browser) gets a small page in the listing's look (html-page.ts); anyone else (curl's "*\/*",
 * no Accept at all) gets error-plan.ts' one text line. Pure HTTP vocabulary: a status, its
 * reason phrase, and at most a link the caller chose (the nearest folder of a 404).
 */
import { errorPlan } from "./error-plan.js";
import { getField } from "./header-lookup.js";
import { escapeHtml, htmlPage } from "./html-page.js";
import { mediaTypeQuality } from "./negotiation.js";
import { reasonPhrase } from "./status.js";
import type { RequestHead, ResponsePlan } from "./types.js";

const TEXT_HTML = "Content-Type: text/html; charset=utf-8\r\n";

/** What a status tells the reader, in one sentence. */
const EXPLANATIONS: Readonly<Record<number, string>> = {
  400: "The request could not be understood.",
  403: "You do not have permission to see this.",
  404: "Nothing is here.",
  405: "This address does not accept that method.",
  412: "A condition of the request was not met.",
  416: "The requested byte range is outside the file.",
  500: "The server failed to answer this request.",
  501: "The server does not know that method.",
  503: "The server is busy; try again shortly.",
};

/** True when the client asked for HTML over plain text (browsers do; curl and wget do not). */
export function prefersHtml(head: RequestHead): boolean {
  const accept = getField(head, "accept");
  if (accept === undefined) return false;
  return mediaTypeQuality(accept, "text/html") > mediaTypeQuality(accept, "text/plain");
}

/** The HTML body of an error page; `link` is an already-encoded URL path ("/docs/"). */
export function renderErrorPage(status: number, link?: string): string {
  const title = `${status} ${reasonPhrase(status)}`;
  const why = EXPLANATIONS[status] ?? "";
  const back =
    link === undefined
      ? ""
      : `\n<p><a href="${escapeHtml(link)}">Go to ${escapeHtml(decodeForLabel(link))}</a></p>`;
  return htmlPage(title, `<h1>${escapeHtml(title)}</h1>\n<p class="meta">${why}</p>${back}`);
}

/** The link's path as people read it, for its label; the raw path when it is not valid UTF-8. */
function decodeForLabel(link: string): string {
  try {
    return decodeURIComponent(link);
  } catch {
    return link;
  }
}

const pages = new Map<number, Buffer>();
const VARY_ACCEPT = "Vary: Accept\r\n";

/**
 * errorPlan(status, headers) for `head`: an HTML page when the client prefers it (with a link to
 * `link` when given), else the text line. Pages without a link are built once per status. Either
 * says Vary: Accept (RFC 9110 §12.5.5): a 404 is cacheable by default (§15.1), and a cache must
 * not hand the text line kept for a script to a browser, or the page to a script.
 */
export function errorPlanFor(
  head: RequestHead,
  status: number,
  extra = "",
  link?: string,
): ResponsePlan {
  const headers = VARY_ACCEPT + extra;
  if (!prefersHtml(head)) return errorPlan(status, headers);
  let bytes: Buffer | undefined = link === undefined ? pages.get(status) : undefined;
  if (bytes === undefined) {
    bytes = Buffer.from(renderErrorPage(status, link), "utf8");
    if (link === undefined && pages.size < 100) pages.set(status, bytes);
  }
  return { status, headers: TEXT_HTML + headers, body: { kind: "bytes", bytes } };
}
