/**
 * From a request path (still percent-encoded) to the list of path segments under the served root,
 * or a reason to refuse. Pure: no fs. Containment on the real path (symlinks) is checked later by
 * the file table, on what the file system says.
 */
import { percentDecode } from "../http/percent-decode.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** A request path mapped onto the root, or why it cannot be. */
export type ResolvedPath =
  | {
      readonly kind: "ok";
      /** Decoded segments, dot segments resolved, none empty, none "." or "..". */
      readonly segments: readonly string[];
      /** The path ended with "/" (a directory was asked for). */
      readonly trailingSlash: boolean;
      /** Some segment starts with "." (a dotfile or dot-directory such as .git). */
      readonly hasDotSegment: boolean;
    }
  /** Malformed escape, invalid UTF-8, NUL, backslash, control byte, or a climb above the root. */
  | { readonly kind: "bad"; readonly reason: string };

/**
 * Resolves `encodedPath` (origin-form path, e.g. "/a%20b/../c") against the root:
 * percent-decoded once (so "%252e" stays the literal name "%2e"), split on "/" (so an encoded
 * "%2f" separates too, and "..%2f" is a ".." segment), empty and "." segments dropped, ".." removing
 * the previous segment (RFC 3986 §5.2.4). A ".." with nothing left to remove would leave the root:
 * refused, not clamped (DESIGN §4). NUL, other control characters and backslashes (a separator on
 * Windows, and never needed in a URL) are refused too.
 */
export function resolveRequestPath(encodedPath: string): ResolvedPath {
  if (!encodedPath.startsWith("/")) return { kind: "bad", reason: "path must start with /" };
  const decoded = percentDecode(encodedPath);
  if (decoded === undefined) return { kind: "bad", reason: "malformed percent-encoding" };
  if (FORBIDDEN.test(decoded)) return { kind: "bad", reason: "forbidden character in path" };
  const segments: string[] = [];
  let hasDotSegment = false;
  for (const part of decoded.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (segments.length === 0) return { kind: "bad", reason: "path leaves the root" };
      segments.pop();
      continue;
    }
    segments.push(part);
  }
  for (const s of segments) if (s.startsWith(".")) hasDotSegment = true;
  const last = decoded.split("/").pop() ?? "";
  const trailingSlash = decoded.endsWith("/") || last === "." || last === "..";
  return { kind: "ok", segments, trailingSlash, hasDotSegment };
}

/**
 * Whether a request path can name `name` as one segment: false for names with a character
 * resolveRequestPath refuses, and for "." and "..". Listings leave such names out.
 */
export function isServableName(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !FORBIDDEN.test(name);
}

/** NUL and the other C0 controls, DEL, and the backslash. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\x00-\x1f\x7f\\]/;

/**
 * Encodes decoded segments back into a URL path for a Location header or a listing link: every
 * byte outside RFC 3986 unreserved and a few safe sub-delims is escaped, so the result can never be
 * read as a scheme-relative URL ("//host") or carry a header-breaking character.
 */
export function encodePathSegments(segments: readonly string[]): string {
  let out = "";
  for (const s of segments) out += "/" + encodeSegment(s);
  return out;
}

/** One path segment, escaped as encodePathSegments does. */
export function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

/**
 * The URL path segments of the SPA app file (`--spa`: true means index.html). Throws
 * ERR_INVALID_ARGUMENT for a name that would not resolve inside the root.
 */
export function resolveSpaFile(spa: true | string): string[] {
  const file = spa === true ? "index.html" : spa;
  const r = resolveRequestPath("/" + file.replace(/^\/+/, ""));
  if (r.kind !== "ok" || r.segments.length === 0) {
    throw new TcpkitError("ERR_INVALID_ARGUMENT", `invalid SPA file '${file}'`);
  }
  return [...r.segments];
}
