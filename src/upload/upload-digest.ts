/**
 * Integrity of an upload (RFC 9530): a client's `Content-Digest` (of this request's content) and
 * `Repr-Digest` (of the whole file) are checked before anything is placed (draft-ietf-httpbis-
 * resumable-upload-15 §10, Integrity Digests). sha-256 and sha-512 are checked; a field naming
 * only other algorithms is ignored (RFC 9530 lets a recipient); a malformed one is refused.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readDigestField, type ExpectedDigest } from "../http/digest-fields.js";
import { getField } from "../http/header-lookup.js";
import type { RequestHead } from "../http/types.js";
import { UploadError } from "./upload-file.js";

/** Bytes that do not match the digest their client stated: 400, nothing placed. */
export class DigestMismatch extends UploadError {
  constructor(field: string) {
    super(400, `the bytes do not match their ${field}`);
  }
}

/** The digests a request states. */
export interface RequestDigests {
  readonly content: ExpectedDigest | undefined;
  readonly repr: ExpectedDigest | undefined;
}

/** The request's digest fields, or undefined when one is malformed (a 400). */
export function requestDigests(head: RequestHead): RequestDigests | undefined {
  const content = readDigestField("Content-Digest", getField(head, "content-digest"));
  const repr = readDigestField("Repr-Digest", getField(head, "repr-digest"));
  if (content.kind === "unusable" && content.unsupported !== true) return undefined;
  if (repr.kind === "unusable" && repr.unsupported !== true) return undefined;
  return {
    content: content.kind === "digest" ? content.digest : undefined,
    repr: repr.kind === "digest" ? repr.digest : undefined,
  };
}

/** Hashes bytes as they pass, for the digests given; matches() once they all passed. */
export class DigestTap {
  readonly #checks: { readonly hash: Hash; readonly expected: ExpectedDigest }[];

  constructor(expected: readonly (ExpectedDigest | undefined)[]) {
    this.#checks = expected
      .filter((d): d is ExpectedDigest => d !== undefined)
      .map((d) => ({ hash: createHash(d.algorithm), expected: d }));
  }

  /** Whether there is a digest to check: until it is, the bytes are not yet accepted. */
  get checking(): boolean {
    return this.#checks.length > 0;
  }

  update(chunk: Buffer): void {
    for (const check of this.#checks) check.hash.update(chunk);
  }

  matches(): boolean {
    return this.#checks.every((c) => c.hash.digest().equals(c.expected.value));
  }
}

/** A digest as a resumable upload's record keeps it (JSON). */
export interface StoredDigest {
  readonly algorithm: string;
  readonly base64: string;
}

export function storeDigest(digest: ExpectedDigest | undefined): StoredDigest | undefined {
  return digest && { algorithm: digest.algorithm, base64: digest.value.toString("base64") };
}

export function loadDigest(stored: StoredDigest): ExpectedDigest {
  return {
    algorithm: stored.algorithm,
    value: Buffer.from(stored.base64, "base64"),
    source: "Repr-Digest",
  };
}

/** Whether the file at `path` has `digest` (a resumable upload's Repr-Digest, at completion). */
export async function fileMatches(path: string, digest: ExpectedDigest): Promise<boolean> {
  const hash = createHash(digest.algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest().equals(digest.value);
}
