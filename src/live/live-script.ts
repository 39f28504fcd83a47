/**
 * The script live reload puts into HTML pages, and where it goes. Pure. The place is the last
 * `</body>`, else the last `</html>`, else the end of the page (live-server#242 and #335: a
 * page without `</body>` must reload too); tag names are matched case-insensitively.
 */

/**
 * The events path. `%2F` is an encoded slash, which serveStatic refuses for every file path
 * (400), so no file under ROOT can ever be shadowed by it, whatever it is named.
 */
export const LIVE_PATH = "/.tcpkit%2Flive";

/**
 * The client: an EventSource on LIVE_PATH. `reload` reloads the page; `css` swaps each
 * same-origin stylesheet link for a fresh copy (a query string that changes) and removes the
 * old one once the new one has loaded, so the page never shows unstyled. After a lost connection
 * (the server restarted) EventSource reconnects by itself; the page reloads then, as files may
 * have changed meanwhile.
 */
export const LIVE_SCRIPT =
  `<script data-tcpkit-live>(()=>{` +
  `if(!window.EventSource)return;let seen=false;` +
  `const es=new EventSource(${JSON.stringify(LIVE_PATH)});` +
  `es.onopen=()=>{if(seen)location.reload();seen=true};` +
  `es.addEventListener("reload",()=>location.reload());` +
  `es.addEventListener("css",()=>{` +
  `for(const old of document.querySelectorAll('link[rel~="stylesheet"][href]')){` +
  `const u=new URL(old.href);if(u.origin!==location.origin)continue;` +
  `u.searchParams.set("tcpkit-live",Date.now());` +
  `const fresh=old.cloneNode();fresh.href=u.href;` +
  `fresh.onload=fresh.onerror=()=>old.remove();old.after(fresh)}})` +
  `})()</script>`;

const SCRIPT_BYTES = Buffer.from(LIVE_SCRIPT, "latin1");

/** `page` with the script inserted (a new Buffer). */
export function injectScript(page: Buffer): Buffer {
  const at = lastTag(page, "</body") ?? lastTag(page, "</html") ?? page.length;
  return Buffer.concat([page.subarray(0, at), SCRIPT_BYTES, page.subarray(at)]);
}

/** Offset of the last `tag` (ASCII, lower case) in `page`, case-insensitively, or undefined. */
function lastTag(page: Buffer, tag: string): number | undefined {
  // latin1 maps bytes 1:1 to UTF-16 units, so offsets in the string are offsets in the bytes.
  const at = page.toString("latin1").toLowerCase().lastIndexOf(tag);
  return at < 0 ? undefined : at;
}
