/**
 * Raw requests for the nginx differential test, and the document root they are aimed at. Each
 * case is sent as written (latin1 bytes) on a fresh connection to nginx and to tcpkit serve.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface WireCase {
  /** Unique name; the key of the differences table. */
  readonly name: string;
  /** Request bytes (latin1). `{ETAG}`, `{LM}` (and `{LM850}`, `{LMASC}`,
   * `{LMLOWER}`: the same date in obsolete forms) are each server's validators of /a.txt. */
  readonly request: string;
  /** How many responses a fully served request stream gets (pipelined cases: 2). */
  readonly responses?: number;
  /** Methods of the requests, in order, for response framing (default: the first token). */
  readonly methods?: readonly string[];
  /** A 200 that is a generated listing: its bytes and length are not compared. */
  readonly listing?: boolean;
}

/** The 1 KiB text file /a.txt: 16 lines of 64 bytes, each line distinct. */
export const A_TXT = Buffer.from(
  Array.from(
    { length: 16 },
    (_, i) => `line ${String(i).padStart(2, "0")} ${"abcdefghij".repeat(6)}`.slice(0, 63) + "\n",
  ).join(""),
  "latin1",
);

/**
 * Writes the document root under `base`: base/www is the root, base/secret.txt and
 * base/secret-dir/ hold `marker` and sit outside it.
 */
export function writeDocumentRoot(base: string, marker: string): string {
  const root = join(base, "www");
  const w = (rel: string, data: string | Buffer): void => writeFileSync(join(root, rel), data);
  for (const d of ["dir", "list", "dir space", ".git", "gz", "été"]) {
    mkdirSync(join(root, d), { recursive: true });
  }
  mkdirSync(join(base, "secret-dir"));
  writeFileSync(join(base, "secret.txt"), `${marker}\n`);
  writeFileSync(join(base, "secret-dir", "secret.txt"), `${marker} dir\n`);
  const bin = Buffer.alloc(4096);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 31 + (i >> 7)) & 0xff;
  const js = Buffer.from("console.log('precompressed');\n".repeat(64));
  w("index.html", "<!doctype html><title>home</title><h1>home</h1>\n");
  w("a.txt", A_TXT);
  w("bin.dat", bin);
  w("empty.txt", "");
  w("with space.txt", "a file with a space\n");
  w("été.txt", "utf-8 name\n");
  w("été/inner.txt", "utf-8 folder\n");
  w("dir/index.html", "<!doctype html><title>dir</title>\n");
  w("dir/page.txt", "page in dir\n");
  w("dir space/f.txt", "folder with a space\n");
  w("list/one.txt", "one\n");
  w("list/two.txt", "two\n");
  w("list/.hidden", "hidden\n");
  w(".env", "DOTENV=1\n");
  w(".git/config", "[core]\n");
  w("gz/app.js", js);
  w("gz/app.js.gz", gzipSync(js));
  w("100%.txt", "percent name\n");
  symlinkSync(join(base, "secret.txt"), join(root, "out-link.txt"));
  symlinkSync(join(base, "secret-dir"), join(root, "out-dir"));
  symlinkSync(join(root, "a.txt"), join(root, "in-link.txt"));
  // a precompressed sibling that is a symlink out of the root (its bytes hold the marker raw)
  writeFileSync(join(base, "secret.gz"), `${marker} gz\n`);
  w("gz/leak.js", "console.log('leak');\n");
  symlinkSync(join(base, "secret.gz"), join(root, "gz", "leak.js.gz"));
  symlinkSync(join(root, ".env"), join(root, "to-dotfile"));
  return root;
}

const H = "Host: example.test\r\n";
/** `GET target HTTP/1.1` with Host and `extra` field lines. */
const get = (target: string, extra = "", method = "GET"): string =>
  `${method} ${target} HTTP/1.1\r\n${H}${extra}\r\n`;
const c = (name: string, request: string, more: Partial<WireCase> = {}): WireCase => ({
  name,
  request,
  ...more,
});

