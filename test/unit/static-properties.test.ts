/**
 * Property tests (fast-check): whatever the request path, a resolved path stays under the root;
 * whatever the Range header, parseRange never throws and only yields ranges inside the file.
 */
import assert from "node:assert/strict";
import { isAbsolute, join, relative, sep } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseRange } from "../../src/http/range.js";
import { resolveRequestPath } from "../../src/static/resolve-path.js";

const ROOT = "/srv/www";

/** Path-ish strings built from the pieces traversal attempts are made of. */
const nasty = fc
  .array(
    fc.constantFrom(
      "/",
      "..",
      ".",
      "%2e",
      "%2E",
      "%2f",
      "%2F",
      "%5c",
      "\\",
      "%00",
      "%25",
      "%252e",
      "a",
      "é",
      "%C3%A9",
      "%",
      "%g",
      "etc",
      "passwd",
      ".git",
      "//",
    ),
    { maxLength: 12 },
  )
  .map((parts) => "/" + parts.join(""));

describe("resolveRequestPath properties", () => {
  it("never yields a path outside the root, a dot segment, or a forbidden character", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          nasty,
          fc.string().map((s) => "/" + s),
        ),
        (path) => {
          const r = resolveRequestPath(path);
          if (r.kind === "bad") return;
          for (const s of r.segments) {
            assert.ok(s !== "" && s !== "." && s !== "..", `segment ${JSON.stringify(s)}`);
            assert.ok(!s.includes("/") && !s.includes("\\") && !s.includes("\u0000"), s);
          }
          const rel = relative(ROOT, join(ROOT, ...r.segments));
          assert.ok(
            rel === "" || (!rel.startsWith(".." + sep) && rel !== ".." && !isAbsolute(rel)),
          );
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe("parseRange properties", () => {
  const header = fc.oneof(
    fc.string(),
    fc
      .array(
        fc.tuple(
          fc.option(fc.nat({ max: 2000 }), { nil: undefined }),
          fc.option(fc.nat({ max: 2000 }), { nil: undefined }),
        ),
        { maxLength: 8 },
      )
      .map((specs) => "bytes=" + specs.map(([a, b]) => `${a ?? ""}-${b ?? ""}`).join(",")),
  );
  it("never throws, and every range lies inside the representation", () => {
    fc.assert(
      fc.property(header, fc.nat({ max: 1500 }), (h, size) => {
        const r = parseRange(h, size);
        if (r.kind !== "ranges") return;
        let total = 0;
        for (const { start, end } of r.ranges) {
          assert.ok(start >= 0 && start < end && end <= size, `${h} on ${size}`);
          total += end - start;
        }
        assert.ok(total <= size);
      }),
      { numRuns: 5000 },
    );
  });
});
