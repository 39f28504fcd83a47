// Baseline: a minimal node:net server with a tiny HTTP/1.x head parser, answering from memory.
// Finds CRLFCRLF, handles pipelining (one write per read), keep-alive by version and the
// Connection field, a Date cached per second. GET/HEAD / and /index.html return the 1 KiB
// index.html; other paths a 404. No request bodies, no limits: it is the upper bound of Node's
// raw-socket path on this machine, not a server. Usage: node node-net-memory.mjs ROOT PORT
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

const [root = ".", port = "19082"] = process.argv.slice(2);
const body = fs.readFileSync(path.join(root, "index.html"));
const notFoundBody = Buffer.from("Not Found\n");
const CRLF2 = Buffer.from("\r\n\r\n");

let date = new Date().toUTCString();
let cache = new Map();
setInterval(() => {
  date = new Date().toUTCString();
  cache = new Map();
}, 1000).unref();

function response(status, type, payload, keep, head) {
  const key = `${status}${keep ? "k" : "c"}${head ? "h" : "g"}`;
  let buf = cache.get(key);
  if (!buf) {
    const h =
      `HTTP/1.1 ${status}\r\nServer: node-net\r\nDate: ${date}\r\nContent-Type: ${type}\r\n` +
      `Content-Length: ${payload.length}\r\nConnection: ${keep ? "keep-alive" : "close"}\r\n\r\n`;
    buf = head ? Buffer.from(h, "latin1") : Buffer.concat([Buffer.from(h, "latin1"), payload]);
    cache.set(key, buf);
  }
  return buf;
}

const server = net.createServer({ noDelay: true }, (sock) => {
  let pending = null;
  sock.on("data", (chunk) => {
    const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = null;
    let off = 0;
    let close = false;
    const out = [];
    for (;;) {
      const end = buf.indexOf(CRLF2, off);
      if (end < 0) break;
      const head = buf.latin1Slice(off, end);
      off = end + 4;
      const sp1 = head.indexOf(" ");
      const sp2 = head.indexOf(" ", sp1 + 1);
      const le = head.indexOf("\r\n");
      const method = head.slice(0, sp1);
      const target = head.slice(sp1 + 1, sp2);
      const version = head.slice(sp2 + 1, le < 0 ? head.length : le);
      const lower = head.toLowerCase();
      const keep =
        version === "HTTP/1.1"
          ? !/\r\nconnection:[ \t]*close/.test(lower)
          : /\r\nconnection:[ \t]*keep-alive/.test(lower);
      const isHead = method === "HEAD";
      if (target === "/" || target === "/index.html")
        out.push(response("200 OK", "text/html", body, keep, isHead));
      else out.push(response("404 Not Found", "text/plain", notFoundBody, keep, isHead));
      if (!keep) {
        close = true;
        break;
      }
    }
    if (out.length) {
      const data = out.length === 1 ? out[0] : Buffer.concat(out);
      if (close) {
        sock.end(data);
        return;
      }
      sock.write(data);
    }
    if (off < buf.length) {
      pending = buf.subarray(off);
      if (pending.length > 65536) sock.destroy();
    }
  });
  sock.on("error", () => {});
});
server.listen(Number(port), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
