// The pure rules behind tcpkit get's resumes, segments, retries and digests: Content-Range
// checks, If-Range validators, RFC 9530 digest fields, --checksum, retry decisions, segment
// plans, -w formatting and the progress line's fitting.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkPartial, parseContentRange } from "../../src/client/content-range.js";
import { parseChecksum, readDigestField } from "../../src/client/digest-check.js";
import { decideRetry, parseRetryAfter, withStatusHint } from "../../src/client/retry-policy.js";
import { planSegments } from "../../src/client/segmented-transfer.js";
import { contradicts, validatorOf } from "../../src/client/validators.js";
import { fitParts } from "../../src/cli/progress-line.js";
import { formatWriteOut, parseWriteOut } from "../../src/cli/write-out.js";
import { TcpkitError } from "../../src/util/tcpkit-error.js";

const headers = (fields: Record<string, string>) => ({
  header: (name: string) => fields[name],
});

describe("Content-Range checks", () => {
  it("parses exactly RFC 9110 §14.4's form", () => {
    assert.deepEqual(parseContentRange("bytes 0-9/10"), { first: 0, last: 9, complete: 10 });
    assert.deepEqual(parseContentRange("bytes 5-9/*"), { first: 5, last: 9, complete: undefined });
    for (const bad of [
      "bytes 9-0/10",
      "bytes 0-10/10",
      "bytes  0-9/10",
      "bytes 0-9/10 ",
      "0-9/10",
      "bytes -1-9/10",
    ]) {
      assert.equal(parseContentRange(bad), undefined, bad);
    }
  });

  it("accepts only the asked range, with an agreeing Content-Length", () => {
    assert.deepEqual(checkPartial("bytes 400-999/1000", 600, { start: 400 }), {
      first: 400,
      last: 999,
      complete: 1000,
    });
    // An open range may end early (the caller has a prefix and asks again)...
    assert.equal(typeof checkPartial("bytes 400-499/1000", 100, { start: 400 }), "object");
    // ...a closed one may not, and nothing may start elsewhere or disagree with its length.
    assert.match(
      checkPartial("bytes 400-499/1000", 100, { start: 400, end: 599 }) as string,
      /asked for bytes 400-599/,
    );
    assert.match(
      checkPartial("bytes 401-999/1000", 599, { start: 400 }) as string,
      /asked for bytes 400-/,
    );
    assert.match(
      checkPartial("bytes 400-999/1000", 50, { start: 400 }) as string,
      /600 bytes but Content-Length says 50/,
    );
    assert.match(checkPartial("bytes 400-999/*", 600, { start: 400 }) as string, /no total length/);
    assert.match(
      checkPartial("bytes 400-999/1000", 600, { start: 400 }, 2000) as string,
      /total length changed/,
    );
    // A closed range past the end is answered up to the end.
    assert.equal(
      typeof checkPartial("bytes 900-999/1000", 100, { start: 900, end: 1999 }),
      "object",
    );
  });
});

describe("If-Range validators", () => {
  const date = "Wed, 01 Jan 2025 00:00:10 GMT";
  it("prefers a strong ETag, never a weak one, and a Last-Modified only when strong", () => {
    assert.deepEqual(validatorOf(headers({ etag: '"abc"' })), { kind: "etag", value: '"abc"' });
    assert.equal(validatorOf(headers({ etag: 'W/"abc"' })), undefined);
    const lm = "Wed, 01 Jan 2025 00:00:00 GMT";
    assert.deepEqual(validatorOf(headers({ etag: 'W/"x"', "last-modified": lm, date })), {
      kind: "last-modified",
      value: lm,
    });
    // Modified within the second of the Date (RFC 9110 §8.8.2.2) or no Date: not strong.
    assert.equal(validatorOf(headers({ "last-modified": date, date })), undefined);
    assert.equal(validatorOf(headers({ "last-modified": lm })), undefined);
  });

  it("a response contradicts a validator only with another value of that kind", () => {
    const v = { kind: "etag", value: '"a"' } as const;
    assert.equal(contradicts(v, headers({ etag: '"b"' })), true);
    assert.equal(contradicts(v, headers({ etag: '"a"' })), false);
    assert.equal(contradicts(v, headers({})), false);
  });
});