const basics: WireCase[] = [
  c("GET /", get("/")),
  c("HEAD /", get("/", "", "HEAD")),
  c("GET /a.txt", get("/a.txt")),
  c("HEAD /a.txt", get("/a.txt", "", "HEAD")),
  c("GET /bin.dat", get("/bin.dat")),
  c("GET /empty.txt", get("/empty.txt")),
  c("GET /index.html", get("/index.html")),
  c("GET /dir/", get("/dir/")),
  c("GET /dir (no slash)", get("/dir")),
  c("GET /dir?x=1 (no slash, query)", get("/dir?x=1")),
  c("GET /dir/page.txt", get("/dir/page.txt")),
  c("GET /list/ (listing)", get("/list/"), { listing: true }),
  c("GET /list (no slash)", get("/list")),
  c("HEAD /list/ (listing)", get("/list/", "", "HEAD"), { listing: true }),
  c("GET /missing", get("/missing")),
  c("GET /dir/missing/deeper", get("/dir/missing/deeper")),
  c("GET /a.txt/ (file with slash)", get("/a.txt/")),
  c("GET /a.txt?query", get("/a.txt?x=1&y")),
  c("GET /a.txt?", get("/a.txt?")),
  c("GET space name encoded", get("/with%20space.txt")),
  c("GET space folder encoded", get("/dir%20space/f.txt")),
  c("GET UTF-8 name encoded", get("/%C3%A9t%C3%A9.txt")),
  c("GET UTF-8 name lowercase hex", get("/%c3%a9t%c3%a9.txt")),
  c("GET UTF-8 folder encoded", get("/%C3%A9t%C3%A9/inner.txt")),
  c("GET UTF-8 name raw bytes", get("/\xc3\xa9t\xc3\xa9.txt")),
  c("GET percent name", get("/100%25.txt")),
  c("GET encoded letters", get("/%61.txt")),
  c("GET invalid escape", get("/a%zz.txt")),
  c("GET truncated escape", get("/a.txt%")),
  c("GET in-root symlink", get("/in-link.txt")),
  c("GET //a.txt", get("//a.txt")),
  c("GET /./a.txt", get("/./a.txt")),
  c("GET /dir/../a.txt", get("/dir/../a.txt")),
  c("GET precompressed, gzip accepted", get("/gz/app.js", "Accept-Encoding: gzip\r\n")),
  c("GET precompressed, not accepted", get("/gz/app.js")),
  c("GET precompressed, identity only", get("/gz/app.js", "Accept-Encoding: identity\r\n")),
  c("GET precompressed, gzip;q=0", get("/gz/app.js", "Accept-Encoding: gzip;q=0\r\n")),
  c("GET precompressed, *", get("/gz/app.js", "Accept-Encoding: *\r\n")),
  c("GET precompressed, GZIP upper", get("/gz/app.js", "Accept-Encoding: GZIP\r\n")),
  c("GET precompressed, br only", get("/gz/app.js", "Accept-Encoding: br\r\n")),
  c("GET precompressed, garbage AE", get("/gz/app.js", "Accept-Encoding: ;;,,q=x\r\n")),
  c("GET the .gz sibling itself", get("/gz/app.js.gz")),
  c("GET /dir space (no slash)", get("/dir%20space")),
  c("GET UTF-8 folder (no slash)", get("/%C3%A9t%C3%A9")),
  c("HEAD /dir (no slash)", get("/dir", "", "HEAD")),
  c("GET /dir%2fpage.txt", get("/dir%2fpage.txt")),
  c("GET /dir/./page.txt", get("/dir/./page.txt")),
  c("GET /dir//page.txt", get("/dir//page.txt")),
  c("GET /index.html/", get("/index.html/")),
  c("GET /dir/index.html", get("/dir/index.html")),
  c("GET with Host upper case", "GET /a.txt HTTP/1.1\r\nHost: EXAMPLE.test\r\n\r\n"),
  c("GET with Host trailing space", "GET /a.txt HTTP/1.1\r\nHost: x \r\n\r\n"),
  c("field value with leading tab", get("/a.txt", "X-A:\tv\r\n")),
  c("field name case mixed", get("/a.txt", "cOnNeCtIoN: close\r\n")),
];

