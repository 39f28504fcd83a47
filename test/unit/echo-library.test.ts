/** The echo library API in-process: typed results, hooks and counters, no printing. */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import {
  createEchoServer,
  echoMessage,
  echoStream,
  measureOpenLoop,
  measureRoundTrips,
  measureThroughput,
  measureUdp,
  TcpkitError,
  type EchoConnectionClosed,
} from "../../src/index.js";

describe("echo library", () => {
  it("serves, measures and stops with totals and hooks", async () => {
    const closed: EchoConnectionClosed[] = [];
    const server = createEchoServer({
      port: 0,
      onConnectionClose: (c) => closed.push(c),
    });
    const { port } = await server.listen();
    try {
      const msg = await echoMessage({ port, message: "hi there" });
      assert.equal(msg.firstMismatch, -1);
      assert.equal(msg.received.toString(), "hi there");
      const rt = await measureRoundTrips({ port, count: 5, intervalMs: 0, size: 32 });
      assert.equal(rt.count, 5);
      assert.equal(rt.latencyMs.count, 5);
      assert.ok(rt.latencyMs.min <= (rt.latencyMs.percentiles["p50"] as number));
      assert.ok((rt.latencyMs.percentiles["p50"] as number) <= rt.latencyMs.max);
      const tp = await measureThroughput({ port, bytes: 1_000_000, connections: 3 });
      assert.equal(tp.bytesReceived, 1_000_000);
      const input = new PassThrough();
      const output = new PassThrough();
      const chunks: Buffer[] = [];
      output.on("data", (c: Buffer) => chunks.push(c));
      input.end(Buffer.from("streamed"));
      const st = await echoStream({ port, input, output });
      assert.equal(st.bytesReceived, 8);
      assert.equal(Buffer.concat(chunks).toString(), "streamed");
    } finally {
      const totals = await server.close();
      assert.equal(totals.connectionsAccepted, 1 + 1 + 3 + 1);
      assert.equal(totals.bytesSent, totals.bytesReceived);
      assert.equal(totals.connectionsOpen, 0);
    }
    assert.equal(closed.length, 6);
    assert.ok(
      closed.every((c) => c.remoteAddress === "127.0.0.1" && c.bytesSent === c.bytesReceived),
    );
  });

  it("rejects with a coded TcpkitError when nothing listens", async () => {
    const server = createEchoServer({ port: 0 });
    const { port } = await server.listen();
    await server.close();
    await assert.rejects(echoMessage({ port, message: "x" }), (err: unknown) => {
      assert.ok(err instanceof TcpkitError);
      assert.equal(err.code, "ERR_CONNECT_REFUSED");
      return true;
    });
  });

  it("a duration is rate x duration sends, in the open loop and UDP alike", async () => {
    // The duration's own timer also ended the schedule: Node's timers count from the event
    // loop's cached time, so it could fire before the last sends fell due (993 of 1,000 at
    // 1,000/s for 1 s, 3 of 10 runs of the CLI on a loaded machine; 18 of 20 at 20/s in the
    // CLI test). At 5,000/s the schedule polls nearly all the time and any lag shows.
    const server = createEchoServer({ port: 0, udp: true });
    const { port } = await server.listen();
    try {
      for (const measure of [measureOpenLoop, measureUdp]) {
        for (let run = 0; run < 3; run++) {
          const r = await measure({ port, rate: 5000, durationMs: 300 });
          assert.equal(r.sent, 1500, `${measure.name}, run ${run}`);
        }
      }
    } finally {
      await server.close();
    }
  });
});
