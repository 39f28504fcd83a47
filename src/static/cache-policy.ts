/**
 * `--cache-control auto`: a Cache-Control per file from its name, as front-end builds expect.
 * Documents that link to everything else (HTML, JSON such as manifests and API fixtures) are
 * revalidated on every use (`no-cache`), so a deploy shows at once; files whose names carry a
 * content hash (`app.3f9a2c1b.js`, Vite's `index-BdK3jZ9a.js`) never change under that name and
 * are cached for a year, `immutable` (RFC 8246); anything else for five minutes.
 */
import { mediaTypeFor } from "./media-type.js";

export const REVALIDATE = "no-cache";
export const IMMUTABLE = "public, max-age=31536000, immutable";
export const SHORT = "public, max-age=300";

/** Media types that are documents pointing at other files: always revalidated. */
const DOCUMENT_TYPES =
  /^(text\/html|application\/(?:[a-z.+-]*\+)?json|application\/manifest\+json)\b/;
/** A hex hash of 8-64 digits (webpack, Parcel, Rollup with hex): at least one digit and letter. */
const HEX_HASH = /^(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,64}$/;
/**
 * Vite's and Rollup's base64url hash: exactly 8 characters with an upper-case letter after the
 * first or a digit. Only for bundler outputs, where a word of 8 letters is not a plausible name
 * part (`photo-iPhone12.jpg` must not become immutable).
 */
const BASE64URL_HASH = /^(?=.{1}[A-Za-z0-9_-]*[A-Z0-9])[A-Za-z0-9_-]{8}$/;
const BUNDLER_EXTENSIONS = new Set(["js", "mjs", "css", "wasm", "woff", "woff2", "map"]);

/** The Cache-Control value for the file `fileName` under `--cache-control auto`. */
export function autoCacheControl(fileName: string): string {
  // A precompressed sibling (`app.js.br`) is cached as the file it stands for.
  const name = fileName.replace(/\.(br|gz)$/, "");
  if (DOCUMENT_TYPES.test(mediaTypeFor(name).contentType)) return REVALIDATE;
  return hasContentHash(name) ? IMMUTABLE : SHORT;
}

/** Whether the part before the extension ends in a content hash (`name.HASH.ext`, `name-HASH.ext`). */
export function hasContentHash(fileName: string): boolean {
  const dot = fileName.lastIndexOf(".");
  if (dot <= 0) return false;
  const extension = fileName.slice(dot + 1).toLowerCase();
  const stem = fileName.slice(0, dot);
  const cut = Math.max(stem.lastIndexOf("."), stem.lastIndexOf("-"));
  if (cut <= 0) return false;
  const token = stem.slice(cut + 1);
  if (HEX_HASH.test(token.toLowerCase())) return true;
  return BUNDLER_EXTENSIONS.has(extension) && stem[cut] === "-" && BASE64URL_HASH.test(token);
}
