/** The one token / field-value module: byte classes, and "Name: value" arguments. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isToken, isValidFieldValue, parseFieldArgument } from "../../src/http/header-fields.js";
import { TcpkitError } from "../../src/util/tcpkit-error.js";

describe("isToken and isValidFieldValue (RFC 9110 §5.6.2, §5.5)", () => {
  it("accepts tchar only, and never the empty string", () => {
    assert.ok(isToken("X-Custom_1.2~!#$%&'*+^`|"));
    for (const bad of ["", "A B", "A:B", "A\r\nB", "(x)", "a/b", "é", "a\u0100"]) {
      assert.ok(!isToken(bad), JSON.stringify(bad));
    }
  });

  it("accepts HTAB, SP, VCHAR and obs-text in a value; no other control, no DEL", () => {
    assert.ok(isValidFieldValue(""));
    assert.ok(isValidFieldValue("max-age=60, public\tx \u00e9\u00ff"));
    for (const bad of ["a\rb", "a\nb", "a\u0000", "\u0001", "a\u007f", "\u0100"]) {
      assert.ok(!isValidFieldValue(bad), JSON.stringify(bad));
    }
  });
});

describe("parseFieldArgument", () => {
  const GOOD: [string, [string, string]][] = [
    ["X-A: 1", ["X-A", "1"]],
    ["X-A:1", ["X-A", "1"]],
    ["X-A:", ["X-A", ""]],
    ["  X-A \t:  a b  ", ["X-A", "a b"]],
    ["Cache-Control: max-age=60, public", ["Cache-Control", "max-age=60, public"]],
    ["X-Time: 12:30:00", ["X-Time", "12:30:00"]],
    // Returned as typed; checked as the UTF-8 it goes out as.
    ["X-Sign: 5 \u20ac", ["X-Sign", "5 \u20ac"]],
  ];
  for (const [text, field] of GOOD) {
    it(`splits ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseFieldArgument(text), field);
    });
  }

  const BAD: [string, string][] = [
    ["NoColon", "expected 'Name: value', not 'NoColon'"],
    [": value", "expected 'Name: value', not ': value'"],
    ["Bad Name: x", "invalid field name 'Bad Name'"],
    ["X-A\r\nInjected: 1", "invalid field name 'X-A\r\nInjected'"],
    ["X-A: 1\r\nInjected: 1", "the value of 'X-A' has a control character"],
    ["X-A: 1\n", "the value of 'X-A' has a control character"],
    ["X-A: \u0000", "the value of 'X-A' has a control character"],
  ];
  for (const [text, message] of BAD) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseFieldArgument(text),
        (err) =>
          err instanceof TcpkitError &&
          err.code === "ERR_INVALID_ARGUMENT" &&
          err.message === message,
      );
    });
  }
});