describe("RFC 9530 digest fields and --checksum", () => {
  const sha = Buffer.alloc(32, 7).toString("base64");
  it("reads sha-256 and sha-512 byte sequences, with parameters and other members", () => {
    const r = readDigestField("Repr-Digest", `md5=:AAAA:, sha-256=:${sha}:;p=1`);
    assert.equal(r.kind, "digest");
    assert.equal(r.kind === "digest" && r.digest.algorithm, "sha256");
    assert.deepEqual(readDigestField("Repr-Digest", undefined), { kind: "none" });
  });

  it("calls unusable what it cannot check, saying why", () => {
    for (const [value, why] of [
      ["sha-256=abc", /not a byte sequence/],
      ["sha-256=:AAAA:", /3 bytes, not 32/],
      ["md5=:AAAA:", /names no algorithm tcpkit checks \(md5\)/],
      ["SHA-256=:x:", /malformed/],
    ] as const) {
      const r = readDigestField("Repr-Digest", value);
      assert.equal(r.kind, "unusable", value);
      assert.match(r.kind === "unusable" ? r.reason : "", why);
    }
  });

  it("parses ALG=HEX and refuses what it cannot check", () => {
    assert.equal(parseChecksum(`SHA-256=${"ab".repeat(32)}`).algorithm, "sha256");
    assert.equal(parseChecksum(`md5=${"00".repeat(16)}`).value.length, 16);
    assert.throws(() => parseChecksum("crc32=1234"), /ALGORITHM one of/);
    assert.throws(() => parseChecksum("sha1=zz"), /40 hexadecimal digits/);
  });
});

describe("retry decisions", () => {
  const status = (code: number, retryAfter?: string) =>
    withStatusHint(new TcpkitError("ERR_HTTP_STATUS", "x"), code, retryAfter, 0);
  it("retries only transient failures, while retries are left", () => {
    const options = { count: 2, delayMs: 100 };
    assert.equal(decideRetry(status(503), 1, 0, options, () => 1).retry, true);
    assert.equal(decideRetry(status(404), 1, 0, options).retry, false);
    assert.equal(
      decideRetry(new TcpkitError("ERR_HTTP_PROTOCOL", "x"), 1, 0, options).retry,
      false,
    );
    assert.equal(
      decideRetry(new TcpkitError("ERR_CONNECT_REFUSED", "x"), 3, 0, options).retry,
      false,
    );
  });

  it("backs off exponentially with jitter, and Retry-After wins", () => {
    const options = { count: 5, delayMs: 100 };
    const at = (retry: number, random: number) => {
      const d = decideRetry(new TcpkitError("ERR_TIMEOUT", "x"), retry, 0, options, () => random);
      return d.retry ? d.delayMs : -1;
    };
    assert.deepEqual([at(1, 1), at(2, 1), at(3, 1), at(3, 0)], [100, 200, 400, 200]);
    const d = decideRetry(status(429, "7"), 1, 0, options);
    assert.deepEqual(d, { retry: true, delayMs: 7000, reason: "Retry-After" });
    assert.equal(parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 4000), 6000);
  });

  it("stops at --retry-max-time, and does not wait for a server asking for hours", () => {
    const timeout = new TcpkitError("ERR_TIMEOUT", "x");
    assert.equal(
      decideRetry(timeout, 1, 9_950, { count: 3, delayMs: 100, maxTimeMs: 10_000 }, () => 1).retry,
      false,
    );
    const d = decideRetry(status(503, "86400"), 1, 0, { count: 3 });
    assert.equal(d.retry, false);
    assert.match(d.retry ? "" : (d.why ?? ""), /wait 86400 s/);
  });
});

describe("segment plans", () => {
  it("tiles the resource in at most N segments of at least 1 MiB", () => {
    const MiB = 1 << 20;
    const plan = planSegments(4 * MiB + 3, 4);
    assert.equal(plan.length, 4);
    assert.equal(plan[0]?.start, 0);
    for (let i = 1; i < plan.length; i++) assert.equal(plan[i]?.start, (plan[i - 1]?.end ?? 0) + 1);
    assert.equal(plan.at(-1)?.end, 4 * MiB + 2);
    assert.equal(planSegments(3 * MiB, 16).length, 3);
    assert.equal(planSegments(100, 4).length, 1);
  });
});

describe("-w and the progress line", () => {
  it("formats curl's variables and escapes; refuses unknown ones", () => {
    const report = {
      url: "u",
      startedAt: 0,
      endedAt: 1500,
      result: undefined,
      response: undefined,
      exitCode: 1,
      error: "boom",
    };
    assert.equal(
      formatWriteOut("%{exitcode} %{time_total} %{errormsg}\\t%%\\n", report),
      "1 1.500000 boom\t%\n",
    );
    assert.equal(parseWriteOut("json"), "%{json}\n");
    assert.throws(() => parseWriteOut("%{bogus}"), /unknown variable %\{bogus\}/);
  });

  it("drops the least important parts to fit, and cuts the first if it must", () => {
    assert.equal(
      fitParts(["12%", "1 MiB of 9 MiB", "3 MiB/s", "ETA 0:03"], 30),
      "12%  1 MiB of 9 MiB  3 MiB/s",
    );
    assert.equal(fitParts(["[3/100] 12%", "x"], 5), "[3/10");
  });
});
