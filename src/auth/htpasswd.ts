/**
 * Apache htpasswd files (`user:hash` per line) and `--auth USER:PASSWORD` pairs, to a table of
 * password verifiers. Accepted hashes: bcrypt (`$2y$`, `$2b$`, `$2a$`, as `htpasswd -B` writes)
 * and `{SHA}` (base64 SHA-1, `htpasswd -s`); plain passwords only from the command line. Apache's
 * MD5 (`$apr1$`) and crypt(3) lines are refused with the line's number rather than guessed at.
 */
import { createHash } from "node:crypto";
import { TcpkitError } from "../util/tcpkit-error.js";

/** How one user's password is checked (see credential-store.ts). */
export type PasswordVerifier =
  | { readonly kind: "bcrypt"; readonly hash: string }
  /** SHA-1 of the password (htpasswd's {SHA}). */
  | { readonly kind: "sha1"; readonly digest: Buffer }
  /** SHA-256 of a password given in plain text, so the comparison has a fixed length. */
  | { readonly kind: "plain"; readonly digest: Buffer };

const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

function invalid(message: string): TcpkitError {
  return new TcpkitError("ERR_INVALID_ARGUMENT", message);
}

/** SHA-256 of a plain password: the form a `plain` verifier keeps. */
export function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** The verifier of one htpasswd hash; throws ERR_INVALID_ARGUMENT saying what is wrong with it. */
export function parseHash(hash: string): PasswordVerifier {
  if (hash.startsWith("$2")) {
    if (!BCRYPT.test(hash)) throw invalid("malformed bcrypt hash");
    return { kind: "bcrypt", hash };
  }
  if (hash.startsWith("{SHA}")) {
    const b64 = hash.slice(5);
    const digest = Buffer.from(b64, "base64");
    if (digest.length !== 20 || digest.toString("base64") !== b64) {
      throw invalid("malformed {SHA} hash");
    }
    return { kind: "sha1", digest };
  }
  if (hash.startsWith("$apr1$")) {
    throw invalid("Apache MD5 ($apr1$) is not supported; use bcrypt (htpasswd -B)");
  }
  throw invalid("not a bcrypt ($2y$) or {SHA} hash (plain passwords only with --auth)");
}

/**
 * Users and verifiers from an htpasswd file's text. Blank lines and lines starting with `#` are
 * skipped; anything else wrong throws ERR_INVALID_ARGUMENT naming the line: `line 3: ...`.
 */
export function parseHtpasswd(text: string): Map<string, PasswordVerifier> {
  const users = new Map<string, PasswordVerifier>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    const at = `line ${i + 1}`;
    if (colon <= 0) throw invalid(`${at}: expected 'user:hash'`);
    const user = line.slice(0, colon);
    if (users.has(user)) throw invalid(`${at}: user '${user}' appears twice`);
    try {
      users.set(user, parseHash(line.slice(colon + 1).trim()));
    } catch (err) {
      throw invalid(`${at}: ${(err as Error).message}`);
    }
  }
  return users;
}

/** `USER:PASSWORD` from the command line to a user and a plain verifier. */
export function parseUserPassword(text: string): [string, PasswordVerifier] {
  const colon = text.indexOf(":");
  // The text is not echoed: it may be a password typed without its user.
  if (colon <= 0) throw invalid("expected 'USER:PASSWORD'");
  return [text.slice(0, colon), { kind: "plain", digest: sha256(text.slice(colon + 1)) }];
}
