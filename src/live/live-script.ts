/**
 * The script live reload puts into HTML pages, and where it goes. Pure. The place is the last
 * `</body>`, else the last `</html>`, else the end of the page (live-server#242 and #335: a
 * page without `</body>` must reload too); tag names are matched case-insensitively, and only
 * as tags (not in comments, scripts or styles).
 */

/**
 * The events path. `%2F` is an encoded slash, which serveStatic refuses for every file path
 * (400), so no file under ROOT can ever be shadowed by it, whatever it is named.
 */
export const LIVE_PATH = "/.tcpkit%2Flive";

/**
 * The client. One EventSource on LIVE_PATH serves every tab of the origin: browsers allow six
 * HTTP/1.1 connections per origin, and a stream per tab left the seventh tab unable to load
 * (live-server and browser-sync users know it). The tab holding the Web Lock `tcpkit-live` opens
 * the stream and relays each event to the other tabs over a BroadcastChannel; when it closes or
 * reloads, the lock passes to another tab, which opens the stream. Where Web Locks or
 * BroadcastChannel are missing (not a secure context: a LAN address over http), each tab has its
 * own stream, closed while the tab is hidden.
 *
 * Events carry the server's state (`hello` on connecting, then `reload` or `css`: an id that
 * changes with every batch of changes and every server start). `reload` reloads the page; `css`
 * swaps each same-origin stylesheet link for a fresh copy (a query string that changes) and
 * removes the old one once the new one has loaded, so the page never shows unstyled. A `hello`
 * with another state than the page last saw (the server restarted, or something changed while
 * no stream was open) reloads the page. A new tab asks the others for the state they know.
 */
const CLIENT = `(()=>{
if(!window.EventSource)return;
let known,leader=false,es,ch;
const swap=()=>{for(const old of document.querySelectorAll('link[rel~="stylesheet"][href]')){
const u=new URL(old.href);if(u.origin!==location.origin)continue;
u.searchParams.set("tcpkit-live",Date.now());
const fresh=old.cloneNode();fresh.href=u.href;fresh.onload=fresh.onerror=()=>old.remove();old.after(fresh)}};
const act=(t,id)=>{const stale=t==="hello"&&known!==undefined&&id!==known;known=id;
if(t==="css")swap();else if(t==="reload"||stale)location.reload()};
const open=(relay)=>{const s=new EventSource(PATH);
for(const t of["hello","reload","css"])s.addEventListener(t,(e)=>{relay(t,e.data);act(t,e.data)});return s};
if(navigator.locks&&window.BroadcastChannel){
ch=new BroadcastChannel("tcpkit-live");
ch.onmessage=(e)=>{const m=e.data||{};
if(m.t==="ask"){if(leader&&known!==undefined)ch.postMessage({t:"hello",id:known})}
else if(m.t==="hello"||m.t==="reload"||m.t==="css")act(m.t,m.id)};
ch.postMessage({t:"ask"});
navigator.locks.request("tcpkit-live",()=>{leader=true;es=open((t,id)=>ch.postMessage({t,id}));return new Promise(()=>{})})
}else{const sync=()=>{if(document.hidden){if(es)es.close();es=undefined}else if(!es)es=open(()=>{})};
sync();document.addEventListener("visibilitychange",sync)}
})()`;

/** The script element: CLIENT with its line breaks dropped (each line ends where one may). */
export const LIVE_SCRIPT = `<script data-tcpkit-live>${CLIENT.replace(/\n/g, "").replace("PATH", JSON.stringify(LIVE_PATH))}</script>`;

const SCRIPT_BYTES = Buffer.from(LIVE_SCRIPT, "latin1");

/** `page` with the script inserted (a new Buffer; the page itself when it cannot take one). */
export function injectScript(page: Buffer): Buffer {
  // A byte order mark makes a browser read the page as UTF-16, whatever Content-Type says
  // (WHATWG Encoding, BOM sniffing): the script goes in as UTF-16 too, else its bytes would be
  // CJK-looking text and the page's last character split in half.
  const le = page[0] === 0xff && page[1] === 0xfe;
  const be = page[0] === 0xfe && page[1] === 0xff;
  if (le || be) {
    if (page.length % 2 !== 0) return page;
    const text = (be ? Buffer.from(page).swap16() : page).toString("utf16le");
    const at = insertionPoint(text);
    const out = Buffer.from(text.slice(0, at) + LIVE_SCRIPT + text.slice(at), "utf16le");
    return be ? out.swap16() : out;
  }
  // latin1 maps bytes 1:1 to UTF-16 units, so offsets in the string are offsets in the bytes.
  const at = insertionPoint(page.toString("latin1"));
  return Buffer.concat([page.subarray(0, at), SCRIPT_BYTES, page.subarray(at)]);
}

/** Elements whose content is text, where a `</body>` is no tag (WHATWG HTML §13.1.2). */
const RAW_TEXT = /<(script|style|textarea|title|xmp|iframe|noembed|noframes|noscript)[\s/>]/y;
const END_TAG = /<\/(body|html)(?![^\s/>])/y;

/**
 * Where the script goes in `page`: before the last `</body>`, else the last `</html>`, else at
 * the end, counting only tags, case-insensitively: a `</body>` in a comment or in a script or
 * style after the real one is text (the script put there would never run, or end the page's
 * own script early).
 */
function insertionPoint(page: string): number {
  const text = page.toLowerCase();
  let body: number | undefined;
  let html: number | undefined;
  for (let lt = text.indexOf("<"); lt >= 0; lt = text.indexOf("<", lt + 1)) {
    if (text.startsWith("<!--", lt)) {
      const end = text.indexOf("-->", lt + 2); // "<!-->" is a whole (empty) comment
      if (end < 0) break;
      lt = end + 2;
      continue;
    }
    RAW_TEXT.lastIndex = lt;
    const raw = RAW_TEXT.exec(text);
    if (raw !== null) {
      const end = text.indexOf(`</${raw[1] as string}`, lt + raw[0].length);
      if (end < 0) break;
      lt = end;
      continue;
    }
    END_TAG.lastIndex = lt;
    const tag = END_TAG.exec(text);
    if (tag?.[1] === "body") body = lt;
    else if (tag?.[1] === "html") html = lt;
  }
  return body ?? html ?? page.length;
}
