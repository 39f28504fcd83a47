/** The echo server's --max-connections-per-ip bookkeeping: what counts as one client. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PerIpLimit } from "../../src/echo/per-ip-limit.js";

describe("PerIpLimit", () => {
  it("counts every address of an IPv6 /64 as one client, the next /64 apart", () => {
    const limit = new PerIpLimit(2);
    assert.equal(limit.admit("2001:db8:0:7::1"), true);
    assert.equal(limit.admit("2001:db8:0:7:a:b:c:d"), true);
    assert.equal(limit.admit("2001:db8:0:7::99"), false, "a third address of the same /64");
    assert.equal(limit.admit("2001:db8:0:8::1"), true, "the next /64");
    assert.equal(limit.refused, 1);
    limit.release("2001:db8:0:7::1");
    assert.equal(limit.admit("2001:db8:0:7::5"), true, "a slot freed by any address of the /64");
  });

  it("counts IPv4 clients by address, also when they arrive IPv4-mapped", () => {
    const limit = new PerIpLimit(1);
    assert.equal(limit.admit("::ffff:192.0.2.1"), true);
    assert.equal(limit.admit("::ffff:192.0.2.2"), true, "another IPv4 address");
    assert.equal(limit.admit("192.0.2.1"), false, "the same address, unmapped");
    limit.release("192.0.2.1");
    assert.equal(limit.admit("::ffff:192.0.2.1"), true);
  });
});
