/**
 * What serveStatic serves, in one place: the file table (a request), the listing reader (what a
 * listing shows) and the archive walk (what a folder archive holds) all ask these, so a listing
 * never offers, and an archive never holds, what a request for it would refuse (DESIGN §4).
 * Upload temporaries (".tcpkit-upload-*") are dotfiles, so they fall under the dotfile rule.
 */
import { isAbsolute, relative, sep } from "node:path";
import { isServableName } from "./resolve-path.js";

/** The site's settings that decide what is served. */
export interface ServePolicy {
  /** The root's real path (symlinks resolved). */
  readonly realRoot: string;
  readonly dotfiles: boolean;
  readonly followSymlinks: boolean;
}

/**
 * Whether what lies at `real` (a real path, symlinks resolved) is served: inside the root
 * (checked with path.relative, never a string prefix) and with no dot-named component unless
 * dotfiles are served; outside the root only with followSymlinks.
 */
export function servesRealPath(real: string, policy: ServePolicy): boolean {
  const rel = relative(policy.realRoot, real);
  const outside = rel === ".." || rel.startsWith(".." + sep) || isAbsolute(rel);
  if (outside) return policy.followSymlinks;
  return policy.dotfiles || !rel.split(sep).some((p) => p.startsWith("."));
}

/**
 * Whether a folder entry called `name` may be served by its name: one a request path can carry
 * (isServableName) and, unless dotfiles are served, not starting with ".".
 */
export function servesName(name: string, policy: ServePolicy): boolean {
  return (policy.dotfiles || !name.startsWith(".")) && isServableName(name);
}
