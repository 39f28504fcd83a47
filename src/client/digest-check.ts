/**
 * End-to-end integrity of a download: the digests a server states (RFC 9530 `Repr-Digest` for the
 * whole representation, `Content-Digest` for the content of one response) and the one a user
 * gives (`--checksum sha256=HEX`), checked against the saved bytes. A download whose bytes do not
 * match is never given its final name.
 */
import type { Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { ExpectedDigest } from "../http/digest-fields.js";
import { TcpkitError } from "../util/tcpkit-error.js";

export { readDigestField, type DigestField, type ExpectedDigest } from "../http/digest-fields.js";

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
