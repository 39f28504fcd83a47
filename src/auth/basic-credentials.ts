/**
 * The Basic authentication scheme's credentials (RFC 7617 §2): `Basic <token68>`, the token the
 * base64 of `user-id ":" password`, in UTF-8 (the charset this server announces, §2.1). Pure.
 */

/** A user-id and password from an Authorization field value. */
export interface BasicCredentials {
  readonly user: string;
  readonly password: string;
}

// token68 (RFC 9110 §11.2) restricted to the base64 alphabet (RFC 4648 §4), padding only at the end.
const BASIC = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The credentials in an Authorization value, or undefined when it is not well-formed Basic
 * credentials: another scheme, bad base64 (decoded strictly: re-encoding must give it back), no
 * colon, or bytes that are not UTF-8. The user-id is what precedes the first colon (§2: a
 * user-id cannot contain one; a password can).
 */
export function parseBasicCredentials(value: string): BasicCredentials | undefined {
  const m = BASIC.exec(value);
  if (m === null) return undefined;
  const token = m[1] as string;
  const bytes = Buffer.from(token, "base64");
  if (bytes.toString("base64").replace(/=+$/, "") !== token.replace(/=+$/, "")) return undefined;
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return undefined;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The `WWW-Authenticate` challenge for `realm` (RFC 7617 §2, with the charset parameter of §2.1). */
export function basicChallenge(realm: string): string {
  const quoted = realm.replace(/[\\"]/g, (c) => `\\${c}`);
  return `WWW-Authenticate: Basic realm="${quoted}", charset="UTF-8"\r\n`;
}
