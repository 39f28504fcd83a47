import assert from "node:assert/strict";
import { connect, createServer, type AddressInfo, type Server } from "node:net";
import { describe, it } from "node:test";
import { dialOptions, isLocalhostName } from "../../src/net/dial.js";

function listen(host: string): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((s) => s.end("hi")).listen(0, host, () => resolve(server));
  });
}

function dial(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ...dialOptions() });
    socket.once("connect", () => resolve(socket.remoteAddress ?? ""));
    socket.once("error", reject);
    socket.resume();
  });
}

describe("dial", () => {
  it("knows the names RFC 6761 reserves for loopback", () => {
    for (const name of ["localhost", "LocalHost", "localhost.", "app.localhost", "a.b.localhost"]) {
      assert.ok(isLocalhostName(name), name);
    }
    for (const name of ["localhost.example", "mylocalhost", "127.0.0.1", "::1"]) {
      assert.ok(!isLocalhostName(name), name);
    }
  });

  for (const [host, expected] of [
    ["::1", "::1"],
    ["127.0.0.1", "127.0.0.1"],
  ] as const) {
    it(`reaches a server listening only on ${host} through "localhost"`, async () => {
      const server = await listen(host);
      try {
        const port = (server.address() as AddressInfo).port;
        assert.equal(await dial("localhost", port), expected);
        assert.equal(await dial("app.localhost", port), expected);
      } finally {
        server.close();
      }
    });
  }

  it("reports an unknown name as not found", async () => {
    await assert.rejects(dial("no-such-host.invalid", 9), { code: "ENOTFOUND" });
  });
});
