// The floor of a Node echo client, for C1 of npm run bench:echo: CONNS connections x ROUNDS round
// trips of SIZE bytes, closed loop, with node:net's `onread` into one reused buffer and one
// socket.write per round trip. It checks only that SIZE bytes came back (not what they are) and
// records no latency: what any Node client pays before tcpkit echo's checking and recording.
//   node bench/peers/echo-client-min.mjs PORT CONNS ROUNDS SIZE
// Prints one line: ok=1 roundtrips=N secs=S rtps=R
import net from "node:net";
import { performance } from "node:perf_hooks";

const [port, conns, rounds, size] = process.argv.slice(2).map(Number);
const message = Buffer.alloc(size, 0x5a);
const readBuffer = Buffer.allocUnsafe(64 * 1024);
const sockets = [];
let connected = 0;
let finished = 0;
let total = 0;
let started = 0;

for (let i = 0; i < conns; i++) {
  let received = 0;
  let done = 0;
  const socket = net.connect({
    host: "127.0.0.1",
    port,
    noDelay: true,
    onread: {
      buffer: readBuffer,
      callback: (n) => {
        received += n;
        while (received >= size) {
          received -= size;
          done++;
          total++;
          if (done === rounds) {
            if (++finished === conns) finish();
          } else socket.write(message);
        }
        return true;
      },
    },
  });
  socket.on("error", (err) => {
    process.stdout.write(`ok=0 error=${err.code ?? err.message}\n`);
    process.exit(1);
  });
  socket.once("connect", () => {
    if (++connected < conns) return;
    started = performance.now();
    for (const s of sockets) s.write(message);
  });
  sockets.push(socket);
}

function finish() {
  const secs = (performance.now() - started) / 1000;
  process.stdout.write(
    `ok=1 roundtrips=${total} secs=${secs.toFixed(4)} rtps=${Math.round(total / secs)}\n`,
  );
  for (const s of sockets) s.destroy();
}
