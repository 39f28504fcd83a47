/** Access-log line formats: Common, Combined, JSON; escaping of client-controlled text. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Writable } from "node:stream";
import {
  createAccessLog,
  formatCombined,
  formatCommon,
  formatJson,
  MAX_QUEUED_BYTES,
} from "../../src/cli/access-log.js";
import type { ExchangeRecord } from "../../src/http/server/exchange-record.js";

const record: ExchangeRecord = {
  remoteAddress: "127.0.0.1",
  remotePort: 5000,
  method: "GET",
  target: '/a"b',
  version: 11,
  status: 200,
  bodyBytes: 12,
  bytesReceived: 40,
  bytesSent: 150,
  complete: true,
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
    assert.equal(o.received, 40);
  });
  it("writes a field's UTF-8 bytes as their characters in JSON, other bytes as themselves", () => {
    // Field values arrive one char per byte: "é" sent in UTF-8 is "\xc3\xa9".
    const o = JSON.parse(
      formatJson({ ...record, referer: "http://x/caf\xc3\xa9", userAgent: "a\xe9b" }),
    ) as Record<string, unknown>;
    assert.equal(o.referer, "http://x/café");
    assert.equal(o.userAgent, "a\u00e9b");
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
  it("drops lines past MAX_QUEUED_BYTES, counting its queue from the write callbacks", () => {
    // A stalled pipe as Bun's process.stdout shows it: writableLength 0 whatever waits, each write
    // calling back only once the reader has taken it.
    const handed: string[] = [];
    const pending: (() => void)[] = [];
    let onDrain = (): void => {};
    const sink = {
      writableLength: 0,
      write(text: string, done?: () => void) {
        handed.push(text);
        if (done !== undefined) pending.push(done);
      },
      on(event: "error" | "drain", listener: (err: Error) => void) {
        if (event === "drain") onDrain = () => listener(new Error("unused"));
      },
    };
    const warnings: string[] = [];
    const log = createAccessLog("common", sink, (line) => warnings.push(line));
    const line = formatCommon({ ...record, target: "/" + "x".repeat(8 * 1024) });
    const n = Math.ceil((2 * MAX_QUEUED_BYTES) / line.length);
    for (let i = 0; i < n; i++) {
      log.write({ ...record, target: "/" + "x".repeat(8 * 1024) });
      log.flush();
    }
    const bytes = handed.reduce((sum, t) => sum + Buffer.byteLength(t), 0);
    assert.ok(bytes > MAX_QUEUED_BYTES && bytes <= MAX_QUEUED_BYTES + line.length, `${bytes}`);
    // The reader catches up: the count is said once.
    for (const done of pending.splice(0)) done();
    onDrain();
    assert.deepEqual(warnings, [
      `tcpkit: access log: ${n - handed.length} lines dropped: its reader did not keep up\n`,
    ]);
  });
  it("stops with one warning, and no crash, when its stream fails (EPIPE)", async () => {
    let attempts = 0;
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        attempts++;
        const err = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
        callback(err);
      },
    });
    const warnings: string[] = [];
    const log = createAccessLog("common", broken, (line) => warnings.push(line));
    log.write(record);
    log.flush();
    // The stream reports the failure asynchronously, as a closed pipe does.
    await new Promise<void>((resolve) => setImmediate(resolve));
    log.write(record);
    log.flush();
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(attempts, 1);
    assert.deepEqual(warnings, ["tcpkit: access log stopped: cannot write it: write EPIPE\n"]);
  });
});
