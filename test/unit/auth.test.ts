/** The auth wing's pure parts: Basic credentials (RFC 7617), htpasswd lines, the login throttle. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { basicChallenge, parseBasicCredentials } from "../../src/auth/basic-credentials.js";
import { CredentialStore } from "../../src/auth/credential-store.js";
import { parseHtpasswd, parseUserPassword } from "../../src/auth/htpasswd.js";
import { LoginThrottle } from "../../src/auth/login-throttle.js";
import { clientBucket } from "../../src/net/address.js";
import { TcpkitError } from "../../src/util/tcpkit-error.js";

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

describe("Basic credentials (RFC 7617)", () => {
  it("parses the RFC's example and splits at the first colon", () => {
    assert.deepEqual(parseBasicCredentials("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), {
      user: "Aladdin",
      password: "open sesame",
    });
    assert.deepEqual(parseBasicCredentials(`basic ${b64("a:b:c")}`), {
      user: "a",
      password: "b:c",
    });
    assert.deepEqual(parseBasicCredentials(`BASIC ${b64("tëst:pässword")}`), {
      user: "tëst",
      password: "pässword",
    });
    assert.deepEqual(parseBasicCredentials(`Basic ${b64(":")}`), { user: "", password: "" });
  });
  it("refuses other schemes, bad base64, no colon and non-UTF-8", () => {
    for (const bad of [
      "Bearer abc",
      "Basic",
      "Basic ",
      "Basic a b",
      `Basic ${b64("nocolon")}`,
      "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=x",
      "Basic QWxh*GRpbjpvcGVuIHNlc2FtZQ==",
      "Basic QWxhZGRpbjpvcGVuIHNlc2FtZR==", // non-canonical final bits
      `Basic ${Buffer.from([0x61, 0x3a, 0xff]).toString("base64")}`,
      `Basic ${b64("a:b")}, Basic ${b64("c:d")}`,
    ]) {
      assert.equal(parseBasicCredentials(bad), undefined, bad);
    }
  });
  it("quotes the realm in the challenge", () => {
    assert.equal(
      basicChallenge('a "b" \\'),
      'WWW-Authenticate: Basic realm="a \\"b\\" \\\\", charset="UTF-8"\r\n',
    );
  });
});

describe("htpasswd files", () => {
  const bcrypt = "$2y$05$ooOn/rfp4klwa.WMIPBxsugVtN2r4MqiqRD1UCtKdoey8uwNFYGXi"; // alice : s3cret:x
  const sha = "{SHA}8Wyi36Noi/CMek4hVErxW9WYy3A="; // pw2
  it("reads bcrypt and {SHA} lines, skips comments and blank lines", async () => {
    const users = parseHtpasswd(`# users\nalice:${bcrypt}\n\nbob:${sha}\r\n`);
    assert.deepEqual([...users.keys()], ["alice", "bob"]);
    const store = new CredentialStore(users);
    assert.equal(await store.verify("alice", "s3cret:x"), true);
    assert.equal(await store.verify("alice", "s3cret"), false);
    assert.equal(await store.verify("bob", "pw2"), true);
    assert.equal(await store.verify("bob", "pw"), false);
    assert.equal(await store.verify("carol", "pw2"), false);
  });
  it("names the line of every bad entry", () => {
    const cases: [string, RegExp][] = [
      [`alice:${bcrypt}\nnocolon`, /^line 2: expected 'user:hash'$/],
      [`:${sha}`, /^line 1: expected 'user:hash'$/],
      [`a:${sha}\na:${sha}`, /^line 2: user 'a' appears twice$/],
      ["a:$apr1$abc$def", /^line 1: Apache MD5 \(\$apr1\$\) is not supported/],
      ["a:plainpassword", /^line 1: not a bcrypt/],
      ["a:$2y$05$short", /^line 1: malformed bcrypt hash$/],
      ["a:{SHA}abc", /^line 1: malformed \{SHA\} hash$/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseHtpasswd(text),
        (err: unknown) => err instanceof TcpkitError && message.test(err.message),
        text,
      );
    }
  });
  it("takes USER:PASSWORD from the command line without echoing a bad one", async () => {
    const [user, verifier] = parseUserPassword("u:p:q");
    assert.equal(user, "u");
    assert.equal(await new CredentialStore(new Map([[user, verifier]])).verify("u", "p:q"), true);
    assert.throws(() => parseUserPassword("secretword"), /^(?!.*secretword).*USER:PASSWORD/);
  });
});

describe("login throttle", () => {
  it("lets 10 failures through at once, then one per second, then 429", () => {
    const t = new LoginThrottle(10, 1, 30_000);
    for (let i = 0; i < 10; i++) assert.equal(t.reserve("a", 0), 0);
    assert.equal(t.reserve("a", 0), 1000);
    assert.equal(t.reserve("a", 0), 2000);
    assert.equal(t.reserve("b", 0), 0, "another address has its own bucket");
    for (let i = 3; i <= 30; i++) assert.equal(t.reserve("a", 0), i * 1000);
    assert.equal(t.reserve("a", 0), undefined, "more than 30 s behind: 429");
    assert.equal(t.retryAfterSeconds("a", 0), 31);
    // 40 s later the bucket is full again
    assert.equal(t.reserve("a", 70_000), 0);
  });
  it("counts an IPv6 client by its /64, an IPv4 one (also IPv4-mapped) by its address", () => {
    const cases: [string, string][] = [
      ["192.0.2.7", "192.0.2.7"],
      ["::ffff:192.0.2.7", "192.0.2.7"],
      ["::FFFF:192.0.2.7", "192.0.2.7"],
      ["::1", "0:0:0:0::/64"],
      ["::", "0:0:0:0::/64"],
      ["2001:db8::1", "2001:db8:0:0::/64"],
      ["2001:db8:0:0:ffff::2", "2001:db8:0:0::/64"],
      ["2001:0db8:00aa:0001:1:2:3:4", "2001:db8:aa:1::/64"],
      ["2001:db8:aa:1::", "2001:db8:aa:1::/64"],
      ["fe80::1%eth0", "fe80:0:0:0::/64"],
      ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
      ["64:ff9b::192.0.2.7", "64:ff9b:0:0::/64"],
    ];
    for (const [address, key] of cases) assert.equal(clientBucket(address), key, address);
    // Every address of one /64 draws on one bucket; the next /64 has its own.
    const t = new LoginThrottle(3, 1, 30_000);
    for (let i = 1; i <= 3; i++) assert.equal(t.reserve(`2001:db8:0:7::${i}`, 0), 0);
    assert.equal(t.reserve("2001:db8:0:7:a:b:c:d", 0), 1000);
    assert.equal(t.reserve("2001:db8:0:8::1", 0), 0);
    t.refund("2001:db8:0:7::99", 0);
    assert.equal(t.retryAfterSeconds("2001:db8:0:7::5", 0), 1);
  });
  it("gives back the token of a success, so a good login never uses the bucket up", () => {
    const t = new LoginThrottle(2, 1, 30_000);
    for (let i = 0; i < 100; i++) {
      assert.equal(t.reserve("a", 0), 0);
      t.refund("a", 0);
    }
  });
});
