#!/usr/bin/env node
// The floor of a reverse proxy on Node, for bench/proxy-bench.mjs: each client connection is
// paired with one back-end connection and bytes are copied both ways with socket.write. No HTTP
// at all: no parsing, no header rewriting, no pool. It works for the benchmark only because wrk
// sends one request at a time per connection and every response is complete. Usage:
//   node bench/peers/proxy-pass-min.mjs PORT BACKEND_PORT
import net from "node:net";

const [port, upstream] = [Number(process.argv[2]), Number(process.argv[3])];
net
  .createServer({ noDelay: true }, (client) => {
    const backend = net.connect({ port: upstream, host: "127.0.0.1", noDelay: true });
    client.on("data", (d) => backend.write(d));
    backend.on("data", (d) => client.write(d));
    client.on("error", () => backend.destroy());
    backend.on("error", () => client.destroy());
    client.on("close", () => backend.destroy());
    backend.on("close", () => client.destroy());
  })
  .listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
