/** The proxy pool's silence counting: one sweep per pool instead of a timer per socket. */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { describe, it } from "node:test";
import { UpstreamConnection } from "../../src/proxy/upstream-pool.js";

/** A connection over a stand-in socket, with the number of timeouts its owner heard. */
function watched(paused = false): { conn: UpstreamConnection; timeouts: () => number } {
  const socket = Object.assign(new EventEmitter(), { destroy: () => {}, isPaused: () => paused });
  const conn = new UpstreamConnection(socket as unknown as Socket, "http://b", "b");
  let n = 0;
  conn.owner = { onData: () => {}, onEnd: () => {}, onDrain: () => {}, onTimeout: () => n++ };
  return { conn, timeouts: () => n };
}

describe("upstream connection silences", () => {
  it("time out after more than their length, within one sweep more, never early", () => {
    const { conn, timeouts } = watched();
    conn.watch(1000);
    for (let i = 0; i < 4; i++) conn.sweep(250); // 1000 ms counted: not more than the limit yet
    assert.equal(timeouts(), 0);
    conn.sweep(250);
    assert.equal(timeouts(), 1);
    for (let i = 0; i < 10; i++) conn.sweep(250);
    assert.equal(timeouts(), 1, "once");
  });

  it("start again with every byte either way; none is counted while unwatched", () => {
    const { conn, timeouts } = watched();
    conn.watch(1000);
    for (let i = 0; i < 20; i++) {
      conn.sweep(250);
      if (i % 3 === 0) conn.socket.emit("data", Buffer.from("x"));
      if (i % 3 === 1) conn.heard = true; // a write
    }
    assert.equal(timeouts(), 0);
    conn.watch(0);
    for (let i = 0; i < 20; i++) conn.sweep(250);
    assert.equal(timeouts(), 0);
  });

  it("are not counted while the socket is paused for a slow client (backpressure)", () => {
    const { conn, timeouts } = watched(true);
    conn.watch(1000);
    for (let i = 0; i < 20; i++) conn.sweep(250);
    assert.equal(timeouts(), 0);
  });

  it("leave the sweep once closed or handed to a tunnel", () => {
    const a = watched().conn;
    assert.equal(a.sweep(250), true);
    a.destroy();
    assert.equal(a.sweep(250), false);
    const b = watched().conn;
    b.detach();
    assert.equal(b.sweep(250), false);
  });
});