const versions: WireCase[] = [
  c("HTTP/1.0 GET", "GET /a.txt HTTP/1.0\r\n\r\n"),
  c("HTTP/1.0 keep-alive", "GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
  c("HTTP/1.0 with Host", "GET /a.txt HTTP/1.0\r\nHost: x\r\n\r\n"),
  c("HTTP/1.0 HEAD", "HEAD /a.txt HTTP/1.0\r\n\r\n"),
  c("HTTP/1.0 404", "GET /missing HTTP/1.0\r\n\r\n"),
  c("HTTP/1.0 keep-alive 404", "GET /missing HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
  c("HTTP/1.1 Connection: close", get("/a.txt", "Connection: close\r\n")),
  c("HTTP/1.1 Connection: CLOSE", get("/a.txt", "Connection: CLOSE\r\n")),
  c("HTTP/1.1 Connection: keep-alive", get("/a.txt", "Connection: keep-alive\r\n")),
  c("HTTP/1.1 Connection: foo, close", get("/a.txt", "Connection: foo, close\r\n")),
  c("HTTP/1.1 404 keeps alive", get("/missing")),
  c("HTTP/1.2", "GET /a.txt HTTP/1.2\r\nHost: x\r\n\r\n"),
  c("HTTP/1.9", "GET /a.txt HTTP/1.9\r\nHost: x\r\n\r\n"),
  c("HTTP/2.0", "GET /a.txt HTTP/2.0\r\nHost: x\r\n\r\n"),
  c("HTTP/3.0", "GET /a.txt HTTP/3.0\r\nHost: x\r\n\r\n"),
  c("HTTP/0.9 full line", "GET /a.txt HTTP/0.9\r\n\r\n"),
  c("HTTP/0.9 simple request", "GET /a.txt\r\n"),
  c("HTTP/1.10", "GET /a.txt HTTP/1.10\r\nHost: x\r\n\r\n"),
  c("HTTP/01.1", "GET /a.txt HTTP/01.1\r\nHost: x\r\n\r\n"),
  c("http/1.1 lowercase", "GET /a.txt http/1.1\r\nHost: x\r\n\r\n"),
  c("HTTP/1 no minor", "GET /a.txt HTTP/1\r\nHost: x\r\n\r\n"),
  c("HTTP/1.1x garbage", "GET /a.txt HTTP/1.1x\r\nHost: x\r\n\r\n"),
  c("version garbage", "GET /a.txt FOO/1.1\r\nHost: x\r\n\r\n"),
  c("HTTP/ no digits", "GET /a.txt HTTP/\r\nHost: x\r\n\r\n"),
  c("request line with trailing space", "GET /a.txt HTTP/1.1 \r\nHost: x\r\n\r\n"),
  c("two spaces after method", "GET  /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("tab separators", "GET\t/a.txt\tHTTP/1.1\r\nHost: x\r\n\r\n"),
  c("leading CRLF before request", `\r\n${get("/a.txt")}`),
  c("LF-only line endings", "GET /a.txt HTTP/1.1\nHost: x\n\n"),
  c("empty request line then garbage", "\r\n\r\nxyz\r\n\r\n"),
];

const methods: WireCase[] = [
  c("OPTIONS /", get("/", "", "OPTIONS")),
  c("OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("OPTIONS /a.txt", get("/a.txt", "", "OPTIONS")),
  c("GET *", "GET * HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("POST /a.txt no body", get("/a.txt", "Content-Length: 0\r\n", "POST")),
  c("POST /a.txt with body", get("/a.txt", "Content-Length: 3\r\n", "POST") + "abc"),
  c("POST /missing", get("/missing", "Content-Length: 0\r\n", "POST")),
  c("PUT /a.txt", get("/a.txt", "Content-Length: 1\r\n", "PUT") + "x"),
  c("DELETE /a.txt", get("/a.txt", "", "DELETE")),
  c("PATCH /a.txt", get("/a.txt", "Content-Length: 0\r\n", "PATCH")),
  c("TRACE /", get("/", "", "TRACE")),
  c("CONNECT authority", "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n"),
  c("unknown method FOO", get("/a.txt", "", "FOO")),
  c("lowercase get", get("/a.txt", "", "get")),
  c("mixed-case Get", get("/a.txt", "", "Get")),
  c("method with digit", get("/a.txt", "", "GET2")),
  c("method with hyphen token", get("/a.txt", "", "M-SEARCH")),
  c("method with invalid char", get("/a.txt", "", "GE(T")),
  c("very long method", get("/a.txt", "", "X".repeat(64))),
];

const hosts: WireCase[] = [
  c("1.1 missing Host", "GET /a.txt HTTP/1.1\r\n\r\n"),
  c("1.1 empty Host", "GET /a.txt HTTP/1.1\r\nHost:\r\n\r\n"),
  c("duplicate Host same", "GET /a.txt HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n"),
  c("duplicate Host differing", "GET /a.txt HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"),
  c("Host with port", "GET /a.txt HTTP/1.1\r\nHost: x:8080\r\n\r\n"),
  c("Host IPv6 literal", "GET /a.txt HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"),
  c("Host with slash", "GET /a.txt HTTP/1.1\r\nHost: a/b\r\n\r\n"),
  c("Host with space", "GET /a.txt HTTP/1.1\r\nHost: a b\r\n\r\n"),
  c("Host with userinfo", "GET /a.txt HTTP/1.1\r\nHost: u@a\r\n\r\n"),
  c("Host with bad port", "GET /a.txt HTTP/1.1\r\nHost: a:xx\r\n\r\n"),
  c("Host with two colons", "GET /a.txt HTTP/1.1\r\nHost: a:1:2\r\n\r\n"),
  c("Host unclosed IP literal", "GET /a.txt HTTP/1.1\r\nHost: [::1\r\n\r\n"),
  c("Host ..", "GET /a.txt HTTP/1.1\r\nHost: ..\r\n\r\n"),
  c("absolute-form", "GET http://example.test/a.txt HTTP/1.1\r\nHost: other\r\n\r\n"),
  c("absolute-form without Host", "GET http://example.test/a.txt HTTP/1.1\r\n\r\n"),
  c("absolute-form https", "GET https://example.test/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("absolute-form no path", "GET http://example.test HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("absolute-form 1.0", "GET http://example.test/a.txt HTTP/1.0\r\n\r\n"),
  c("absolute-form ftp scheme", "GET ftp://example.test/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("absolute-form traversal", "GET http://example.test/../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("absolute-form upper-case scheme", "GET HTTP://example.test/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("absolute-form with port", "GET http://example.test:8080/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("absolute-form with userinfo", "GET http://u@example.test/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("absolute-form with query", "GET http://example.test/a.txt?q=1 HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("absolute-form folder redirect", "GET http://example.test/dir HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("authority-form on GET", "GET example.test:80 HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("relative target", "GET a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
];

const framing: WireCase[] = [
  c("GET with Content-Length body", get("/a.txt", "Content-Length: 5\r\n") + "hello"),
  c("GET Content-Length: 0", get("/a.txt", "Content-Length: 0\r\n")),
  c(
    "CL and TE together",
    get("/a.txt", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n",
  ),
  c("duplicate CL equal", get("/a.txt", "Content-Length: 3\r\nContent-Length: 3\r\n") + "abc"),
  c("duplicate CL differing", get("/a.txt", "Content-Length: 3\r\nContent-Length: 4\r\n") + "abcd"),
  c("CL list equal", get("/a.txt", "Content-Length: 3, 3\r\n") + "abc"),
  c("CL negative", get("/a.txt", "Content-Length: -1\r\n")),
  c("CL plus sign", get("/a.txt", "Content-Length: +3\r\n") + "abc"),
  c("CL hex", get("/a.txt", "Content-Length: 0x3\r\n") + "abc"),
  c("CL with space inside", get("/a.txt", "Content-Length: 1 2\r\n")),
  c("CL empty", get("/a.txt", "Content-Length:\r\n")),
  c("CL huge", get("/a.txt", "Content-Length: 99999999999999999999999\r\n")),
  c("CL above body limit", get("/a.txt", "Content-Length: 2000000\r\n")),
  c("TE chunked", get("/a.txt", "Transfer-Encoding: chunked\r\n") + "3\r\nabc\r\n0\r\n\r\n"),
  c("TE chunked, empty", get("/a.txt", "Transfer-Encoding: chunked\r\n") + "0\r\n\r\n"),
  c("TE gzip, chunked", get("/a.txt", "Transfer-Encoding: gzip, chunked\r\n") + "0\r\n\r\n"),
  c("TE identity", get("/a.txt", "Transfer-Encoding: identity\r\n")),
  c(
    "TE chunked, identity",
    get("/a.txt", "Transfer-Encoding: chunked, identity\r\n") + "0\r\n\r\n",
  ),
  c("TE CHUNKED upper", get("/a.txt", "Transfer-Encoding: CHUNKED\r\n") + "0\r\n\r\n"),
  c(
    "TE twice chunked",
    get("/a.txt", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n") + "0\r\n\r\n",
  ),
  c("TE on HTTP/1.0", "GET /a.txt HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
  c(
    "TE bad chunk size",
    get("/a.txt", "Transfer-Encoding: chunked\r\n") + "zz\r\nabc\r\n0\r\n\r\n",
  ),
  c(
    "TE chunk extension",
    get("/a.txt", "Transfer-Encoding: chunked\r\n") + "3;x=y\r\nabc\r\n0\r\n\r\n",
  ),
  c(
    "TE chunked with trailer",
    get("/a.txt", "Transfer-Encoding: chunked\r\n") + "0\r\nX-T: 1\r\n\r\n",
  ),
  c(
    "Expect 100-continue with body",
    get("/a.txt", "Expect: 100-continue\r\nContent-Length: 2\r\n") + "ab",
    { responses: 1 },
  ),
  c("CL leading zeros", get("/a.txt", "Content-Length: 003\r\n") + "abc"),
  c("CL with trailing space", get("/a.txt", "Content-Length: 3 \r\n") + "abc"),
  c(
    "TE chunk size overflow",
    get("/a.txt", "Transfer-Encoding: chunked\r\n") + "ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n",
  ),
  c(
    "TE chunk missing CRLF",
    get("/a.txt", "Transfer-Encoding: chunked\r\n") + "3\r\nabcX0\r\n\r\n",
  ),
  c("HEAD with body", get("/a.txt", "Content-Length: 2\r\n", "HEAD") + "ab"),
  c("OPTIONS with body", get("/", "Content-Length: 2\r\n", "OPTIONS") + "ab"),
  c(
    "Expect 100-continue, body withheld",
    get("/a.txt", "Expect: 100-continue\r\nContent-Length: 2\r\n"),
  ),
  c("Expect unknown", get("/a.txt", "Expect: something\r\n")),
];

const syntax: WireCase[] = [
  c("obs-fold", get("/a.txt", "X-A: one\r\n two\r\n")),
  c("obs-fold first line", "GET /a.txt HTTP/1.1\r\n Host: x\r\n\r\n"),
  c("space before colon", get("/a.txt", "X-A : v\r\n")),
  c("space before colon in Host", "GET /a.txt HTTP/1.1\r\nHost : x\r\n\r\n"),
  c("tab before colon", get("/a.txt", "X-A\t: v\r\n")),
  c("no colon", get("/a.txt", "X-A v\r\n")),
  c("empty field name", get("/a.txt", ": v\r\n")),
  c("field name with slash", get("/a.txt", "X/A: v\r\n")),
  c("field name with NUL", get("/a.txt", "X\0A: v\r\n")),
  c("field name with DEL", get("/a.txt", "X\x7fA: v\r\n")),
  c("field name with underscore", get("/a.txt", "X_A: v\r\n")),
  c("field name with high byte", get("/a.txt", "X\xe9A: v\r\n")),
  c("field value with NUL", get("/a.txt", "X-A: a\0b\r\n")),
  c("field value with bare CR", get("/a.txt", "X-A: a\rb\r\n")),
  c("field value with control byte", get("/a.txt", "X-A: a\x01b\r\n")),
  c("field value with DEL", get("/a.txt", "X-A: a\x7fb\r\n")),
  c("field value with tab", get("/a.txt", "X-A: a\tb\r\n")),
  c("field value obs-text", get("/a.txt", "X-A: caf\xe9\r\n")),
  c("bare LF between fields", "GET /a.txt HTTP/1.1\r\nHost: x\nX-A: v\r\n\r\n"),
  c("bare CR line ending", "GET /a.txt HTTP/1.1\rHost: x\r\n\r\n"),
  c("bare CR in request line", "GET /a\r.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("NUL in target", get("/a.txt\0")),
  c("control byte in target", get("/a\x01.txt")),
  c("DEL in target", get("/a\x7f.txt")),
  c("high byte in target", get("/a\xff.txt")),
  c("quote in target", get('/a".txt')),
  c("fragment in target", get("/a.txt#frag")),
  c("target starting with ?", get("?x=1")),
  c(
    "huge head (many fields)",
    get("/a.txt", "X-Pad: " + "p".repeat(100) + "\r\n").replace(
      "\r\n\r\n",
      "\r\n" +
        Array.from({ length: 200 }, (_, i) => `X-${i}: ${"v".repeat(90)}\r\n`).join("") +
        "\r\n",
    ),
  ),
  c("one 20 KiB field", get("/a.txt", `X-Big: ${"b".repeat(20 * 1024)}\r\n`)),
  c("one 6 KiB field", get("/a.txt", `X-Big: ${"b".repeat(6 * 1024)}\r\n`)),
  c("target 4 KiB", get(`/a.txt?${"q".repeat(4096)}`)),
  c("target 10 KiB", get(`/a.txt?${"q".repeat(10 * 1024)}`)),
  c("target 20 KiB", get(`/${"d/".repeat(10 * 1024)}`)),
  c(
    "150 short fields",
    get("/a.txt", Array.from({ length: 150 }, (_, i) => `X-${i}: v\r\n`).join("")),
  ),
];

const traversal: WireCase[] = [
  c("traversal ..", get("/../secret.txt")),
  c("traversal deep ..", get("/dir/../../secret.txt")),
  c("traversal %2e%2e", get("/%2e%2e/secret.txt")),
  c("traversal %2E%2E upper", get("/%2E%2E/secret.txt")),
  c("traversal .%2e", get("/.%2e/secret.txt")),
  c("traversal ..%2f", get("/..%2fsecret.txt")),
  c("traversal %2e%2e%2f", get("/%2e%2e%2fsecret.txt")),
  c("traversal dir%2f..%2f..", get("/dir%2f..%2f..%2fsecret.txt")),
  c("traversal %5c", get("/..%5csecret.txt")),
  c("traversal %2e%2e%5c", get("/%2e%2e%5csecret.txt")),
  c("traversal backslash", get("/..\\secret.txt")),
  c("traversal dir backslash", get("/dir\\..\\..\\secret.txt")),
  c("traversal %252e double-encoded", get("/%252e%252e/secret.txt")),
  c("traversal %00", get("/../secret.txt%00.html")),
  c("NUL escape in name", get("/a.txt%00")),
  c("traversal //etc/passwd", get("//etc/passwd")),
  c("traversal /etc/passwd encoded", get("/%2fetc%2fpasswd")),
  c("traversal many ..", get("/../../../../../../../../etc/passwd")),
  c("traversal ..;", get("/..;/secret.txt")),
  c("traversal overlong UTF-8 dot", get("/%c0%ae%c0%ae/secret.txt")),
  c("traversal relative target ..", "GET ../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("traversal in query only", get("/a.txt?../../secret.txt")),
  c("symlink out (file)", get("/out-link.txt")),
  c("symlink out (folder)", get("/out-dir/secret.txt")),
  c("symlink out folder listing", get("/out-dir/"), { listing: true }),
  c("symlink out with Range", get("/out-link.txt", "Range: bytes=0-\r\n")),
  c("symlink out HEAD", get("/out-link.txt", "", "HEAD")),
  c("symlink out folder (no slash)", get("/out-dir")),
  c("symlink out via dot segments", get("/dir/../out-link.txt")),
  c("symlink out absolute-form", "GET http://x/out-link.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
  c("symlink out with If-None-Match *", get("/out-link.txt", "If-None-Match: *\r\n")),
  c("precompressed sibling symlinked out", get("/gz/leak.js", "Accept-Encoding: gzip\r\n")),
  c("precompressed sibling symlinked out, direct", get("/gz/leak.js.gz")),
  c("symlink in root to a dotfile", get("/to-dotfile")),
  c("traversal to secret-dir", get("/%2e%2e/secret-dir/secret.txt")),
  c("dotfile .env", get("/.env")),
  c("dotfile .git/config", get("/.git/config")),
  c("dotfolder .git/", get("/.git/"), { listing: true }),
  c("dotfile encoded %2eenv", get("/%2eenv")),
  c("hidden in listing folder", get("/list/.hidden")),
  c("Host traversal", "GET /a.txt HTTP/1.1\r\nHost: ../../\r\n\r\n"),
];

const conditionals: WireCase[] = [
  c("If-None-Match matching", get("/a.txt", "If-None-Match: {ETAG}\r\n")),
  c("If-None-Match weak of current", get("/a.txt", "If-None-Match: W/{ETAG}\r\n")),
  c("If-None-Match other", get("/a.txt", 'If-None-Match: "nope"\r\n')),
  c("If-None-Match *", get("/a.txt", "If-None-Match: *\r\n")),
  c("If-None-Match list with match", get("/a.txt", 'If-None-Match: "x", {ETAG}\r\n')),
  c("If-None-Match garbage", get("/a.txt", "If-None-Match: garbage\r\n")),
  c("If-None-Match HEAD matching", get("/a.txt", "If-None-Match: {ETAG}\r\n", "HEAD")),
  c("If-Modified-Since equal", get("/a.txt", "If-Modified-Since: {LM}\r\n")),
  c("If-Modified-Since old", get("/a.txt", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n")),
  c(
    "If-Modified-Since future",
    get("/a.txt", "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n"),
  ),
  c("If-Modified-Since garbage", get("/a.txt", "If-Modified-Since: yesterday\r\n")),
  c(
    "If-Modified-Since with non-matching INM",
    get("/a.txt", 'If-None-Match: "nope"\r\nIf-Modified-Since: {LM}\r\n'),
  ),
  c("If-Modified-Since on 404", get("/missing", "If-Modified-Since: {LM}\r\n")),
  c("If-Modified-Since RFC 850 date", get("/a.txt", "If-Modified-Since: {LM850}\r\n")),
  c("If-Modified-Since asctime date", get("/a.txt", "If-Modified-Since: {LMASC}\r\n")),
  c("If-Modified-Since lower-case GMT", get("/a.txt", "If-Modified-Since: {LMLOWER}\r\n")),
  c("If-Modified-Since HEAD", get("/a.txt", "If-Modified-Since: {LM}\r\n", "HEAD")),
  c("If-None-Match weak list", get("/a.txt", 'If-None-Match: W/"x", W/{ETAG}\r\n')),
  c("If-None-Match on 404", get("/missing", "If-None-Match: *\r\n")),
  c("If-None-Match * on /", get("/", "If-None-Match: *\r\n")),
  c(
    "If-None-Match matching with Range",
    get("/a.txt", "If-None-Match: {ETAG}\r\nRange: bytes=0-9\r\n"),
  ),
  c(
    "If-None-Match on POST",
    get("/a.txt", "If-None-Match: {ETAG}\r\nContent-Length: 0\r\n", "POST"),
  ),
  c("If-Match matching", get("/a.txt", "If-Match: {ETAG}\r\n")),
  c("If-Match other", get("/a.txt", 'If-Match: "nope"\r\n')),
  c("If-Match *", get("/a.txt", "If-Match: *\r\n")),
  c("If-Match weak", get("/a.txt", "If-Match: W/{ETAG}\r\n")),
  c("If-Match garbage", get("/a.txt", "If-Match: garbage\r\n")),
  c("If-Unmodified-Since equal", get("/a.txt", "If-Unmodified-Since: {LM}\r\n")),
  c(
    "If-Unmodified-Since old",
    get("/a.txt", "If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n"),
  ),
  c("If-Unmodified-Since garbage", get("/a.txt", "If-Unmodified-Since: tomorrow\r\n")),
  c(
    "If-Match other + If-Unmodified-Since equal",
    get("/a.txt", 'If-Match: "nope"\r\nIf-Unmodified-Since: {LM}\r\n'),
  ),
  c("If-Range matching ETag", get("/a.txt", "Range: bytes=0-9\r\nIf-Range: {ETAG}\r\n")),
  c("If-Range other ETag", get("/a.txt", 'Range: bytes=0-9\r\nIf-Range: "nope"\r\n')),
  c("If-Range weak ETag", get("/a.txt", "Range: bytes=0-9\r\nIf-Range: W/{ETAG}\r\n")),
  c("If-Range matching date", get("/a.txt", "Range: bytes=0-9\r\nIf-Range: {LM}\r\n")),
  c(
    "If-Range old date",
    get("/a.txt", "Range: bytes=0-9\r\nIf-Range: Sat, 01 Jan 2000 00:00:00 GMT\r\n"),
  ),
  c("If-Range garbage", get("/a.txt", "Range: bytes=0-9\r\nIf-Range: garbage\r\n")),
];

const ranges: WireCase[] = [
  c("Range first 10", get("/a.txt", "Range: bytes=0-9\r\n")),
  c("Range middle", get("/a.txt", "Range: bytes=100-199\r\n")),
  c("Range last byte", get("/a.txt", "Range: bytes=1023-1023\r\n")),
  c("Range end past EOF", get("/a.txt", "Range: bytes=1000-5000\r\n")),
  c("Range open", get("/a.txt", "Range: bytes=1000-\r\n")),
  c("Range suffix", get("/a.txt", "Range: bytes=-24\r\n")),
  c("Range suffix larger than file", get("/a.txt", "Range: bytes=-5000\r\n")),
  c("Range suffix zero", get("/a.txt", "Range: bytes=-0\r\n")),
  c("Range whole file", get("/a.txt", "Range: bytes=0-\r\n")),
  c("Range start at EOF", get("/a.txt", "Range: bytes=1024-\r\n")),
  c("Range start past EOF", get("/a.txt", "Range: bytes=2000-3000\r\n")),
  c("Range reversed", get("/a.txt", "Range: bytes=9-0\r\n")),
  c("Range two parts", get("/a.txt", "Range: bytes=0-9,100-109\r\n")),
  c("Range two parts one unsatisfiable", get("/a.txt", "Range: bytes=0-9,5000-6000\r\n")),
  c("Range overlapping", get("/a.txt", "Range: bytes=0-99,50-149\r\n")),
  c(
    "Range many tiny",
    get(
      "/a.txt",
      "Range: bytes=" +
        Array.from({ length: 40 }, (_, i) => `${i * 2}-${i * 2}`).join(",") +
        "\r\n",
    ),
  ),
  c("Range with spaces", get("/a.txt", "Range: bytes= 0-9 , 20-29\r\n")),
  c("Range unit items", get("/a.txt", "Range: items=0-9\r\n")),
  c("Range garbage", get("/a.txt", "Range: garbage\r\n")),
  c("Range no dash", get("/a.txt", "Range: bytes=5\r\n")),
  c("Range empty set", get("/a.txt", "Range: bytes=\r\n")),
  c("Range negative start", get("/a.txt", "Range: bytes=-1-5\r\n")),
  c("Range huge numbers", get("/a.txt", "Range: bytes=0-99999999999999999999999\r\n")),
  c("Range Bytes upper unit", get("/a.txt", "Range: Bytes=0-9\r\n")),
  c("Range 0-0 and suffix 1", get("/a.txt", "Range: bytes=0-0,-1\r\n")),
  c("Range two parts HTTP/1.0", "GET /a.txt HTTP/1.0\r\nRange: bytes=0-9,100-109\r\n\r\n"),
  c("Range two parts HEAD", get("/a.txt", "Range: bytes=0-9,100-109\r\n", "HEAD")),
  c("Range on index /", get("/", "Range: bytes=0-4\r\n")),
  c("Range adjacent parts", get("/a.txt", "Range: bytes=0-9,10-19\r\n")),
  c("Range descending parts", get("/a.txt", "Range: bytes=100-109,0-9\r\n")),
  c("Range on empty file", get("/empty.txt", "Range: bytes=0-9\r\n")),
  c("Range suffix on empty file", get("/empty.txt", "Range: bytes=-5\r\n")),
  c("Range on binary", get("/bin.dat", "Range: bytes=4000-4095\r\n")),
  c("Range HEAD", get("/a.txt", "Range: bytes=0-9\r\n", "HEAD")),
  c("Range on 404", get("/missing", "Range: bytes=0-9\r\n")),
  c("Range on folder listing", get("/list/", "Range: bytes=0-9\r\n"), { listing: true }),
  c("Range on gzip sibling", get("/gz/app.js", "Range: bytes=0-9\r\nAccept-Encoding: gzip\r\n")),
  c("Range with POST", get("/a.txt", "Range: bytes=0-9\r\nContent-Length: 0\r\n", "POST")),
];

const pipelined: WireCase[] = [
  c("pipelined GET GET", get("/a.txt") + get("/dir/page.txt"), { responses: 2 }),
  c("pipelined GET HEAD", get("/a.txt") + get("/a.txt", "", "HEAD"), {
    responses: 2,
    methods: ["GET", "HEAD"],
  }),
  c("pipelined HEAD GET", get("/a.txt", "", "HEAD") + get("/bin.dat"), {
    responses: 2,
    methods: ["HEAD", "GET"],
  }),
  c("pipelined 404 then GET", get("/missing") + get("/a.txt"), { responses: 2 }),
  c("pipelined close then GET", get("/a.txt", "Connection: close\r\n") + get("/a.txt"), {
    responses: 2,
  }),
  c(
    "pipelined body then GET",
    get("/a.txt", "Content-Length: 4\r\n") + "abcd" + get("/dir/page.txt"),
    { responses: 2 },
  ),
  c(
    "pipelined chunked body then GET",
    get("/a.txt", "Transfer-Encoding: chunked\r\n") +
      "4\r\nabcd\r\n0\r\n\r\n" +
      get("/dir/page.txt"),
    { responses: 2 },
  ),
  c("pipelined 1.0 then GET", "GET /a.txt HTTP/1.0\r\n\r\n" + get("/a.txt"), { responses: 2 }),
  c(
    "pipelined 1.0 keep-alive then GET",
    "GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + get("/a.txt"),
    { responses: 2 },
  ),
  c("pipelined bad then GET", get("/a.txt", "X-A : v\r\n") + get("/a.txt"), { responses: 2 }),
  c(
    "smuggle CL.TE",
    get("/a.txt", "Content-Length: 35\r\nTransfer-Encoding: chunked\r\n") +
      "0\r\n\r\n" +
      get("/out-link.txt"),
    { responses: 2 },
  ),
  c(
    "smuggle TE.CL",
    get("/a.txt", "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n") +
      "5c\r\n" +
      get("/out-link.txt") +
      "\r\n0\r\n\r\n",
    { responses: 2 },
  ),
  c("smuggle two CL", get("/a.txt", "Content-Length: 0\r\nContent-Length: 44\r\n") + get("/.env"), {
    responses: 2,
  }),
  c("pipelined OPTIONS then GET", get("/", "", "OPTIONS") + get("/a.txt"), { responses: 2 }),
  c(
    "pipelined range then conditional",
    get("/a.txt", "Range: bytes=0-9\r\n") + get("/a.txt", "If-None-Match: {ETAG}\r\n"),
    { responses: 2 },
  ),
];

/** Every case, in order. */
export const NGINX_CORPUS: readonly WireCase[] = [
  ...basics,
  ...versions,
  ...methods,
  ...hosts,
  ...framing,
  ...syntax,
  ...traversal,
  ...conditionals,
  ...ranges,
  ...pipelined,
];
