/**
 * Checking a user's password against the verifiers of htpasswd.ts, in constant time: digests are
 * compared with timingSafeEqual over fixed lengths, bcrypt by bcryptjs (asynchronous, so a check
 * of ~80 ms does not stall other connections), and an unknown user costs the same as a known
 * one (a dummy verifier of the same kind is checked), so timing tells nothing of which part
 * was wrong.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import bcrypt from "bcryptjs";
import { sha256, type PasswordVerifier } from "./htpasswd.js";

// A bcrypt hash of a random string at cost 10 (htpasswd -B's default): unknown users are
// checked against it. Computed once, when the first store with bcrypt users is made.
let dummyBcrypt: string | undefined;

/** Users and their verifiers, checked without leaking which part of a login was wrong. */
export class CredentialStore {
  private readonly users: ReadonlyMap<string, PasswordVerifier>;
  private readonly dummy: PasswordVerifier;

  constructor(users: ReadonlyMap<string, PasswordVerifier>) {
    this.users = users;
    const kinds = new Set([...users.values()].map((v) => v.kind));
    if (kinds.has("bcrypt")) {
      dummyBcrypt ??= bcrypt.hashSync(sha256(String(Math.random())).toString("hex"), 10);
      this.dummy = { kind: "bcrypt", hash: dummyBcrypt };
    } else {
      this.dummy = { kind: "plain", digest: Buffer.alloc(32) };
    }
  }

  get size(): number {
    return this.users.size;
  }

  /** True when `user` exists and `password` is theirs. */
  async verify(user: string, password: string): Promise<boolean> {
    const known = this.users.get(user);
    const ok = await check(known ?? this.dummy, password);
    return ok && known !== undefined;
  }
}

async function check(verifier: PasswordVerifier, password: string): Promise<boolean> {
  switch (verifier.kind) {
    case "bcrypt":
      return bcrypt.compare(password, verifier.hash);
    case "sha1":
      return timingSafeEqual(createHash("sha1").update(password, "utf8").digest(), verifier.digest);
    case "plain":
      return timingSafeEqual(sha256(password), verifier.digest);
  }
}
