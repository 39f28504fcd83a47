/** The default onServerError: one stderr line per error, naming the server and the code. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { reportServerError } from "../../src/net/server-errors.js";

describe("reportServerError", () => {
  it("writes one line with the code, and says the server keeps accepting", () => {
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((text: string) => lines.push(text) > 0) as typeof write;
    try {
      const err = Object.assign(new Error("accept ENOBUFS\nmore"), { code: "ENOBUFS" });
      reportServerError("HTTP server")(err);
      reportServerError("echo server")(new Error("strange\nsecond line"));
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(lines, [
      "tcpkit: HTTP server: cannot accept a connection (ENOBUFS); still accepting\n",
      "tcpkit: echo server: cannot accept a connection (strange); still accepting\n",
    ]);
  });
});
