// The minimal Node echo server the benchmark compares with: socket.pipe(socket) (RFC 862).
//   node bench/peers/echo-pipe.mjs PORT
import net from "node:net";

const port = Number(process.argv[2] ?? 19500);
net
  .createServer((socket) => {
    socket.on("error", () => {});
    socket.pipe(socket);
  })
  .listen(port, "127.0.0.1");
