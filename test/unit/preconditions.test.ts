/** evaluatePreconditions in RFC 9110 §13.2.2 order, table-driven, including garbage validators. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluatePreconditions, strongMatch, weakMatch } from "../../src/http/preconditions.js";
import type { RequestHead } from "../../src/http/types.js";

const ETAG = '"abc-123"';
const MTIME = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const AT = "Tue, 02 Jan 2024 03:04:05 GMT";
const BEFORE = "Tue, 02 Jan 2024 03:04:04 GMT";
const AFTER = "Tue, 02 Jan 2024 03:04:06 GMT";

function head(method: string, fields: Record<string, string>): RequestHead {
  return {
    method,
    target: "/f",
    path: "/f",
    query: "",
    version: 11,
    fields: Object.entries(fields).flat(),
  };
}

type Want = "200" | "206" | "304" | "412";
const CASES: [string, string, Record<string, string>, Want][] = [
  ["no validators", "GET", {}, "200"],
  ["If-None-Match equal", "GET", { "if-none-match": ETAG }, "304"],
  [
    "If-None-Match weak form equal (weak comparison)",
    "GET",
    { "if-none-match": `W/${ETAG}` },
    "304",
  ],
  ["If-None-Match in a list", "GET", { "if-none-match": `"x", ${ETAG}` }, "304"],
  ["If-None-Match other", "GET", { "if-none-match": '"x"' }, "200"],
  ["If-None-Match *", "GET", { "if-none-match": "*" }, "304"],
  ["If-None-Match garbage", "GET", { "if-none-match": "abc-123" }, "200"],
  ["If-None-Match on HEAD", "HEAD", { "if-none-match": ETAG }, "304"],
  ["If-None-Match on other method is 412", "DELETE", { "if-none-match": ETAG }, "412"],
  ["If-Modified-Since same second", "GET", { "if-modified-since": AT }, "304"],
  ["If-Modified-Since later", "GET", { "if-modified-since": AFTER }, "304"],
  ["If-Modified-Since earlier", "GET", { "if-modified-since": BEFORE }, "200"],
  ["If-Modified-Since garbage is ignored", "GET", { "if-modified-since": "yesterday" }, "200"],
  [
    "If-None-Match wins over If-Modified-Since",
    "GET",
    { "if-none-match": '"x"', "if-modified-since": AFTER },
    "200",
  ],
  ["If-Match equal", "GET", { "if-match": ETAG }, "200"],
  ["If-Match *", "GET", { "if-match": "*" }, "200"],
  ["If-Match other", "GET", { "if-match": '"x"' }, "412"],
  ["If-Match weak never matches (strong comparison)", "GET", { "if-match": `W/${ETAG}` }, "412"],
  ["If-Unmodified-Since later", "GET", { "if-unmodified-since": AFTER }, "200"],
  ["If-Unmodified-Since same second", "GET", { "if-unmodified-since": AT }, "200"],
  ["If-Unmodified-Since earlier", "GET", { "if-unmodified-since": BEFORE }, "412"],
  ["If-Unmodified-Since garbage is ignored", "GET", { "if-unmodified-since": "nope" }, "200"],
  [
    "If-Match true skips If-Unmodified-Since",
    "GET",
    { "if-match": ETAG, "if-unmodified-since": BEFORE },
    "200",
  ],
  ["412 before 304", "GET", { "if-match": '"x"', "if-none-match": ETAG }, "412"],
  ["Range alone", "GET", { range: "bytes=0-1" }, "206"],
  ["Range ignored on other methods", "POST", { range: "bytes=0-1" }, "200"],
  ["If-Range equal etag", "GET", { range: "bytes=0-1", "if-range": ETAG }, "206"],
  ["If-Range other etag", "GET", { range: "bytes=0-1", "if-range": '"x"' }, "200"],
  ["If-Range weak etag", "GET", { range: "bytes=0-1", "if-range": `W/${ETAG}` }, "200"],
  ["If-Range exact date", "GET", { range: "bytes=0-1", "if-range": AT }, "206"],
  ["If-Range later date", "GET", { range: "bytes=0-1", "if-range": AFTER }, "200"],
  ["If-Range garbage", "GET", { range: "bytes=0-1", "if-range": "garbage" }, "200"],
  ["304 wins over Range", "GET", { range: "bytes=0-1", "if-none-match": ETAG }, "304"],
];

describe("evaluatePreconditions", () => {
  for (const [name, method, fields, want] of CASES) {
    it(name, () => {
      const got = evaluatePreconditions(head(method, fields), {
        etag: ETAG,
        lastModifiedMs: MTIME,
      });
      const status =
        got.kind === "not-modified"
          ? "304"
          : got.kind === "precondition-failed"
            ? "412"
            : got.honourRange
              ? "206"
              : "200";
      assert.equal(status, want);
    });
  }
});

describe("evaluatePreconditions without validators", () => {
  const kind = (fields: Record<string, string>): string =>
    evaluatePreconditions(head("GET", fields), { etag: undefined, lastModifiedMs: undefined }).kind;
  it("ignores date conditions when there is no modification date (RFC 9110 §13.1.3, §13.1.4)", () => {
    assert.equal(kind({ "if-modified-since": AFTER }), "proceed");
    assert.equal(kind({ "if-unmodified-since": BEFORE }), "proceed");
  });
  it("matches no entity-tag, but * still means the resource exists", () => {
    assert.equal(kind({ "if-none-match": ETAG }), "proceed");
    assert.equal(kind({ "if-match": ETAG }), "precondition-failed");
    assert.equal(kind({ "if-none-match": "*" }), "not-modified");
    assert.equal(kind({ "if-match": "*" }), "proceed");
  });
});

describe("entity-tag comparison (RFC 9110 §8.8.3.2)", () => {
  const rows: [string, string, boolean, boolean][] = [
    ['W/"1"', 'W/"1"', false, true],
    ['W/"1"', 'W/"2"', false, false],
    ['W/"1"', '"1"', false, true],
    ['"1"', '"1"', true, true],
    ["1", "1", false, false],
  ];
  for (const [a, b, strong, weak] of rows) {
    it(`${a} vs ${b}`, () => {
      assert.equal(strongMatch(a, b), strong);
      assert.equal(weakMatch(a, b), weak);
    });
  }
});
