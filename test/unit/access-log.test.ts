/** Access-log line formats: Common, Combined, JSON; escaping of client-controlled text. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createAccessLog,
  formatCombined,
  formatCommon,
  formatJson,
} from "../../src/cli/access-log.js";
import type { ExchangeRecord } from "../../src/http/exchange-record.js";

const record: ExchangeRecord = {
  remoteAddress: "127.0.0.1",
  remotePort: 5000,
  method: "GET",
  target: '/a"b',
  version: 11,
  status: 200,
  bodyBytes: 12,
  referer: undefined,
  userAgent: "curl/8",
  startMs: Date.UTC(2026, 10, 24, 5, 6, 7),
  durationMs: 3,
};

describe("access log formats", () => {
  it("writes Common Log Format with escaped quotes", () => {
    assert.equal(
      formatCommon(record),
      '127.0.0.1 - - [24/Nov/2026:05:06:07 +0000] "GET /a\\x22b HTTP/1.1" 200 12\n',
    );
  });
  it("writes Combined with referer and user agent", () => {
    assert.match(formatCombined(record), / 200 12 "-" "curl\/8"\n$/);
  });
  it("writes a dash for unparsable requests and empty bodies", () => {
    const line = formatCommon({
      ...record,
      method: undefined,
      target: undefined,
      version: undefined,
      status: 400,
      bodyBytes: 0,
    });
    assert.match(line, /\] "-" 400 -\n$/);
  });
  it("writes one JSON object per line", () => {
    const o = JSON.parse(formatJson(record)) as Record<string, unknown>;
    assert.equal(o.status, 200);
    assert.equal(o.version, "HTTP/1.1");
    assert.equal(o.target, '/a"b');
  });
  it("buffers lines and writes them together on flush", () => {
    const writes: string[] = [];
    const log = createAccessLog("common", { write: (t: string) => writes.push(t) });
    log.write(record);
    log.write(record);
    assert.equal(writes.length, 0);
    log.flush();
    assert.equal(writes.length, 1);
    assert.equal(writes[0]?.split("\n").length, 3);
  });
});
