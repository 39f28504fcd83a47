/** Percent-decoding (once, UTF-8, strict) and request-path resolution under the root. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { percentDecode } from "../../src/http/percent-decode.js";
import { encodePathSegments, resolveRequestPath } from "../../src/static/resolve-path.js";

describe("percentDecode", () => {
  const rows: [string, string | undefined][] = [
    ["/plain", "/plain"],
    ["/a%20b", "/a b"],
    ["/%C3%A9t%C3%A9", "/été"],
    ["/%e2%82%ac", "/€"],
    ["/%252e", "/%2e"],
    ["/%", undefined],
    ["/%4", undefined],
    ["/%zz", undefined],
    ["/%g0", undefined],
    ["/%C3", undefined],
    ["/%FF", undefined],
    ["/%C0%AE", undefined],
    ["/%ED%A0%80", undefined],
    ["/%00", "/\u0000"],
  ];
  for (const [input, want] of rows) {
    it(JSON.stringify(input), () => assert.equal(percentDecode(input), want));
  }
});

describe("resolveRequestPath", () => {
  const ok = (segments: string[], trailingSlash = false, hasDotSegment = false) => ({
    kind: "ok",
    segments,
    trailingSlash,
    hasDotSegment,
  });
  const rows: [string, unknown][] = [
    ["/", ok([], true)],
    ["/a/b.txt", ok(["a", "b.txt"])],
    ["/a/", ok(["a"], true)],
    ["//etc/passwd", ok(["etc", "passwd"])],
    ["/a//b", ok(["a", "b"])],
    ["/a/./b", ok(["a", "b"])],
    ["/a/../b", ok(["b"])],
    ["/a/%2e%2e/b", ok(["b"])],
    ["/a/..%2fb", ok(["b"])],
    ["/a/.", ok(["a"], true)],
    ["/a/b/..", ok(["a"], true)],
    ["/%252e%252e/x", ok(["%2e%2e", "x"])],
    ["/a%20b/%C3%A9", ok(["a b", "é"])],
    ["/.env", ok([".env"], false, true)],
    ["/.git/config", ok([".git", "config"], false, true)],
    ["/a/.hidden/", ok(["a", ".hidden"], true, true)],
    ["/..", { kind: "bad" }],
    ["/../etc/passwd", { kind: "bad" }],
    ["/%2e%2e/etc/passwd", { kind: "bad" }],
    ["/%2E%2E/etc/passwd", { kind: "bad" }],
    ["/..%2fetc/passwd", { kind: "bad" }],
    ["/a/../../etc", { kind: "bad" }],
    ["/%2e%2e%5cetc", { kind: "bad" }],
    ["/..\\etc", { kind: "bad" }],
    ["/a\\b", { kind: "bad" }],
    ["/a%5cb", { kind: "bad" }],
    ["/a%00.txt", { kind: "bad" }],
    ["/a%0d%0aX: y", { kind: "bad" }],
    ["/%zz", { kind: "bad" }],
    ["/%C3", { kind: "bad" }],
    ["a/b", { kind: "bad" }],
    ["*", { kind: "bad" }],
  ];
  for (const [input, want] of rows) {
    it(JSON.stringify(input), () => {
      const got = resolveRequestPath(input);
      if ((want as { kind: string }).kind === "bad") assert.equal(got.kind, "bad");
      else assert.deepEqual(got, want);
    });
  }

  it("encodes segments so that a Location can never start with //", () => {
    assert.equal(encodePathSegments(["evil.example"]), "/evil.example");
    assert.equal(encodePathSegments(["a b", "é", "x?y#z", "50%"]), "/a%20b/%C3%A9/x%3Fy%23z/50%25");
    assert.equal(encodePathSegments(["a/b"]), "/a%2Fb");
  });
});
