import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRequestUrl, resolveLocation } from "../../src/client/request-url.js";
import { outputNameFromTarget } from "../../src/client/output-name.js";
import { TcpkitError } from "../../src/util/tcpkit-error.js";

describe("parseRequestUrl", () => {
  it("splits scheme, host, port, authority and target", () => {
    const u = parseRequestUrl("http://Example.COM:8080/a/b?x=1#frag");
    assert.equal(u.scheme, "http");
    assert.equal(u.host, "example.com");
    assert.equal(u.port, 8080);
    assert.equal(u.authority, "example.com:8080");
    assert.equal(u.target, "/a/b?x=1");
  });

  it("uses default ports and omits them from the authority", () => {
    assert.equal(parseRequestUrl("http://h/").port, 80);
    assert.equal(parseRequestUrl("https://h/").port, 443);
    assert.equal(parseRequestUrl("https://h:443/").authority, "h");
  });

  it("handles IPv6 literals with brackets in the authority only", () => {
    const u = parseRequestUrl("http://[::1]:8080/x");
    assert.equal(u.host, "::1");
    assert.equal(u.authority, "[::1]:8080");
    assert.equal(u.href, "http://[::1]:8080/x");
  });

  it("keeps percent-encoding and dot segments exactly as typed", () => {
    for (const target of ["/a%2Fb/%7e?q=%20x", "/a/%2e%2e/b", "/a/../b/./c", "/%zz", "/a|b^c"]) {
      assert.equal(parseRequestUrl(`http://h${target}`).target, target);
    }
  });

  it("encodes only bytes that cannot go on a request line", () => {
    assert.equal(parseRequestUrl('http://h/a b\u00e9"<>').target, "/a%20b%C3%A9%22%3C%3E");
  });

  it("sends / for an empty path and keeps a bare query", () => {
    assert.equal(parseRequestUrl("http://h").target, "/");
    assert.equal(parseRequestUrl("http://h?x").target, "/?x");
  });

  it("takes a URL without a scheme as http", () => {
    assert.equal(parseRequestUrl("localhost:9/x").href, "http://localhost:9/x");
  });

  for (const bad of [
    "ftp://h/",
    "http://user:pw@h/",
    "http:///x",
    "http://h:99999/",
    "http://[::1/",
  ]) {
    it(`rejects ${bad}`, () => {
      assert.throws(
        () => parseRequestUrl(bad),
        (e: unknown) => e instanceof TcpkitError && e.code === "ERR_INVALID_URL",
      );
    });
  }
});

describe("resolveLocation", () => {
  const base = parseRequestUrl("http://h:81/dir/page?q");
  const cases: [string, string][] = [
    ["/abs/%2e%2e/x", "http://h:81/abs/%2e%2e/x"],
    ["other", "http://h:81/dir/other"],
    ["../up", "http://h:81/up"],
    ["?only", "http://h:81/dir/page?only"],
    ["//elsewhere:82/p", "http://elsewhere:82/p"],
    ["https://secure/x", "https://secure/x"],
    // Bytes above 0x7F, as the head parser gives them (latin1), are percent-encoded as bytes.
    ["/caf\xc3\xa9", "http://h:81/caf%C3%A9"],
    ["caf\xc3\xa9?q=\xe9", "http://h:81/dir/caf%C3%A9?q=%E9"],
    ["http://b\xc3\xbccher.example/\xc3\xbc", "http://xn--bcher-kva.example/%C3%BC"],
  ];
  for (const [location, want] of cases) {
    it(`resolves '${location}'`, () => {
      assert.equal(resolveLocation(base, location).href, want);
    });
  }
});

describe("outputNameFromTarget", () => {
  const cases: [string, string][] = [
    ["/", "index.html"],
    ["/dir/", "index.html"],
    ["/a/file.tar.gz?x=1", "file.tar.gz"],
    ["/a%20b.txt", "a b.txt"],
    ["/..", "index.html"],
    ["/%2e%2e", "index.html"],
    ["/x/%2e", "index.html"],
    ["/%2e%2e%2fetc%2fpasswd", "_._etc_passwd"],
    ["/..%2f..%2fescape", "_._.._escape"],
    ["/a%5c..%5cb", "a_.._b"],
    ["/.bashrc", "_bashrc"],
    ["/evil%00name", "evil_name"],
    ["/tab%09and%0anewline", "tab_and_newline"],
    ["/%zz", "%zz"],
  ];
  for (const [target, want] of cases) {
    it(`names ${target} as ${want}`, () => {
      const name = outputNameFromTarget(target);
      assert.equal(name, want);
      assert.ok(!name.includes("/") && !name.includes("\\") && !name.includes("\0"));
    });
  }

  it("cuts very long names to at most 200 bytes", () => {
    assert.ok(Buffer.byteLength(outputNameFromTarget(`/${"é".repeat(300)}`)) <= 200);
  });
});
