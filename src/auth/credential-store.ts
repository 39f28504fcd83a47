/**
 * Checking a user's password against the verifiers of htpasswd.ts, in constant time: digests are
 * compared with timingSafeEqual over fixed lengths, bcrypt by bcryptjs (asynchronous, so a check
 * does not stall other connections), and every login costs the same whoever it names, so timing
 * tells nothing of which part was wrong, nor which users exist.
 *
 * That needs more than one stand-in for unknown users: the cost of a check is its kind's, and
 * for bcrypt its cost factor's (htpasswd -B writes cost 5, ~4 ms; a stand-in of cost 10 took
 * ~70 ms, so a fast failure meant "this user exists"; and plain users beside bcrypt ones failed
 * in microseconds). So the verifiers are grouped in classes (kind and bcrypt cost), and every
 * login runs one check per class: the named user's own in its class, a stand-in (another user's
 * verifier, whose outcome is ignored) in each other one. An unknown user gets stand-ins only.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import bcrypt from "bcryptjs";
import { sha256, type PasswordVerifier } from "./htpasswd.js";

/** Users and their verifiers, checked without leaking which part of a login was wrong. */
export class CredentialStore {
  private users: ReadonlyMap<string, PasswordVerifier> = new Map();
  /** One verifier of each class (see the file comment), the stand-in for that class. */
  private standIns: ReadonlyMap<string, PasswordVerifier> = new Map();
  /** Counts replace() calls: a login verified under an older set of users is not to be trusted. */
  private generation = 0;

  constructor(users: ReadonlyMap<string, PasswordVerifier>) {
    this.setUsers(users);
  }

  get size(): number {
    return this.users.size;
  }

  /** Changes with every replace(): whoever remembers verified logins forgets them then. */
  get version(): number {
    return this.generation;
  }

  /** Takes another set of users (an htpasswd file read again); checks in flight keep the old. */
  replace(users: ReadonlyMap<string, PasswordVerifier>): void {
    this.setUsers(users);
    this.generation++;
  }

  /** True when `user` exists and `password` is theirs. */
  async verify(user: string, password: string): Promise<boolean> {
    // One set of users for the whole check, even if replace() runs during a bcrypt await.
    const { users, standIns } = this;
    const known = users.get(user);
    const own = known === undefined ? undefined : classOf(known);
    let ok = false;
    for (const [key, standIn] of standIns) {
      if (key === own) ok = await check(known as PasswordVerifier, password);
      else await check(standIn, password);
    }
    return ok;
  }

  private setUsers(users: ReadonlyMap<string, PasswordVerifier>): void {
    const standIns = new Map<string, PasswordVerifier>();
    for (const verifier of users.values()) {
      const key = classOf(verifier);
      if (!standIns.has(key)) standIns.set(key, verifier);
    }
    this.users = users;
    this.standIns = standIns;
  }
}

/** Verifiers of one class cost the same to check: the kind, and for bcrypt the cost factor. */
function classOf(verifier: PasswordVerifier): string {
  return verifier.kind === "bcrypt" ? `bcrypt:${verifier.hash.slice(4, 6)}` : verifier.kind;
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
