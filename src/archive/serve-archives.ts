/**
 * serveArchives(root, options): the handler that answers `GET /folder/?archive=tar|tgz|zip`
 * with the folder as a tar, gzip-compressed tar or zip stream, and the listing link that offers
 * them. Whatever it does not take (no `archive` parameter, a path that is not a served folder)
 * goes on to the next handler, so serveStatic answers it (400, 404, the redirect to the slash
 * form, which keeps the query). The archive holds what serveStatic would serve under the folder
 * (folder-walk.ts), streamed (archive-stream.ts): a body of unknown length, chunked to HTTP/1.1
 * clients and close-delimited to HTTP/1.0 ones, ended short if anything goes wrong.
 */
import { realpathSync } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { DEFAULT_METHODS } from "../http/method-policy.js";
import type { Handler, Next, RequestContext, RequestHead, ResponsePlan } from "../http/types.js";
import { escapeHtml } from "../static/directory-listing.js";
import { resolveRequestPath } from "../static/resolve-path.js";
import type { ListingExtra } from "../static/serve-static.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { ARCHIVE_FORMATS, archiveStream, type ArchiveFormat } from "./archive-stream.js";
import { attachmentDisposition } from "./content-disposition.js";
import { servesRealPath } from "../static/served-entry.js";
import { walkFolder, type WalkPolicy } from "./folder-walk.js";

/** Options of serveArchives: give it serveStatic's, so both agree on what is served. */
export interface ServeArchivesOptions {
  /** Archive names starting with "." (default false), as ServeStaticOptions.dotfiles. */
  dotfiles?: boolean;
  /** Follow symlinks out of the root (default false), as ServeStaticOptions.followSymlinks. */
  followSymlinks?: boolean;
  /**
   * Told once per archive that ended short (a file changed or vanished while archived, a folder
   * could not be read), with the request path; by default one `tcpkit: ...` line on stderr.
   */
  onError?: (message: string) => void;
  /**
   * Header lines every archive response carries besides its own (CORS, `--header`), as the
   * site's other responses do; its Cache-Control stays `no-store` (an archive is made fresh).
   */
  siteHeaders?: string;
}

/** The archive handler and the listing extra that links to it. */
export interface ArchiveWing {
  readonly handler: Handler;
  readonly listingExtra: ListingExtra;
}

const SUFFIX: Readonly<Record<ArchiveFormat, string>> = {
  tar: ".tar",
  tgz: ".tar.gz",
  zip: ".zip",
};
const MEDIA_TYPE: Readonly<Record<ArchiveFormat, string>> = {
  tar: "application/x-tar",
  tgz: "application/gzip",
  zip: "application/zip",
};

/** Creates the archive wing for `root`. Throws ERR_FILE when root is not a readable folder. */
export function serveArchives(root: string, options: ServeArchivesOptions = {}): ArchiveWing {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch (err) {
    throw new TcpkitError("ERR_FILE", `root is not a readable directory: ${root}`, { cause: err });
  }
  const policy = {
    realRoot,
    dotfiles: options.dotfiles ?? false,
    followSymlinks: options.followSymlinks ?? false,
  };
  const onError = options.onError ?? ((m: string) => void process.stderr.write(`tcpkit: ${m}\n`));
  const rootName = basename(realRoot) || "root";
  const siteHeaders = options.siteHeaders ?? "";

  const handle = async (
    head: RequestHead,
    context: RequestContext,
    next: Next,
    format: ArchiveFormat,
  ): Promise<ResponsePlan> => {
    const resolved = resolveRequestPath(head.path);
    if (resolved.kind !== "ok" || !resolved.trailingSlash) return next();
    if (resolved.hasDotSegment && !policy.dotfiles) return next();
    const folder = await servedFolder(join(realRoot, ...resolved.segments), policy);
    if (folder === undefined) return next();
    const name = (resolved.segments[resolved.segments.length - 1] ?? rootName) + "/";
    const members = walkFolder(folder, name, policy);
    const report = (err: unknown): void =>
      onError(`archive ${head.path}: ${err instanceof Error ? err.message : String(err)}`);
    return {
      status: 200,
      headers:
        `Content-Type: ${MEDIA_TYPE[format]}\r\n` +
        `Content-Disposition: ${attachmentDisposition(name.slice(0, -1) + SUFFIX[format])}\r\n` +
        `Cache-Control: no-store\r\n${siteHeaders}`,
      body: {
        kind: "stream",
        stream: archiveStream(format, members, policy, context.signal, report),
      },
    };
  };
  const handler: Handler = (head, context, next) => {
    if (head.method !== "GET" && head.method !== "HEAD") return next();
    const format = archiveParameter(head.query);
    if (format === undefined) return next();
    if (!isFormat(format)) return badFormat(format, siteHeaders);
    return handle(head, context, next, format);
  };
  const listingExtra: ListingExtra = (folderPath) => {
    const href = (f: ArchiveFormat): string =>
      `<a href="${escapeHtml(folderPath)}?archive=${f}" download>${SUFFIX[f]}</a>`;
    return `<p class="archives">Download this folder: ${ARCHIVE_FORMATS.map(href).join(" ")}</p>\n`;
  };
  return { handler: Object.assign(handler, { methods: DEFAULT_METHODS }), listingExtra };
}

/** The value of the `archive` query parameter, or undefined when there is none. */
export function archiveParameter(query: string): string | undefined {
  if (query === "") return undefined;
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const key = eq === -1 ? pair : pair.slice(0, eq);
    if (key === "archive") return eq === -1 ? "" : pair.slice(eq + 1);
  }
  return undefined;
}

/** The folder's real path when serveStatic would serve it as a folder; else undefined. */
async function servedFolder(candidate: string, policy: WalkPolicy): Promise<string | undefined> {
  try {
    const real = await realpath(candidate);
    if (!servesRealPath(real, policy)) return undefined;
    return (await stat(real)).isDirectory() ? real : undefined;
  } catch {
    return undefined;
  }
}

function isFormat(text: string): text is ArchiveFormat {
  return (ARCHIVE_FORMATS as readonly string[]).includes(text);
}

function badFormat(format: string, siteHeaders: string): ResponsePlan {
  const shown = format.length > 40 ? format.slice(0, 40) + "..." : format;

  const text = `400 Bad Request: unknown archive type '${shown.replace(/[^\x20-\x7e]/g, "?")}' (use tar, tgz or zip)\n`;
  return {
    status: 400,
    headers: `Content-Type: text/plain; charset=utf-8\r\n${siteHeaders}`,
    body: { kind: "bytes", bytes: Buffer.from(text, "latin1") },
  };
}
