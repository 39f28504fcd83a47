import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProgress } from "../../src/cli/progress-line.js";

describe("formatProgress", () => {
  const MiB = 1024 * 1024;

  it("shows percent, bytes of total, rate and ETA when the size is known", () => {
    const line = formatProgress({ received: MiB / 2, offset: MiB / 2, total: 4 * MiB }, 1000);
    assert.equal(line, " 25%  1.0 MiB of 4.0 MiB  512 KiB/s  ETA 0:06");
  });

  it("shows bytes and rate only when the size is unknown", () => {
    assert.equal(
      formatProgress({ received: MiB, offset: 0, total: undefined }, 2000),
      "1.0 MiB  512 KiB/s",
    );
  });

  it("drops the ETA once complete and counts hours past 59 minutes", () => {
    assert.equal(
      formatProgress({ received: 10, offset: 0, total: 10 }, 1000),
      "100%  10 B of 10 B  10 B/s",
    );
    assert.match(formatProgress({ received: 1, offset: 0, total: 7201 }, 1000), /ETA 2:00:00$/);
  });
});
