/** The text form of a `tcpkit check` report: probe lines, escaping, colour, tally. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  formatHeader,
  formatProbe,
  formatReport,
  formatTally,
} from "../../src/check/report-format.js";
import type { CheckReport, Discovery, ProbeResult } from "../../src/check/types.js";

const probe = (over: Partial<ProbeResult>): ProbeResult => ({
  id: "host-missing",
  group: "fields",
  level: "MUST",
  rfc: "RFC 9112 §3.2",
  sentence: "A server MUST respond with a 400 (Bad Request) status code ...",
  title: "HTTP/1.1 without Host",
  verdict: "pass",
  observed: "400, closed",
  statuses: [400],
  sent: "",
  received: "",
  ms: 1,
  ...over,
});

const discovery: Discovery = {
  path: "/a.txt",
  status: 200,
  missingStatus: 404,
  length: 740,
  etag: '"x"',
  lastModified: undefined,
  ranges: true,
  folder: undefined,
  server: "test\x1b[31m",
  how: "/a.txt, the first file linked from /",
};

describe("check report format", () => {
  it("one line per probe: id, level, verdict, what was observed", () => {
    assert.equal(
      formatProbe(probe({}), { colour: false }),
      "  host-missing                         MUST   pass  400, closed\n",
    );
    assert.equal(
      formatProbe(probe({ verdict: "FAIL" }), { colour: true }),
      "  host-missing                         MUST   \x1b[1;31mFAIL\x1b[0m  400, closed\n",
    );
  });

  it("escapes control bytes a server sent, so a report cannot drive the terminal", () => {
    const line = formatProbe(probe({ observed: "got \x1b[2J\r\n" }), { colour: false });
    assert.equal(
      line,
      "  host-missing                         MUST   pass  got \\x1b[2J\\x0d\\x0a\n",
    );
    assert.match(formatHeader("http://h/", discovery), /Server: test\\x1b\[31m\n$/);
  });

  it("tallies met (pass and warn) of run (skips apart) per level", () => {
    const report: CheckReport = {
      url: "http://h/",
      discovery,
      probes: [
        probe({}),
        probe({ id: "b", verdict: "warn" }),
        probe({ id: "c", level: "MAY", verdict: "skip" }),
      ],
      tally: {
        MUST: { passed: 2, failed: 0, warned: 1, skipped: 0, total: 2 },
        SHOULD: { passed: 0, failed: 0, warned: 0, skipped: 0, total: 0 },
        MAY: { passed: 0, failed: 0, warned: 0, skipped: 1, total: 0 },
      },
      ok: true,
      verdict: "http://h/ passes every MUST probe (3 probes in 0.1 s)",
      ms: 100,
    };
    assert.equal(formatTally(report), "MUST 2/2, MAY 0/0 (1 warn, 1 skip)");
    const text = formatReport(report, { colour: false });
    assert.match(
      text,
      /^tcpkit check http:\/\/h\/\npath \/a\.txt, the first file linked from \/: 200, 740 bytes, ETag, ranges, /,
    );
    assert.match(text, /\nfields\n {2}host-missing /);
    assert.match(
      text,
      /\nMUST 2\/2, MAY 0\/0 \(1 warn, 1 skip\)\nhttp:\/\/h\/ passes every MUST probe/,
    );
  });
});
