// Baseline: a minimal node:http server answering from memory. GET / and /index.html return the
// 1 KiB index.html read once at start; every other path a short 404. No file system work per
// request: it shows what node:http itself costs. Usage: node node-http-memory.mjs ROOT PORT
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const [root = ".", port = "19080"] = process.argv.slice(2);
const body = fs.readFileSync(path.join(root, "index.html"));
const notFound = Buffer.from("Not Found\n");

const server = http.createServer((req, res) => {
  if (req.url === "/" || req.url === "/index.html") {
    res.writeHead(200, { "Content-Type": "text/html", "Content-Length": body.length });
    res.end(body);
  } else {
    res.writeHead(404, { "Content-Type": "text/plain", "Content-Length": notFound.length });
    res.end(notFound);
  }
});
server.listen(Number(port), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
