/**
 * serveUpload(root, options): the upload wing (issue 14, docs/uploads.md). PUT writes its body to
 * a file; POST of multipart/form-data (the listing's form) writes each file part into the folder
 * it was posted to. Requests outside the upload folder, and every other method, go to `next`.
 *
 * Nothing is buffered whole: the body stream is read with a limit (413 past it, checked against
 * Content-Length before a byte is written), and written through TempFile (upload-file.ts), which
 * keeps a few hundred KiB in memory.
 */
import { realpathSync, statSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import { errorPlan } from "../http/error-plan.js";
import { getField } from "../http/header-lookup.js";
import { withMethods } from "../http/handler-chain.js";
import type { Handler, RequestContext, RequestHead, ResponsePlan } from "../http/types.js";
import { isPreflight, preflightPlan } from "../static/static-plans.js";
import { isBeneath } from "../util/open-beneath.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { receiveForm } from "./form-upload.js";
import {
  refuse,
  statusForBodyError,
  tooLarge,
  uploadLimit,
  type UploadSite,
} from "./upload-site.js";
import { encodeSegments, uploadFormHtml } from "./upload-form.js";
import {
  nameTaken,
  statusForWriteError,
  TempFile,
  UploadError,
  uploadFolder,
} from "./upload-file.js";
import { createOnly, currentFile, preconditionsHold } from "./put-preconditions.js";
import { DigestMismatch, DigestTap, requestDigests } from "./upload-digest.js";
import { resolveUploadPath } from "./upload-name.js";
import { UploadExpiry } from "./upload-expiry.js";
import { createUpload, RESOURCE_NAME, sfBoolean, uploadResource } from "./resumable.js";
import { crossSiteUpload } from "./cross-site.js";
import { DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_UPLOAD_EXPIRE_MS } from "./upload-defaults.js";

/** Options of serveUpload; every one has a safe default. */
export interface UploadOptions {
  /** The folder uploads may land in, relative to root (default: root itself). */
  dir?: string;
  /** Replace existing files (default false: 409 for PUT, a free name for the form). */
  overwrite?: boolean;
  /** The largest upload in bytes (default 1 GiB); 413 past it. */
  maxBytes?: number;
  /** Accept names starting with "." (default false: 400). */
  dotfiles?: boolean;
  /** How long an unfinished resumable upload is kept, in ms (default 24 h). */
  expireMs?: number;
  /**
   * Pages of other origins may upload without credentials (default false: a browser's upload
   * from another origin is 403, cross-site.ts); the CLI sets it with --cors.
   */
  cors?: boolean;
}

/** The upload wing: its handler, and the form it adds to listings under the upload folder. */
export interface UploadWing {
  readonly handler: Handler;
  /** A ServeStaticOptions.listingExtras entry: the upload form, for folders it applies to. */
  readonly listingExtra: (folderPath: string) => string;
  /** Stops the expiry timer (it is unref'd: a process need not call this to exit). */
  close(): void;
}

export { DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_UPLOAD_EXPIRE_MS };

/** Methods that change nothing: never refused as cross-site. */
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** Throws ERR_FILE when root or the upload folder is not a folder, or the latter is outside root. */
export function serveUpload(root: string, options: UploadOptions = {}): UploadWing {
  const site = uploadSite(root, options);
  const own = site.cors ? withCorsFields : (plan: Answer): Answer => plan;
  const handler = withMethods(["PUT", "POST", "PATCH", "DELETE"], (head, context, next) => {
    if (!SAFE.has(head.method) && crossSiteUpload(head, site.cors)) return refuse(403);
    if (head.method === "PUT") return own(put(site, head, context, next));
    if (head.method === "POST") return own(postForm(site, head, context, next));
    if (head.method === "OPTIONS") return optionsPlan(site, head, next);
    const resource = resourceOf(site, head.path);
    if (resource !== undefined) return own(uploadResource(site, head, context, ...resource));
    return head.method === "GET" || head.method === "HEAD" || head.method === "OPTIONS"
      ? next()
      : elsewhere(next);
  });
  const prefix = encodeSegments(site.dirSegments) + "/";
  const listingExtra = (folderPath: string): string =>
    folderPath.startsWith(prefix) ? uploadFormHtml(folderPath) : "";
  site.expiry.start(site.realUploadDir);
  return { handler, listingExtra, close: () => site.expiry.stop() };
}

function uploadSite(root: string, options: UploadOptions): UploadSite {
  let realRoot: string;
  let realUploadDir: string;
  try {
    realRoot = realpathSync(root);
    realUploadDir = realpathSync(resolve(realRoot, options.dir ?? "."));
    if (!statSync(realUploadDir).isDirectory()) throw new Error("not a directory");
  } catch (err) {
    throw new TcpkitError("ERR_FILE", `upload folder is not a folder: ${options.dir ?? root}`, {
      cause: err,
    });
  }
  const expireMs = options.expireMs ?? DEFAULT_UPLOAD_EXPIRE_MS;
  const rel = relative(realRoot, realUploadDir);
  if (!isBeneath(realRoot, realUploadDir)) {
    throw new TcpkitError("ERR_FILE", `upload folder is outside the root: ${options.dir}`);
  }
  return {
    realRoot,
    realUploadDir,
    dirSegments: rel === "" ? [] : rel.split(sep),
    overwrite: options.overwrite ?? false,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
    dotfiles: options.dotfiles ?? false,
    cors: options.cors ?? false,
    expireMs,
    expiry: new UploadExpiry(expireMs),
  };
}

async function put(
  site: UploadSite,
  head: RequestHead,
  context: RequestContext,
  next: () => ResponsePlan | Promise<ResponsePlan>,
): Promise<ResponsePlan> {
  const target = resolveUploadPath(head.path, site.dirSegments, site.dotfiles, false);
  if (target.kind === "elsewhere") return elsewhere(next);
  if (target.kind === "bad") return refuse(400);
  if (getField(head, "content-range") !== undefined) return refuse(400); // RFC 9110 §14.5
  const resumable = sfBoolean(getField(head, "upload-complete"));
  if (resumable !== undefined) {
    return createUpload(site, head, context, target.folder, target.name, resumable);
  }
  if (tooLarge(site, context)) return refuse(413, site);
  // A plain PUT's content is the whole file: both digests are of the body.
  const digests = requestDigests(head);
  if (digests === undefined) return refuse(400);
  let folder: string;
  try {
    folder = await uploadFolder(site.realRoot, site.realUploadDir, target.folder);
    if (!site.overwrite && (await nameTaken(folder, target.name))) return refuse(409);
  } catch (err) {
    return refuse(statusForWriteError(err));
  }
  if (!preconditionsHold(head, await currentFile(folder, target.name))) return refuse(412);
  // Create-only is kept to the end by link(), which refuses a name taken meanwhile; an If-Match
  // is checked again just before the rename.
  const replace = site.overwrite && !createOnly(head);
  const commit = async (temp: TempFile): Promise<boolean> => {
    if (replace && !preconditionsHold(head, await currentFile(folder, target.name))) {
      throw new UploadError(412, "the file changed since");
    }
    return temp.commit(folder, target.name, replace).catch((err: unknown) => {
      const taken = err instanceof UploadError && err.status === 409 && site.overwrite && !replace;
      throw taken ? new UploadError(412, "the name was taken meanwhile") : err;
    });
  };
  const stored = await storeBody(
    context.body.stream({ limit: site.maxBytes }),
    site.realUploadDir,
    folder,
    commit,
    new DigestTap([digests.content, digests.repr]),
  );
  if (typeof stored === "number") return refuse(stored, site);
  if (stored.replaced) return { status: 204, headers: "", body: { kind: "none" } };
  return errorPlan(201, `Location: ${encodeSegments([...target.folder, target.name])}\r\n`);
}

/**
 * OPTIONS under the upload folder: the methods it takes, and (draft §4.1.4) Accept-Patch naming
 * application/partial-upload with the Upload-Limit, so a client learns resumable uploads work.
 */
function optionsPlan(
  site: UploadSite,
  head: RequestHead,
  next: () => ResponsePlan | Promise<ResponsePlan>,
): ResponsePlan | Promise<ResponsePlan> {
  const target = resolveUploadPath(head.path, site.dirSegments, site.dotfiles, true);
  const file = resolveUploadPath(head.path, site.dirSegments, site.dotfiles, false);
  if (target.kind !== "ok" && file.kind !== "ok") return next();
  // --cors: a page of another origin asks before its PUT, POST, PATCH or DELETE (Fetch §3.2).
  if (site.cors && isPreflight(head)) {
    return preflightPlan(
      getField(head, "access-control-request-headers"),
      CORS_ORIGIN,
      UPLOAD_METHODS,
    );
  }
  return {
    status: 200,
    headers:
      `Allow: ${UPLOAD_METHODS}\r\n` +
      "Accept-Patch: application/partial-upload\r\n" +
      uploadLimit(site, site.expireMs / 1000),
    body: { kind: "none" },
  };
}

type Answer = ResponsePlan | Promise<ResponsePlan>;

const UPLOAD_METHODS = "GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE";
const CORS_ORIGIN = "Access-Control-Allow-Origin: *\r\n";
/** What a script of another origin may read of an upload's answer (Fetch §3.2.6). */
const CORS_FIELDS =
  CORS_ORIGIN +
  "Access-Control-Expose-Headers: Location, Upload-Offset, Upload-Complete, Upload-Length, " +
  "Upload-Limit\r\n";

/**
 * With --cors, the upload wing's own answers let a page of another origin read them (static's
 * answers, which a PUT outside the upload folder gets, carry the site's fields already).
 */
function withCorsFields(answer: Answer): Answer {
  const add = (plan: ResponsePlan): ResponsePlan =>
    plan.headers.includes("Access-Control-Allow-Origin:")
      ? plan
      : { ...plan, headers: plan.headers + CORS_FIELDS };
  return answer instanceof Promise ? answer.then(add) : add(answer);
}

/** The folder and ID of an upload resource ("/in/.tcpkit-upload-ID.part"), else undefined. */
function resourceOf(site: UploadSite, path: string): [string[], string] | undefined {
  const slash = path.lastIndexOf("/");
  const id = RESOURCE_NAME.exec(path.slice(slash + 1))?.[1];
  if (id === undefined) return undefined;
  const folder = resolveUploadPath(path.slice(0, slash + 1), site.dirSegments, site.dotfiles, true);
  return folder.kind === "ok" ? [[...folder.folder], id] : undefined;
}

/**
 * Not under the upload folder: what the rest of the chain says (static's 405), with a close so
 * that the body is not read just to be thrown away (without --upload the server does the same).
 */
async function elsewhere(next: () => ResponsePlan | Promise<ResponsePlan>): Promise<ResponsePlan> {
  const plan = await next();
  return plan.close === true ? plan : { ...plan, close: true };
}

/**
 * Writes `source` to a new temporary file in `folder` (inside `realUploadDir`) and hands it to `commit`; the status of a
 * failure otherwise (the temporary file removed): 400 when the bytes do not match `tap`'s
 * digests. `source` is consumed either way.
 */
export async function storeBody(
  source: AsyncIterable<Buffer>,
  realUploadDir: string,
  folder: string,
  commit: (temp: TempFile) => Promise<boolean>,
  tap: DigestTap,
): Promise<{ readonly replaced: boolean; readonly bytes: number } | number> {
  let temp: TempFile | undefined;
  try {
    temp = await TempFile.create(realUploadDir, folder);
    for await (const chunk of source) {
      tap.update(chunk);
      await temp.write(chunk);
    }
    if (!tap.matches()) throw new DigestMismatch("digest");
    await temp.finish();
    const replaced = await commit(temp);
    return { replaced, bytes: temp.bytes };
  } catch (err) {
    await temp?.discard();
    (source as Partial<Readable>).destroy?.();
    return statusForBodyError(err);
  }
}

async function postForm(
  site: UploadSite,
  head: RequestHead,
  context: RequestContext,
  next: () => ResponsePlan | Promise<ResponsePlan>,
): Promise<ResponsePlan> {
  const target = resolveUploadPath(head.path, site.dirSegments, site.dotfiles, true);
  if (target.kind === "elsewhere") return elsewhere(next);
  if (target.kind === "bad") return refuse(400);
  return receiveForm(site, head, context, target.folder);
}
