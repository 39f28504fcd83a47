/**
 * Content-Disposition for a download (RFC 6266 §4): `attachment` with a quoted ASCII `filename`
 * every client understands and, when the name is not plain ASCII, `filename*` in UTF-8
 * (RFC 8187), which clients that know it prefer. Pure.
 */

/** The field value for a file saved as `name` (a single path component). */
export function attachmentDisposition(name: string): string {
  const safe = name.replace(/[/\\]/g, "_");
  // quoted-string without its escapes: controls, non-ASCII, '"' and '\' replaced.

  const ascii = safe.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const value = `attachment; filename="${ascii}"`;
  return ascii === safe ? value : `${value}; filename*=UTF-8''${encodeExtValue(safe)}`;
}

/** RFC 8187 §3.2.1 ext-value: every byte outside attr-char percent-encoded. */
function encodeExtValue(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += ATTR_CHAR.test(c) ? c : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

const ATTR_CHAR = /^[A-Za-z0-9!#$&+\-.^_`|~]$/;
