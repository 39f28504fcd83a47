/** The Prometheus text writer: escaping and special values, read back by a real parser. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import parsePrometheus from "parse-prometheus-text-format";
import { familyHeader, formatValue, sample } from "../../src/metrics/prometheus-text.js";

describe("Prometheus text format", () => {
  it("escapes label values and help so a parser reads them back", () => {
    const text =
      familyHeader("x_total", "counter", "a \\ help\nline") +
      sample("x_total", 3, [["path", 'C:\\a "b"\nc']]);
    assert.equal(text.split("\n").length, 4);
    const [f] = parsePrometheus(text);
    assert.equal(f?.help, "a \\ help\nline");
    assert.equal(f?.metrics[0]?.labels?.["path"], 'C:\\a "b"\nc');
    assert.equal(f?.metrics[0]?.value, "3");
  });
  it("spells the special values as the format does", () => {
    assert.deepEqual([Infinity, -Infinity, NaN, 0.5, 1e21].map(formatValue), [
      "+Inf",
      "-Inf",
      "NaN",
      "0.5",
      "1e+21",
    ]);
  });
});
