/** splitRequestTarget: the four request-target forms (RFC 9112 §3.2), table-driven. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitRequestTarget } from "../../src/http/request-target.js";

describe("splitRequestTarget", () => {
  const ok: [string, string, string, string, string][] = [
    ["GET", "/", "origin", "/", ""],
    ["GET", "/a/b?c=d&e", "origin", "/a/b", "c=d&e"],
    ["GET", "/a?", "origin", "/a", ""],
    ["GET", "/a?b?c", "origin", "/a", "b?c"],
    ["GET", "/%2e%2e/x", "origin", "/%2e%2e/x", ""],
    ["GET", "http://h/p?q", "absolute", "/p", "q"],
    ["GET", "HTTPS://h:443", "absolute", "/", ""],
    ["GET", "http://h?q", "absolute", "/", "q"],
    ["GET", "http://[::1]:8080/x", "absolute", "/x", ""],
    ["OPTIONS", "*", "asterisk", "*", ""],
    ["CONNECT", "example.com:443", "authority", "", ""],
  ];
  for (const [method, target, form, path, query] of ok) {
    it(`splits ${method} ${target}`, () => {
      assert.deepEqual(splitRequestTarget(target, method), { kind: "ok", form, path, query });
    });
  }
  const bad: [string, string][] = [
    ["GET", "*"],
    ["GET", "a/b"],
    ["GET", "ftp://h/x"],
    ["GET", "http:///x"],
    ["GET", "http://user@h/x"],
    ["GET", "example.com:443"],
    ["CONNECT", "/x"],
    ["CONNECT", "h"],
  ];
  for (const [method, target] of bad) {
    it(`rejects ${method} ${target}`, () => {
      assert.equal(splitRequestTarget(target, method).kind, "error");
    });
  }
});
