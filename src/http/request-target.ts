/**
 * The request-target's four forms (RFC 9112 §3.2): origin-form "/p?q", absolute-form
 * "http://h/p?q", authority-form "h:443" (CONNECT only) and asterisk-form "*" (OPTIONS only).
 * Splits a target into path and query and checks the form fits the method. Does NOT
 * percent-decode or resolve dot segments: that is path resolution's job (static/).
 */

/** The four request-target forms of RFC 9112 §3.2. */
export type TargetForm = "origin" | "absolute" | "authority" | "asterisk";

/** A split request-target, or why it is rejected (a 400). */
export type RequestTargetResult =
  | {
      readonly kind: "ok";
      readonly form: TargetForm;
      readonly path: string;
      readonly query: string;
    }
  | { readonly kind: "error"; readonly reason: string };

/**
 * Splits `target` (bytes already checked against TARGET_CHAR) for `method`. Absolute-form is
 * reduced to its path (RFC 9112 §3.2.2: a server MUST accept it); an absolute-form target
 * without a path means "/" (RFC 9112 §3.2.1). Anything else is an error (400).
 */
export function splitRequestTarget(target: string, method: string): RequestTargetResult {
  if (method === "CONNECT") {
    // RFC 9112 §3.2.3: host ":" port, nothing else, and only for CONNECT.
    if (/^[^/?@]+:\d+$/.test(target)) {
      return { kind: "ok", form: "authority", path: "", query: "" };
    }
    return { kind: "error", reason: "CONNECT needs authority-form" };
  }
  const first = target.charCodeAt(0);
  if (first === 0x2f /* / */) return splitPathQuery(target, 0, "origin");
  if (target === "*") {
    // RFC 9112 §3.2.4: asterisk-form is only used for a server-wide OPTIONS.
    if (method !== "OPTIONS") return { kind: "error", reason: "asterisk-form target" };
    return { kind: "ok", form: "asterisk", path: "*", query: "" };
  }
  const schemeEnd = target.indexOf("://");
  if (schemeEnd > 0) {
    const scheme = target.slice(0, schemeEnd).toLowerCase();
    if (scheme !== "http" && scheme !== "https") {
      return { kind: "error", reason: "absolute-form with a scheme other than http(s)" };
    }
    const authorityStart = schemeEnd + 3;
    let pathStart = authorityStart;
    while (pathStart < target.length) {
      const c = target.charCodeAt(pathStart);
      if (c === 0x2f || c === 0x3f) break;
      pathStart++;
    }
    if (pathStart === authorityStart) return { kind: "error", reason: "empty authority" };
    if (target.slice(authorityStart, pathStart).includes("@")) {
      // RFC 9110 §4.2.4: userinfo is deprecated in http(s) URIs; a sender MUST NOT send it.
      return { kind: "error", reason: "userinfo in absolute-form" };
    }
    if (pathStart === target.length) return { kind: "ok", form: "absolute", path: "/", query: "" };
    if (target.charCodeAt(pathStart) === 0x3f) {
      return { kind: "ok", form: "absolute", path: "/", query: target.slice(pathStart + 1) };
    }
    return splitPathQuery(target, pathStart, "absolute");
  }
  return { kind: "error", reason: "request-target is not origin-form or absolute-form" };
}

function splitPathQuery(target: string, from: number, form: TargetForm): RequestTargetResult {
  const q = target.indexOf("?", from);
  if (q === -1) {
    return { kind: "ok", form, path: from === 0 ? target : target.slice(from), query: "" };
  }
  return { kind: "ok", form, path: target.slice(from, q), query: target.slice(q + 1) };
}
