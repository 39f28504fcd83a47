// `tcpkit get` (the built CLI) against a canned site: the conversation. Request head as sent,
// malformed responses, redirects and loops, exit codes, timeouts, IPv6.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCli } from "../support/cli.js";
import { ok, useCannedSite } from "../support/canned-site.js";
import { startCannedServer, type CannedRequest } from "../support/canned-server.js";
import { runTool } from "../support/tools.js";

describe("tcpkit get: the conversation", () => {
  const site = useCannedSite();
  const get = (args: string[]) => site.get(args);
  const files = () => site.files();

  it("sends the path with its percent-encoding as typed", async () => {
    const target = "/a%2Fb/%7e/%2e%2e/x%20y?q=%41&r=/..";
    const r = await get(["-o", "-", site.server.url(target)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `target=${target}\n`);
  });

  it("sends an HTTP/1.1 request head with Host, User-Agent and Accept, keeping the connection alive", async () => {
    const before = site.server.requests.length;
    await get(["-q", "-o", "-", site.server.url("/file.txt")]);
    const req = site.server.requests[before] as CannedRequest;
    assert.equal(req.version, "HTTP/1.1");
    assert.equal(req.field("host"), `127.0.0.1:${site.server.port}`);
    assert.match(req.field("user-agent") ?? "", /^tcpkit\/\d+\.\d+\.\d+/);
    assert.equal(req.field("accept"), "*/*");
    assert.equal(req.field("connection"), undefined);
  });

  it("-0 sends HTTP/1.0; -H adds a header", async () => {
    const before = site.server.requests.length;
    const named = ["-H", "X-Name: caf\u00e9", "-H", "X-Sign: 5 \u20ac"];
    const args = ["-q", "-0", "-H", "X-Test: yes", ...named];
    await get([...args, "-o", "-", site.server.url("/file.txt")]);
    const req = site.server.requests[before] as CannedRequest;
    // Typed text goes out as UTF-8, byte for byte as curl sends it ("\u20ac" was refused).
    assert.equal(Buffer.from(req.field("x-name") ?? "", "latin1").toString("utf8"), "caf\u00e9");
    assert.equal(Buffer.from(req.field("x-sign") ?? "", "latin1").toString("utf8"), "5 \u20ac");
    await runTool("curl", ["-s", "-o", "/dev/null", ...named, site.server.url("/file.txt")]);
    const byCurl = site.server.requests.at(-1) as CannedRequest;
    assert.equal(byCurl.field("x-name"), req.field("x-name"));
    assert.equal(byCurl.field("x-sign"), req.field("x-sign"));
    assert.match(req.raw, /^GET \/file\.txt HTTP\/1\.0\r\n/);
    assert.equal(req.field("connection"), undefined);
    assert.equal(req.field("x-test"), "yes");
  });

  it("-u sends Basic credentials to the URL's origin only, not on after a redirect", async () => {
    const other = await startCannedServer(() => ok("there\n"));
    const first = await startCannedServer(
      () => `HTTP/1.1 302 Found\r\nLocation: ${other.url("/x")}\r\nContent-Length: 0\r\n\r\n`,
    );
    try {
      const r = await get(["-u", "al:s\u00e9cret", "-o", "-", first.url("/x")]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "there\n");
      const token = Buffer.from("al:s\u00e9cret").toString("base64");
      assert.equal(first.requests[0]?.field("authorization"), `Basic ${token}`);
      assert.equal(other.requests[0]?.field("authorization"), undefined);
      const bad = await get(["-u", "al", first.url("/x")]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--user needs USER:PASS/);
    } finally {
      await first.close();
      await other.close();
    }
  });

  it("exits 1 on a malformed chunk and on a malformed status line", async () => {
    const chunk = await get([site.server.url("/bad-chunk")]);
    assert.equal(chunk.code, 1);
    assert.match(chunk.stderr, /malformed chunk size/);
    assert.deepEqual(files(), ["bad-chunk.part"]);
    const status = await get([site.server.url("/bad-status")]);
    assert.equal(status.code, 1);
    assert.match(
      status.stderr,
      /^tcpkit: bad response from 127\.0\.0\.1:\d+: malformed status line 'HTTP\/1\.1 20 OK'\n$/,
    );
    assert.deepEqual(files(), ["bad-chunk.part"]);
  });

  it("exits 1 on a transfer coding it never asked for, saving nothing (RFC 9110 §10.1.4)", async () => {
    // wget saves the chunk framing and gzip bytes as the file, curl takes gzip off unasked;
    // Go's client and nginx's proxy refuse it, as tcpkit does: it never sends TE.
    const r = await get([site.server.url("/gzip-te")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unsupported Transfer-Encoding 'gzip, chunked'/);
    assert.deepEqual(files(), []);
  });

  it("follows 301, 302, 303, 307 and 308 with relative Locations, naming the file after the URL asked for", async () => {
    const r = await get(["--trace", site.server.url("/r1")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(files(), ["r1"]);
    assert.equal(readFileSync(join(site.cwd, "r1"), "utf8"), "final\n");
    for (const target of ["/r2", "/sub/r3", "/r4?q=1", "/r5", "/final.txt"]) {
      assert.ok(r.stderr.includes(`> GET ${target} HTTP/1.1`), target);
    }
  });

  it("reports a redirect loop and too many redirects, exit 1", async () => {
    const loop = await get([site.server.url("/loop-a")]);
    assert.equal(loop.code, 1);
    assert.match(loop.stderr, /^tcpkit: redirect loop: .*\/loop-a -> .*\/loop-b -> .*\/loop-a\n$/);
    const many = await get(["--max-redirects", "3", site.server.url("/hop/0")]);
    assert.equal(many.code, 1);
    assert.match(many.stderr, /too many redirects \(more than 3\)/);
    assert.equal((await get(["--max-redirects", "0", site.server.url("/r5")])).code, 1);
    assert.deepEqual(files(), []);
  });

  it("follows a Location with UTF-8 bytes to their percent-encoding, as curl and wget do", async () => {
    // The head is latin1 to the parser: C3 A9 must go out as %C3%A9, not as %C3%83%C2%A9.
    const server = await startCannedServer((request) =>
      Buffer.from(
        request.target === "/moved"
          ? "HTTP/1.1 302 Found\r\nLocation: /caf\u00e9 d\u00e9j\u00e0.txt\r\nContent-Length: 0\r\n\r\n"
          : ok(`target=${request.target}\n`),
        "utf8",
      ),
    );
    try {
      const r = await get(["-o", "-", server.url("/moved")]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "target=/caf%C3%A9%20d%C3%A9j%C3%A0.txt\n");
    } finally {
      await server.close();
    }
  });

  it("exits 2 on usage errors", async () => {
    for (const args of [
      [],
      ["ftp://x/"],
      ["http://"],
      ["--max-redirects", "x", "http://h/"],
      ["-c", "-o", "-", "http://h/"],
      // A CR or LF in -H would split the request; it is refused before any connection.
      ["-H", "X-A: 1\r\nInjected: 1", "http://h/"],
      ["-H", "X-A\r\nInjected: 1", "http://h/"],
      ["http://h/", "stray\nargument"],
    ]) {
      const r = await get(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, /^tcpkit: .*\n$/);
    }
  });

  it("exits 1 when the connection is refused or the server never answers", async () => {
    const silent = await startCannedServer(() => undefined);
    const port = silent.port;
    const r = await get(["--timeout", "0.5", silent.url("/x")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no response from 127\.0\.0\.1:\d+ within 0\.5 s/);
    await silent.close();
    const refused = await get([`http://127.0.0.1:${port}/x`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /connection refused by 127\.0\.0\.1:\d+/);
    assert.deepEqual(files(), []);
  });

  it("fetches from an IPv6 literal", async () => {
    const v6 = await startCannedServer(() => ok("six\n"), "::1");
    try {
      const r = await get(["-o", "-", v6.url("/x")]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "six\n");
      assert.equal(v6.requests[0]?.field("host"), `[::1]:${v6.port}`);
    } finally {
      await v6.close();
    }
  });

  it("times out when the server goes quiet mid-body, keeping the partial file", async () => {
    const r = await get(["--timeout", "0.5", site.server.url("/stall")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /sent nothing for 0\.5 s \(after 1000 body bytes\)/);
    assert.match(r.stderr, /partial file kept as .*stall\.part \(1000 bytes\); resume with -c/);
    assert.equal(statSync(join(site.cwd, "stall.part")).size, 1000);
  });

  it("prints help with the exit codes", async () => {
    const r = await runCli(["get", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Exit codes \(with several URLs, the worst of them\):\n {2}0 +saved/);
    assert.match(r.stdout, /\n {2}1 +network or protocol error/);
    assert.match(r.stdout, /\n {2}3 +HTTP status >= 400/);
    assert.match(r.stdout, /\n {2}130 +interrupted/);
  });
});
