/**
 * RFC 9530 digest fields (`Repr-Digest`, `Content-Digest`) as a receiver reads them: the
 * download client checks a server's, the upload wing a client's. Only the algorithms the IANA
 * registry marks "Active" (sha-256, sha-512) are checked.
 */
/** A digest some bytes must have. */
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
  | {
      readonly kind: "unusable";
      readonly reason: string;
      /** Well-formed, but only algorithms tcpkit does not check (RFC 9530 lets them be ignored). */
      readonly unsupported?: true;
    };

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
    unsupported: true,
  };
}
