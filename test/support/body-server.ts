/**
 * A library HTTP server in a child process, for tests that watch its memory from outside:
 * `node body-server.js` prints its port on stdout once listening. POST /slow reads the request
 * body slowly (a pause of 1 ms every second chunk) and answers with its length and SHA-256.
 */
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createHttpServer, withMethods } from "../../src/index.js";

const slowReader = withMethods(["POST"], async (_head, context) => {
  const hash = createHash("sha256");
  let bytes = 0;
  let chunks = 0;
  for await (const chunk of context.body.stream({ limit: Number.MAX_SAFE_INTEGER })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    if (++chunks % 2 === 0) await sleep(1);
  }
  return {
    status: 200,
    headers: "Content-Type: text/plain\r\n",
    body: { kind: "bytes", bytes: Buffer.from(`${bytes} ${hash.digest("hex")}\n`) },
  };
});

// As the CLI runs it: socket read buffers are reclaimed early (util/runtime-tuning.ts).
const server = createHttpServer(
  { host: "127.0.0.1", port: 0, reclaimReadBuffers: true },
  slowReader,
);
const { port } = await server.listen();
process.stdout.write(`${port}\n`);
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
