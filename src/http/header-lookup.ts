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
