/**
 * The one look of tcpkit's own HTML pages (directory listings, error pages): a small document
 * with a fluid width, light and dark colours (`color-scheme` and `prefers-color-scheme`), an
 * empty icon link so browsers do not ask for /favicon.ico, and no JavaScript. Pure text.
 */

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

/**
 * The shared style. Names wrap anywhere (a 90-character name never widens the page); cells
 * marked .nowrap never wrap; below 600 px the .wide cells are hidden (a phone shows name and size).
 */
const STYLE = `:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--link:#0969da;--hover:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--link:#4493f8;--hover:#151b23}}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:64rem;padding:1.5rem 1rem;color:var(--fg);background:var(--bg)}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:1.3rem;font-weight:600;margin:0 0 .25rem;overflow-wrap:anywhere}
p.meta{color:var(--muted);margin:0 0 1rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;white-space:nowrap}
tbody tr:hover{background:var(--hover)}
td.name{width:100%;overflow-wrap:anywhere;word-break:break-word}
.nowrap{white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums}
tr.dir td.name a{font-weight:600}
@media (max-width:600px){body{padding:1rem .6rem;font-size:14px}.wide{display:none}th,td{padding:.3rem .4rem}}`;

/** A whole page: `title` is text (escaped here), `body` is trusted HTML. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head><body>
${body}
</body></html>
`;
}
