/** Reading fields out of a parsed head's flat field list (requests and, for the client, responses). */
import { trimOws } from "./header-fields.js";

/** Anything with a flat [name, value, ...] field list: a RequestHead, a ResponseHead, trailers. */
export interface HasFields {
  readonly fields: readonly string[];
}

/**
 * The value of field `name` (lower case), or undefined. Repeated fields are joined with ", " as
 * RFC 9110 §5.3 allows for list-based fields; callers of singleton fields that must not repeat
 * (Host, Content-Length) check that in the parser, not here.
 */
export function getField(head: HasFields, name: string): string | undefined {
  const fields = head.fields;
  let found: string | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === name) {
      const value = fields[i + 1] as string;
      found = found === undefined ? value : `${found}, ${value}`;
    }
  }
  return found;
}

/**
 * The authority a request names: an absolute-form target's ("GET http://h:81/p": h:81), which
 * RFC 9112 §3.2.2 says a server MUST use in place of Host, else the Host field. Undefined for
 * an HTTP/1.0 request without Host. (The parser refuses userinfo in absolute-form.)
 */
export function requestAuthority(
  head: HasFields & { readonly target: string },
): string | undefined {
  const target = head.target;
  if (target.charCodeAt(0) === 0x2f) return getField(head, "host"); // origin-form: "/..."
  const m = /^https?:\/\/([^/?#]*)/i.exec(target);
  return m !== null ? (m[1] as string) : getField(head, "host");
}

/** Splits a list-based field value (RFC 9110 §5.6.1) into OWS-trimmed, non-empty members. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(",")) {
    const member = trimOws(part);
    if (member !== "") out.push(member);
  }
  return out;
}

/** True when the list field `name` contains `token`, compared case-insensitively. */
export function hasToken(head: HasFields, name: string, token: string): boolean {
  const value = getField(head, name);
  if (value === undefined) return false;
  const want = token.toLowerCase();
  return splitList(value).some((member) => member.toLowerCase() === want);
}
