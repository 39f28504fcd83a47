/**
 * Which names an upload may take (issue 14): a request path mapped to a folder inside the upload
 * folder and a file name, or the 400 that refuses it. Pure: no fs. The folder's real path is
 * checked against the upload folder later (upload-file.ts), on what the file system says.
 */
import { percentDecode } from "../http/percent-decode.js";

/** Where an upload goes, as decoded segments under ROOT, or why it may not. */
export type UploadPath =
  | { readonly kind: "ok"; readonly folder: readonly string[]; readonly name: string }
  /** Not under the upload folder: not ours (the next handler answers, 405 for a PUT). */
  | { readonly kind: "elsewhere" }
  | { readonly kind: "bad"; readonly reason: string };

/**
 * A file name is refused when it is empty, "." or "..", longer than 255 bytes, holds NUL, a
 * control byte, "/" or "\" (a separator here or on Windows), or starts with "." (a dotfile,
 * hidden and never served, unless `dotfiles`).
 */
export function nameProblem(name: string, dotfiles: boolean): string | undefined {
  if (name === "" || name === "." || name === "..") return "empty or dot name";
  if (Buffer.byteLength(name, "utf8") > 255) return "name longer than 255 bytes";
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f/\\]/.test(name)) return "control byte, slash or backslash in the name";
  if (name.startsWith(".") && !dotfiles) return "names starting with . are refused";
  // Even with --dotfiles: the names of upload state (upload-file.ts TEMP_PREFIX).
  if (name.startsWith(".tcpkit-upload-")) return "a reserved name";
  return undefined;
}

/**
 * Decodes a request path once and splits it on "/" only (an encoded %2F inside a segment is
 * refused, as is any "." or ".." segment: an upload names its place exactly). `uploadDir` is the
 * upload folder's segments under ROOT. `folderOnly`: the path names a folder (the form's POST).
 */
export function resolveUploadPath(
  encodedPath: string,
  uploadDir: readonly string[],
  dotfiles: boolean,
  folderOnly: boolean,
): UploadPath {
  if (!encodedPath.startsWith("/")) return { kind: "bad", reason: "path must start with /" };
  const raw = encodedPath.slice(1).split("/");
  const trailing = raw[raw.length - 1] === "";
  if (trailing) raw.pop();
  const segments: string[] = [];
  for (const part of raw) {
    const decoded = percentDecode(part);
    if (decoded === undefined) return { kind: "bad", reason: "malformed percent-encoding" };
    const problem = nameProblem(decoded, dotfiles);
    if (problem !== undefined) return { kind: "bad", reason: problem };
    segments.push(decoded);
  }
  if (segments.length < uploadDir.length || uploadDir.some((s, i) => segments[i] !== s)) {
    return { kind: "elsewhere" };
  }
  if (folderOnly) {
    if (!trailing && segments.length > 0) return { kind: "bad", reason: "not a folder path" };
    return { kind: "ok", folder: segments, name: "" };
  }
  if (trailing) return { kind: "bad", reason: "a PUT names a file, not a folder" };
  const name = segments.pop();
  if (name === undefined || segments.length < uploadDir.length) {
    return { kind: "bad", reason: "a PUT names a file inside the upload folder" };
  }
  return { kind: "ok", folder: segments, name };
}
