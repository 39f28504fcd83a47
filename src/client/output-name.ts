/**
 * The file name a download is saved under when the user names none: the last path segment of
 * the URL, made safe so that no URL can make the client write outside the current directory.
 * Pure: no fs. Content-Disposition is deliberately not consulted (a server does not pick names).
 */

/** Longest name produced, in UTF-8 bytes; most file systems allow 255. */
export const MAX_OUTPUT_NAME_BYTES = 200;

/**
 * Returns a safe file name for a request-target: the last path segment, percent-decoded once,
 * with "/", "\\", NUL and control characters replaced by "_", a leading "." replaced by "_" (no
 * hidden files), cut to MAX_OUTPUT_NAME_BYTES. `index.html` when the path ends in "/" or the
 * segment is "." or "..". The result never contains a path separator.
 */
export function outputNameFromTarget(target: string): string {
  const path = target.replace(/[?#].*$/s, "");
  const segment = path.slice(path.lastIndexOf("/") + 1);
  const decoded = decodeOnce(segment);
  if (decoded === "" || decoded === "." || decoded === "..") return "index.html";
  const name = decoded
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x1f\x7f-\x9f/\\]/g, "_")
    // One leading "_" instead of "." is enough: the name is neither hidden nor a dot segment.
    .replace(/^\./, "_");
  return truncateUtf8(name, MAX_OUTPUT_NAME_BYTES);
}

/** Candidate names when `name` is taken: name.1, name.2, ... (wget's convention). */
export function numberedName(name: string, n: number): string {
  return n === 0 ? name : `${name}.${n}`;
}

function decodeOnce(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape is kept as typed rather than guessed at.
    return segment;
  }
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  let out = "";
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, "utf8");
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}
