// Baseline: a minimal node:net server that sends one file (ROOT/big.bin) for any request, read
// with fs.read in CHUNK-byte pieces into a buffer reused once the socket has written it out, each
// written with 'drain' backpressure. No parser beyond CRLFCRLF, keep-alive always: the upper
// bound of Node's read-then-write path for a large file on this machine (nginx uses sendfile).
// Usage: node node-net-file.mjs ROOT PORT [CHUNK_KIB]
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

const [root = ".", port = "19083", chunkKib = "256"] = process.argv.slice(2);
const file = path.join(root, "big.bin");
const size = fs.statSync(file).size;
const CHUNK = Number(chunkKib) * 1024;
const head = Buffer.from(
  `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size}\r\n\r\n`,
  "latin1",
);

net
  .createServer({ noDelay: true }, (sock) => {
    let buf = Buffer.allocUnsafeSlow(CHUNK);
    let fd = -1;
    let pos = 0;
    let seen = "";
    const next = () => {
      if (pos >= size) {
        fs.close(fd, () => {});
        fd = -1;
        return;
      }
      if (sock.writableLength !== 0) buf = Buffer.allocUnsafeSlow(CHUNK);
      fs.read(fd, buf, 0, Math.min(CHUNK, size - pos), pos, (err, n) => {
        if (err || n === 0 || sock.destroyed) return sock.destroy();
        pos += n;
        if (sock.write(n === buf.length ? buf : buf.subarray(0, n))) next();
        else sock.once("drain", next);
      });
    };
    sock.on("data", (d) => {
      seen += d.toString("latin1");
      if (!seen.includes("\r\n\r\n") || fd !== -1) return;
      seen = "";
      sock.write(head);
      fs.open(file, "r", (err, f) => {
        if (err) return sock.destroy();
        fd = f;
        pos = 0;
        next();
      });
    });
    sock.on("error", () => {});
    sock.on("close", () => fd !== -1 && fs.close(fd, () => {}));
  })
  .listen(Number(port), "127.0.0.1");
