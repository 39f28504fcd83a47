/**
 * End-to-end integrity of a download: the digests a server states (RFC 9530 `Repr-Digest` for the
 * whole representation, `Content-Digest` for the content of one response) and the one a user
 * gives (`--checksum sha256=HEX`), checked against the saved bytes. A download whose bytes do not
 * match is never given its final name.
 */
import type { Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { TcpkitError } from "../util/tcpkit-error.js";

/** A digest the saved file must have. */
export interface ExpectedDigest {
  /** node:crypto's name: sha256, sha512, sha1, md5, sha384. */
  readonly algorithm: string;
  readonly value: Buffer;
  /** Where it came from, for messages: "Repr-Digest", "Content-Digest", "--checksum". */
  readonly source: string;
}

/**
 * RFC 9530 §5 algorithm keys tcpkit checks, strongest first: the two the registry marks
 * "Active". The deprecated and non-cryptographic ones (md5, sha, crc32c, unixsum...) are skipped.
 */
const DIGEST_ALGORITHMS: readonly (readonly [key: string, hash: string, bytes: number])[] = [
  ["sha-256", "sha256", 32],
  ["sha-512", "sha512", 64],
];

/** What reading a digest field found. */
export type DigestField =
  | { readonly kind: "none" }
  | { readonly kind: "digest"; readonly digest: ExpectedDigest }
  | { readonly kind: "unusable"; readonly reason: string };

// sf-dictionary member (RFC 8941 §3.2) whose value is a byte sequence or anything without
// commas: key, "=", value, parameters. Byte sequences are ":" base64 ":".
const MEMBER = /^([a-z*][a-z0-9_\-.*]*)(?:=(:[A-Za-z0-9+/]*={0,2}:|[^;,:]+))?((?:;[^,;]+)*)$/;

/**
 * Reads a `Repr-Digest` or `Content-Digest` field value (an RFC 8941 dictionary of byte
 * sequences): the digest of the first supported algorithm, `none` when the field is absent,
 * `unusable` (with why) when it is malformed, names only algorithms tcpkit does not check, or
 * has a value of the wrong length.
 */
export function readDigestField(source: string, value: string | undefined): DigestField {
  if (value === undefined) return { kind: "none" };
  const members = new Map<string, string>();
  for (const part of value.split(",")) {
    const m = MEMBER.exec(part.replace(/^[ \t]+|[ \t]+$/g, ""));
    if (m === null) return { kind: "unusable", reason: `malformed ${source}` };
    members.set(m[1] as string, m[2] ?? "");
  }
  for (const [key, hash, bytes] of DIGEST_ALGORITHMS) {
    const text = members.get(key);
    if (text === undefined) continue;
    if (!text.startsWith(":")) {
      return { kind: "unusable", reason: `${source} ${key} is not a byte sequence` };
    }
    const digest = Buffer.from(text.slice(1, -1), "base64");
    if (digest.length !== bytes) {
      return {
        kind: "unusable",
        reason: `${source} ${key} is ${digest.length} bytes, not ${bytes}`,
      };
    }
    return { kind: "digest", digest: { algorithm: hash, value: digest, source } };
  }
  return {
    kind: "unusable",
    reason: `${source} names no algorithm tcpkit checks (${[...members.keys()].join(", ")})`,
  };
}

const CHECKSUM_ALGORITHMS: Readonly<Record<string, readonly [hash: string, bytes: number]>> = {
  md5: ["md5", 16],
  sha1: ["sha1", 20],
  "sha-1": ["sha1", 20],
  sha256: ["sha256", 32],
  "sha-256": ["sha256", 32],
  sha384: ["sha384", 48],
  "sha-384": ["sha384", 48],
  sha512: ["sha512", 64],
  "sha-512": ["sha512", 64],
};

/**
 * Parses `--checksum ALGORITHM=HEX` (sha256=..., sha-256=..., sha512, sha384, sha1, md5, as
 * aria2 takes them). Throws ERR_INVALID_ARGUMENT with a one-line reason.
 */
export function parseChecksum(text: string): ExpectedDigest {
  const eq = text.indexOf("=");
  const name = text.slice(0, eq).toLowerCase();
  const hex = text.slice(eq + 1);
  const known = CHECKSUM_ALGORITHMS[name];
  if (eq < 0 || known === undefined) {
    throw new TcpkitError(
      "ERR_INVALID_ARGUMENT",
      `expected ALGORITHM=HEX with ALGORITHM one of sha256, sha512, sha384, sha1, md5, not '${text}'`,
    );
  }
  const [algorithm, bytes] = known;
  if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(hex)) {
    throw new TcpkitError(
      "ERR_INVALID_ARGUMENT",
      `a ${name} checksum is ${bytes * 2} hexadecimal digits, not '${hex}'`,
    );
  }
  return { algorithm, value: Buffer.from(hex, "hex"), source: "--checksum" };
}

/**
 * A hash object for `algorithm`. node:crypto is loaded on first use: most downloads have no
 * digest to check, and loading it costs a command's start-up several milliseconds.
 */
export async function newHash(algorithm: string): Promise<Hash> {
  return (await import("node:crypto")).createHash(algorithm);
}

/** The digest of the file at `path` (read in 1 MiB pieces). */
export async function hashFile(path: string, algorithm: string): Promise<Buffer> {
  const hash = await newHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest();
}

/**
 * Throws ERR_DIGEST_MISMATCH when `actual` is not the expected digest: "FILE: sha256 does not
 * match the server's Repr-Digest (expected ..., got ...)".
 */
export function assertDigest(expected: ExpectedDigest, actual: Buffer, file: string): void {
  if (actual.equals(expected.value)) return;
  const show = (b: Buffer) =>
    expected.source === "--checksum" ? b.toString("hex") : `:${b.toString("base64")}:`;
  const whose = expected.source === "--checksum" ? "--checksum" : `the server's ${expected.source}`;
  throw new TcpkitError(
    "ERR_DIGEST_MISMATCH",
    `${file}: ${expected.algorithm} does not match ${whose} (expected ${show(expected.value)}, got ${show(actual)})`,
  );
}
