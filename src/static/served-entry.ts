/**
 * What serveStatic serves, in one place: the file table (a request), the listing reader (what a
 * listing shows) and the archive walk (what a folder archive holds) all ask these, so a listing
 * never offers, and an archive never holds, what a request for it would refuse (DESIGN §4).
 * Upload state (".tcpkit-upload-*": bytes in progress, records, locks) is never served, even
 * with dotfiles: an upload's ID is the only key to append to it or cancel it.
 */
import { isAbsolute, relative, sep } from "node:path";
import { isServableName } from "./resolve-path.js";

/**
 * Names the server keeps for its own state (the upload wing's temporary files, resumable
 * uploads' bytes, records and locks): never served, listed or archived, whatever the settings.
 */
export const STATE_PREFIX = ".tcpkit-upload-";

/** The site's settings that decide what is served. */
export interface ServePolicy {
  /** The root's real path (symlinks resolved). */
  readonly realRoot: string;
  readonly dotfiles: boolean;
  readonly followSymlinks: boolean;
}

/**
 * Whether what lies at `real` (a real path, symlinks resolved) is served: inside the root
 * (checked with path.relative, never a string prefix), with no component that is the server's
 * state, and none dot-named unless dotfiles are served; outside the root only with followSymlinks.
 */
export function servesRealPath(real: string, policy: ServePolicy): boolean {
  const rel = relative(policy.realRoot, real);
  const outside = rel === ".." || rel.startsWith(".." + sep) || isAbsolute(rel);
  if (outside) return policy.followSymlinks;
  const parts = rel.split(sep);
  if (parts.some((p) => p.startsWith(STATE_PREFIX))) return false;
  return policy.dotfiles || !parts.some((p) => p.startsWith("."));
}

/**
 * Whether a folder entry called `name` may be served by its name: one a request path can carry
 * (isServableName), not the server's own state, and, unless dotfiles are served, not starting
 * with ".".
 */
export function servesName(name: string, policy: ServePolicy): boolean {
  if (name.startsWith(STATE_PREFIX)) return false;
  return (policy.dotfiles || !name.startsWith(".")) && isServableName(name);
}
