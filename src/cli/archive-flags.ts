/**
 * The folder-archive flag of `tcpkit serve` (--archive), and the wing it enables: each listing
 * offers its folder as .tar, .tar.gz and .zip, streamed (src/archive/), its modules loaded only
 * with the flag.
 */
import { errorLine } from "./error-line.js";
import { flag, section, type FlagValues } from "./flags.js";
import type { STATIC_FLAGS } from "./static-flags.js";
import { UsageError } from "./usage-error.js";
import type { ArchiveWing } from "../archive/serve-archives.js";
import { buildSiteHeaders } from "../static/site-headers.js";

/** The archive flags, spread into the serve command's flag table. */
export const ARCHIVE_FLAGS = section("Folder archives", {
  archive: flag.bool({
    help: "offer each listed folder as .tar, .tar.gz and .zip (?archive=tar|tgz|zip)",
  }),
});

/** The archive wing for ROOT, or undefined when --archive is off. */
export async function archiveWingFrom(
  root: string,
  values: FlagValues<typeof ARCHIVE_FLAGS & typeof STATIC_FLAGS>,
): Promise<ArchiveWing | undefined> {
  if (!values.archive) return undefined;
  // An archive lists a folder's names; with listings off they are not the client's to see.
  if (values["no-listing"]) throw new UsageError("--archive cannot be used with --no-listing");
  const { serveArchives } = await import("../archive/serve-archives.js");
  return serveArchives(root, {
    dotfiles: values.dotfiles,
    followSymlinks: values["follow-symlinks"],
    onError: (message) => process.stderr.write(errorLine(message)),
    // --cors and --header reach archives as they reach files (Cache-Control is the archive's).
    siteHeaders: buildSiteHeaders({ cacheControl: "", cors: values.cors, headers: values.header })
      .allHeaders,
  });
}
