/** The proxy's pure parts: routes (PREFIX=URL), target mapping, Location rewriting, fields. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  downstreamHeaders,
  frontOrigin,
  passedThrough,
  upstreamRequestHead,
} from "../../src/proxy/forward-fields.js";
import {
  hasDotSegment,
  parseProxyRoute,
  rewriteLocation,
  routeMatches,
  upstreamTarget,
} from "../../src/proxy/proxy-route.js";

describe("proxy routes", () => {
  it("keeps the path for a URL without one, replaces the prefix for a URL with one", () => {
    const keep = parseProxyRoute("/api=http://127.0.0.1:3000");
    assert.equal(keep.replace, undefined);
    assert.equal(upstreamTarget(keep, "/api/x", "q=1"), "/api/x?q=1");
    const swap = parseProxyRoute("/api/=http://b:3000/v1/");
    assert.equal(swap.prefix, "/api");
    assert.equal(upstreamTarget(swap, "/api/x", ""), "/v1/x");
    assert.equal(upstreamTarget(swap, "/api", ""), "/v1");
    const root = parseProxyRoute("/api=http://b/");
    assert.equal(upstreamTarget(root, "/api/x", ""), "/x");
    assert.equal(upstreamTarget(root, "/api", ""), "/");
  });

  it("matches on segment boundaries only", () => {
    const r = parseProxyRoute("/api=http://b");
    assert.ok(routeMatches(r, "/api"));
    assert.ok(routeMatches(r, "/api/"));
    assert.ok(routeMatches(r, "/api/x"));
    assert.ok(!routeMatches(r, "/apix"));
    assert.ok(!routeMatches(r, "/ap"));
    assert.ok(routeMatches(parseProxyRoute("/=http://b"), "/anything"));
  });

  it("refuses malformed routes and finds dot segments, encoded too", () => {
    for (const bad of ["api=http://b", "/api", "/a b=http://b", "/api=ftp://b", "/api=http://b/?x"])
      assert.throws(() => parseProxyRoute(bad), { code: "ERR_INVALID_ARGUMENT" }, bad);
    for (const p of [
      "/api/../x",
      "/api/%2e%2E/x",
      "/api/./x",
      "/api/.%2e",
      "/api/..%2fx",
      "/api/x%2F..%2Fy",
      "/api/..%5cx",
      "/api/..;/x",
      "/api/.%2e;a=b/x",
      "/api/..%3Bx/y",
    ])
      assert.ok(hasDotSegment(p), p);
    assert.ok(!hasDotSegment("/api/..x/.y"));
    for (const p of [
      "/api/x.json",
      "/api/%41",
      "/a.b/c..d",
      "/api/%2ex",
      "/api/..x;y",
      "/a;b/%2fc",
    ])
      assert.ok(!hasDotSegment(p), p);
  });

  it("rewrites a Location at the back end to the front (nginx's proxy_redirect default)", () => {
    const swap = parseProxyRoute("/api=http://b:3000/v1");
    const front = "http://localhost:8080";
    assert.equal(rewriteLocation(swap, "http://b:3000/v1/login?x", front), `${front}/api/login?x`);
    assert.equal(rewriteLocation(swap, "/v1/login", front), "/api/login");
    assert.equal(rewriteLocation(swap, "https://elsewhere/v1", front), "https://elsewhere/v1");
    const keep = parseProxyRoute("/api=http://b:3000");
    assert.equal(rewriteLocation(keep, "http://b:3000/api/x", front), `${front}/api/x`);
    const all = parseProxyRoute("/=http://b:3000");
    assert.equal(rewriteLocation(all, "http://b:3000", front), `${front}/`);
    // scheme and host in any case, the default port written or not, a query right after
    assert.equal(rewriteLocation(keep, "HTTP://B:3000/api/x", front), `${front}/api/x`);
    assert.equal(rewriteLocation(all, "http://b:3000?q", front), `${front}/?q`);
    const port80 = parseProxyRoute("/api=http://b");
    assert.equal(rewriteLocation(port80, "http://b:80/api/x", front), `${front}/api/x`);
    const tls = parseProxyRoute("/api=https://b:443");
    assert.equal(rewriteLocation(tls, "https://B/api/x", front), `${front}/api/x`);
    assert.equal(rewriteLocation(tls, "http://b/api/x", front), "http://b/api/x");
    assert.equal(rewriteLocation(keep, "http://b:30001/api/x", front), "http://b:30001/api/x");
    assert.equal(rewriteLocation(keep, "http://u@b:3000/api/x", front), "http://u@b:3000/api/x");
    // a back-end path the route does not map stays the back end's: on the front it is another
    // resource (nginx's proxy_redirect leaves it too)
    assert.equal(rewriteLocation(swap, "http://b:3000/other", front), "http://b:3000/other");
    assert.equal(rewriteLocation(swap, "http://b:3000/v1x", front), "http://b:3000/v1x");
    assert.equal(rewriteLocation(keep, "http://b:3000/other?x", front), "http://b:3000/other?x");
    assert.equal(rewriteLocation(keep, "http://b:3000/apix", front), "http://b:3000/apix");
    assert.equal(rewriteLocation(keep, "http://b:3000/api?x", front), `${front}/api?x`);
    assert.equal(rewriteLocation(all, "http://b:3000/o", front), `${front}/o`);
  });
});

describe("forwarded fields", () => {
  const base = {
    method: "POST",
    version: 11 as const,
    pseudonym: "tcpkit",
    target: "/x",
    host: "b:3000",
    clientHost: "front",
    clientAddress: "::1",
    proto: "https" as const,
    framing: 5,
    upgrade: undefined,
  };

  it("drops hop-by-hop fields and those Connection names; sets Via and forwarding fields", () => {
    const fields = [
      "connection",
      "x-a, keep-alive",
      "x-a",
      "1",
      "te",
      "trailers",
      "host",
      "front",
      "x-forwarded-for",
      "6.6.6.6",
      "x-real-ip",
      "6.6.6.6",
      "transfer-encoding",
      "chunked",
      "expect",
      "100-continue",
      "x-b",
      "2",
    ];
    const head = upstreamRequestHead({ ...base, fields, trustForwarded: false });
    assert.equal(
      head,
      "POST /x HTTP/1.1\r\nHost: b:3000\r\nX-B: 2\r\nVia: 1.1 tcpkit\r\nX-Forwarded-For: ::1\r\nX-Real-IP: ::1\r\n" +
        'X-Forwarded-Proto: https\r\nX-Forwarded-Host: front\r\nForwarded: for="[::1]";host=front;proto=https\r\n' +
        "Content-Length: 5\r\n\r\n",
    );
    const trusted = upstreamRequestHead({ ...base, fields, trustForwarded: true });
    assert.match(trusted, /\r\nX-Forwarded-For: 6\.6\.6\.6, ::1\r\nX-Real-IP: 6\.6\.6\.6\r\n/);
  });

  it("passes an Upgrade on; strips framing, Date and hop-by-hop fields from responses", () => {
    const up = upstreamRequestHead({
      ...base,
      method: "GET",
      fields: [],
      trustForwarded: false,
      framing: "none",
      upgrade: "websocket",
    });
    assert.match(up, /\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n$/);
    const down = downstreamHeaders(
      [
        "content-type",
        "text/plain",
        "content-length",
        "5",
        "date",
        "x",
        "connection",
        "close, x-z",
        "x-z",
        "1",
        "via",
        "1.0 other",
        "location",
        "/a",
      ],
      11,
      (v) => `L${v}`,
      "tcpkit",
    );
    assert.equal(
      down,
      "Content-Type: text/plain\r\nLocation: L/a\r\nVia: 1.0 other, 1.1 tcpkit\r\n",
    );
  });

  it("names in Via the version each message was received with (RFC 9110 §7.6.3)", () => {
    const up = upstreamRequestHead({
      ...base,
      version: 10,
      fields: [],
      trustForwarded: false,
      framing: "none",
    });
    assert.match(up, /\r\nVia: 1\.0 tcpkit\r\n/);
    assert.match(up, /^POST \/x HTTP\/1\.1\r\n/); // tcpkit itself speaks 1.1 to the back end
    assert.equal(
      downstreamHeaders([], 10, (v) => v, "tcpkit-1"),
      "Via: 1.0 tcpkit-1\r\n",
    );
  });

  it("finds the origin a client reached, a trusted proxy's when there is one", () => {
    const h = (...fields: string[]): { target: string; fields: string[] } => ({
      target: "/x",
      fields,
    });
    const local = "127.0.0.1:8080";
    assert.equal(frontOrigin(h(), false, "http", local), "http://127.0.0.1:8080");
    assert.equal(frontOrigin(h("host", "front:1"), false, "https", local), "https://front:1");
    // an absolute-form target's authority, not Host (RFC 9112 §3.2.2)
    const absolute = { target: "http://abs:2/x", fields: ["host", "front:1"] };
    assert.equal(frontOrigin(absolute, false, "http", local), "http://abs:2");
    const proxied = h("host", "front:1", "x-forwarded-proto", "https", "x-forwarded-host", "a.com");
    assert.equal(frontOrigin(proxied, false, "http", local), "http://front:1"); // not trusted
    assert.equal(frontOrigin(proxied, true, "http", local), "https://a.com");
    // lists: the first member is the one the client used
    const chained = h("x-forwarded-proto", "HTTPS, http", "x-forwarded-host", "a.com, b.lan");
    assert.equal(frontOrigin(chained, true, "http", local), "https://a.com");
    const forwarded = h(
      "host",
      "front:1",
      "forwarded",
      'for=1.2.3.4;host="[::1]:8443";proto=https, for=5.6.7.8;host=b;proto=http',
    );
    assert.equal(frontOrigin(forwarded, true, "http", local), "https://[::1]:8443");
    // values that would break the URL are ignored
    const bad = h(
      "host",
      "front:1",
      "x-forwarded-proto",
      "javascript",
      "x-forwarded-host",
      "a/b@c",
    );
    assert.equal(frontOrigin(bad, true, "http", local), "http://front:1");
  });

  it("sees a request that already passed through this proxy by its Via pseudonym", () => {
    const via = (value: string): { fields: string[] } => ({ fields: ["via", value] });
    assert.equal(passedThrough({ fields: [] }, "tcpkit-ab"), false);
    assert.equal(passedThrough(via("1.1 tcpkit-ab"), "tcpkit-ab"), true);
    assert.equal(passedThrough(via("1.0 front, HTTP/1.1 tcpkit-ab:8080"), "tcpkit-ab"), false);
    assert.equal(passedThrough(via("1.0 front (x), 1.1  tcpkit-ab (y)"), "tcpkit-ab"), true);
    assert.equal(passedThrough(via("1.1 tcpkit-abc, 1.1 tcpkit"), "tcpkit-ab"), false);
    assert.equal(
      passedThrough({ fields: ["via", "1.1 a", "via", "1.0 tcpkit-ab"] }, "tcpkit-ab"),
      true,
    );
  });
});
