/**
 * Refusing uploads another origin's page makes the browser send (cross-site request forgery).
 * The listing's form posts multipart/form-data, which a page of any origin may post too, without
 * a CORS preflight, with the browser's saved Basic credentials: a page the user merely visits
 * could fill the upload folder, or plant an index.html that runs on this server's origin. (PUT,
 * PATCH and DELETE from another origin need a preflight, which is answered only with --cors.)
 *
 * Browsers say where a request comes from; other clients (curl, tcpkit put) send neither field
 * and pass. As Go's net/http CrossOriginProtection: `Sec-Fetch-Site` when present (same-origin,
 * or none for a request the user typed, pass; same-site is another origin, such as another port
 * of localhost, and is refused); else `Origin`, which must name this server's own authority (its
 * Host). Pure.
 */
import { getField, requestAuthority } from "../http/header-lookup.js";
import type { RequestHead } from "../http/types.js";

/**
 * True when a browser sent `head` from a page of another origin. With `corsOpen` (--cors: any
 * origin may use the server, uncredentialed, as `Access-Control-Allow-Origin: *` means), only a
 * cross-origin request carrying credentials is; browsers never grant `*` to those.
 */
export function crossSiteUpload(head: RequestHead, corsOpen: boolean): boolean {
  if (!fromOtherOrigin(head)) return false;
  return !corsOpen || getField(head, "authorization") !== undefined;
}

function fromOtherOrigin(head: RequestHead): boolean {
  const site = getField(head, "sec-fetch-site")?.toLowerCase();
  if (site !== undefined) return site !== "same-origin" && site !== "none";
  const origin = getField(head, "origin");
  if (origin === undefined) return false;
  // "null" (a sandboxed page, a data: URL) or anything not an http(s) origin is another origin.
  const m = /^https?:\/\/([^/?#]+)$/i.exec(origin);
  if (m === null) return true;
  return (m[1] as string).toLowerCase() !== requestAuthority(head)?.toLowerCase();
}
