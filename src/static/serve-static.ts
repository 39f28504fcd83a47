/**
 * serveStatic(root, options): the Handler that answers GET, HEAD and OPTIONS from a directory
 * (DESIGN §4): safe path resolution, files from the file table with validators, conditional
 * requests, ranges, precompressed or compressed variants, listings, SPA fallback and 404.html.
 */
import { accessSync, constants, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { getField } from "../http/header-lookup.js";
import { ALLOW_HEADER, DEFAULT_METHODS, optionsPlan } from "../http/method-policy.js";
import { mediaTypeQuality } from "../http/negotiation.js";
import { evaluatePreconditions } from "../http/preconditions.js";
import { contentRange, multipartByteranges, parseRange } from "../http/range.js";
import { errorPlanFor, prefersHtml } from "../http/error-page.js";
import { errorPlan, statusForFileError } from "../http/error-plan.js";
import type { FileRange, Handler, RequestHead, ResponsePlan } from "../http/types.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { folderUrl, renderListing, type ListingExtra } from "./directory-listing.js";
import { ListingReader } from "./listing-reader.js";
import { CompressQueue } from "./compress-queue.js";
import { stderrFileErrors, type FileErrorReporter } from "./file-error-log.js";
import { FileTable, type FileEntry, type Lookup } from "./file-table.js";
import {
  encodePathSegments,
  resolveRequestPath,
  resolveSpaFile,
  type ResolvedPath,
} from "./resolve-path.js";
import { buildSiteHeaders } from "./site-headers.js";
import { isPreflight, notModifiedPlan, preflightPlan, redirectPlan } from "./static-plans.js";
import { ReprDigests } from "./repr-digest.js";
import { nodeCrypto } from "../util/lazy-builtin.js";
import { selectRepresentation, type Representation } from "./representation.js";

/** Options of serveStatic; every one has a safe default. */
export interface ServeStaticOptions {
  /** List folders without index.html (default true); false answers them with 404. */
  listing?: boolean;
  /** Serve names starting with "." (default false: 404, and hidden from listings). */
  dotfiles?: boolean;
  /** Follow symlinks that resolve outside the root (default false: 404). */
  followSymlinks?: boolean;
  /** Cache-Control of file responses (default "no-cache": always revalidate; "" for none; "auto": by name, cache-policy.ts). */
  cacheControl?: string;
  /**
   * Single-page-app fallback: a GET/HEAD for an extension-less path that matches nothing, from a
   * client accepting text/html, gets this file (a path under root; true means "index.html").
   */
  spa?: boolean | string;
  /** Access-Control-Allow-Origin: * on every response, and answers to CORS preflights. */
  cors?: boolean;
  /** Extra header fields on every response, validated. */
  headers?: readonly (readonly [string, string])[];
  /** Compress compressible types on the fly (gzip, brotli), cached per file version. */
  compress?: boolean;
  /**
   * What other wings add to an HTML listing (an upload form, archive links): each returns
   * trusted HTML for the folder at `folderPath` (its URL path, "/a%20b/"), placed under the
   * heading; "" for nothing. static knows nothing of what they are.
   */
  listingExtras?: readonly ListingExtra[];
  /**
   * Told of each file or folder that answers 403 (unreadable) or 500, with its file-system path
   * and the error. Default: one rate-limited line on stderr (file-error-log.ts).
   */
  onFileError?: FileErrorReporter;
}

/** HTML another wing adds to the listing of the folder at `folderPath` (see listingExtras). */
export type { ListingExtra } from "./directory-listing.js";

/**
 * Creates the static-file handler for `root`. Throws ERR_FILE when root is not a readable folder
 * or the SPA file is not a file under it, and ERR_INVALID_ARGUMENT for a bad header or SPA path.
 */
export function serveStatic(root: string, options: ServeStaticOptions = {}): Handler {
  const site = new StaticSite(root, options);
  return Object.assign((head: RequestHead) => site.handle(head), { methods: DEFAULT_METHODS });
}

/** A request path as resolved under the root, with what the file table needs for it. */
interface Target {
  readonly resolved: ResolvedPath;
  /** join(realRoot, ...segments) and segments.join("/"), when resolved. */
  readonly candidate: string;
  readonly cacheKey: string;
}

/**
 * Request paths whose resolution is remembered: pure work (decoding, splitting, joining) that a
 * hot path would otherwise redo per request. Bounded in count and key length, and cleared when
 * full, so probes cannot grow it.
 */
const TARGET_MEMO_MAX = 4096;
const TARGET_MEMO_KEY_BYTES = 256;

/** One served directory and its settings. */
class StaticSite {
  readonly #table: FileTable;
  readonly #listings: ListingReader;
  readonly #compressQueue = new CompressQueue();
  readonly #digests = new ReprDigests();
  readonly #onFileError: FileErrorReporter;
  readonly #realRoot: string;
  readonly #listing: boolean;
  readonly #listingExtras: readonly ListingExtra[];
  readonly #dotfiles: boolean;
  readonly #cors: boolean;
  readonly #compress: boolean;
  readonly #spa: readonly string[] | undefined;
  /** Site headers for file-like responses (with Cache-Control) and for the rest. */
  readonly #fileHeaders: string;
  readonly #allHeaders: string;
  readonly #notFoundHeaders: string;
  readonly #targets = new Map<string, Target>();
  /** The plain 404 (no 404.html), built once. */
  readonly #plain404: ResponsePlan;
  readonly #notFoundPath: string;

  constructor(root: string, options: ServeStaticOptions) {
    try {
      this.#realRoot = realpathSync(root);
      if (!statSync(this.#realRoot).isDirectory()) throw new Error("not a directory");
      // Refused at start, like a missing root, rather than answering 403 to every request.
      accessSync(this.#realRoot, constants.R_OK | constants.X_OK);
    } catch (err) {
      throw new TcpkitError("ERR_FILE", `root is not a readable directory: ${root}`, {
        cause: err,
      });
    }
    this.#onFileError = options.onFileError ?? stderrFileErrors();
    this.#listing = options.listing ?? true;
    this.#listingExtras = options.listingExtras ?? [];
    this.#dotfiles = options.dotfiles ?? false;
    this.#cors = options.cors ?? false;
    this.#compress = options.compress ?? false;
    const built = buildSiteHeaders({
      cacheControl: options.cacheControl ?? "no-cache",
      cors: this.#cors,
      headers: options.headers ?? [],
    });
    this.#fileHeaders = built.fileHeaders;
    this.#allHeaders = built.allHeaders;
    this.#notFoundHeaders = built.notFoundHeaders;
    if (options.spa !== undefined && options.spa !== false) {
      this.#spa = resolveSpaFile(options.spa);
      if (!isFileSync(join(this.#realRoot, ...this.#spa))) {
        throw new TcpkitError(
          "ERR_FILE",
          `the SPA file ${this.#spa.join("/")} is not a file under the root: ${root}`,
        );
      }
    }
    // As errorPlanFor's: the text or the page is chosen by Accept.
    this.#plain404 = errorPlan(404, `Vary: Accept\r\n${this.#allHeaders}`);
    this.#notFoundPath = join(this.#realRoot, ...NOT_FOUND_PAGE);
    this.#table = new FileTable({
      realRoot: this.#realRoot,
      followSymlinks: options.followSymlinks ?? false,
      dotfiles: this.#dotfiles,
      siteHeadersFor: built.fileHeadersFor,
      onError: this.#onFileError,
    });
    this.#listings = new ListingReader({
      realRoot: this.#realRoot,
      followSymlinks: options.followSymlinks ?? false,
      dotfiles: this.#dotfiles,
    });
  }

  /** Synchronous for a hot file (DESIGN §8); a promise when the disk must be asked. */
  handle(head: RequestHead): ResponsePlan | Promise<ResponsePlan> {
    if (head.method === "OPTIONS") {
      return this.#cors && isPreflight(head)
        ? preflightPlan(getField(head, "access-control-request-headers"), this.#allHeaders)
        : optionsPlan(this.#allHeaders);
    }
    if (head.method !== "GET" && head.method !== "HEAD") {
      return errorPlanFor(head, 405, ALLOW_HEADER + this.#allHeaders);
    }
    const target = this.#target(head.path);
    const resolved = target.resolved;
    if (resolved.kind === "bad") return errorPlanFor(head, 400, this.#allHeaders);
    if (resolved.hasDotSegment && !this.#dotfiles) return this.#notFound(head, resolved.segments);
    const found = this.#table.lookupAt(target.candidate, target.cacheKey, resolved.segments);
    return found instanceof Promise
      ? found.then((f) => this.#dispatch(head, resolved, f))
      : this.#dispatch(head, resolved, found);
  }

  /** resolveRequestPath(path) and its file-system path, memoised. */
  #target(path: string): Target {
    const known = this.#targets.get(path);
    if (known !== undefined) return known;
    const resolved = resolveRequestPath(path);
    const target: Target =
      resolved.kind === "ok"
        ? {
            resolved,
            candidate: join(this.#realRoot, ...resolved.segments),
            cacheKey: resolved.segments.join("/"),
          }
        : { resolved, candidate: "", cacheKey: "" };
    if (path.length <= TARGET_MEMO_KEY_BYTES) {
      if (this.#targets.size >= TARGET_MEMO_MAX) this.#targets.clear();
      this.#targets.set(path, target);
    }
    return target;
  }

  #dispatch(
    head: RequestHead,
    resolved: ResolvedPath & { kind: "ok" },
    found: Lookup,
  ): ResponsePlan | Promise<ResponsePlan> {
    switch (found.kind) {
      case "file":
        // "/file.txt/" names a folder that does not exist.
        if (resolved.trailingSlash) return this.#notFound(head, resolved.segments);
        return this.#serveFile(head, found.entry);
      case "directory":
        if (!resolved.trailingSlash) return this.#redirectToFolder(head, resolved.segments);
        return this.#serveFolder(head, resolved.segments, found.realPath);
      case "missing":
        return this.#missing(head, resolved.segments);
      case "forbidden":
        return errorPlanFor(head, 403, this.#allHeaders);
      case "error":
        return errorPlanFor(head, 500, this.#allHeaders);
    }
  }

  /** 301 to the slash form; rebuilt from the decoded segments so "//host" cannot appear. */
  #redirectToFolder(head: RequestHead, segments: readonly string[]): ResponsePlan {
    const query = /^[\x21-\x7e]*$/.test(head.query) && head.query !== "" ? `?${head.query}` : "";
    return redirectPlan(`${encodePathSegments(segments)}/${query}`, this.#allHeaders);
  }

  async #serveFolder(
    head: RequestHead,
    segments: readonly string[],
    realPath: string,
  ): Promise<ResponsePlan> {
    const index = await this.#table.lookup([...segments, "index.html"]);
    if (index.kind === "file") return this.#serveFile(head, index.entry);
    if (!this.#listing) return this.#notFound(head, segments);
    // A listing is a 200 too, so its preconditions are evaluated (RFC 9110 §13.2.1), as nginx
    // does: it has no validators, so If-Match "x" fails (412) and If-None-Match: * holds (304);
    // the date conditions are ignored for want of a Last-Modified (§13.1.3, §13.1.4).
    const pre = evaluatePreconditions(head, NO_VALIDATORS);
    if (pre.kind === "precondition-failed") return errorPlanFor(head, 412, this.#allHeaders);
    if (pre.kind === "not-modified") {
      return { status: 304, headers: `Vary: Accept\r\n${this.#fileHeaders}`, body: NO_BODY };
    }
    let listing;
    try {
      listing = await this.#listings.read(realPath);
    } catch (err) {
      const status = statusForFileError(err);
      if (status === 404) return this.#notFound(head, segments);
      this.#onFileError(status, realPath, err);
      return errorPlanFor(head, status, this.#allHeaders);
    }
    const { type, bytes } = renderListing(listing, segments, head, this.#listingExtras);
    return {
      status: 200,
      headers: `Content-Type: ${type}\r\nVary: Accept\r\n${this.#fileHeaders}`,
      body: { kind: "bytes", bytes },
    };
  }

  /** Nothing at that path: the SPA entry point when it applies, else 404. */
  #missing(head: RequestHead, segments: readonly string[]): ResponsePlan | Promise<ResponsePlan> {
    const last = segments[segments.length - 1] ?? "";
    if (this.#spa === undefined || last.includes(".")) return this.#notFound(head, segments);
    // Whether this path answers with the app or a 404 depends on Accept, so every answer here
    // says so (RFC 9110 §12.5.5): a cache that kept the 404 of a script's fetch would otherwise
    // hand it to the next browser navigating to the route.
    const answer =
      mediaTypeQuality(getField(head, "accept"), "text/html") > 0
        ? this.#serveSpa(head, this.#spa, segments)
        : this.#notFound(head, segments);
    return answer instanceof Promise ? answer.then(varyOnAccept) : varyOnAccept(answer);
  }

  async #serveSpa(
    head: RequestHead,
    spa: readonly string[],
    segments: readonly string[],
  ): Promise<ResponsePlan> {
    const app = await this.#table.lookup(spa);
    if (app.kind === "file") return this.#serveFile(head, app.entry);
    return this.#notFound(head, segments);
  }

  /**
   * 404, with the root's 404.html as its body when there is one. Synchronous when the table
   * answers synchronously (no 404.html, or a cached one), so a flood of 404s costs no promise.
   */
  #notFound(head: RequestHead, segments: readonly string[]): ResponsePlan | Promise<ResponsePlan> {
    const page = this.#table.lookupAt(this.#notFoundPath, "404.html", NOT_FOUND_PAGE);
    return page instanceof Promise
      ? page.then((p) => this.#notFoundWith(p, head, segments))
      : this.#notFoundWith(page, head, segments);
  }

  #notFoundWith(
    page: Lookup,
    head: RequestHead,
    segments: readonly string[],
  ): ResponsePlan | Promise<ResponsePlan> {
    if (page.kind !== "file") {
      if (!prefersHtml(head)) return this.#plain404;
      return this.#nearestFolder(segments).then((folder) =>
        errorPlanFor(head, 404, this.#allHeaders, folder),
      );
    }
    const e = page.entry;
    return {
      status: 404,
      headers: `Content-Type: ${e.contentType}\r\n${this.#notFoundHeaders}`,
      body: e.bytes !== undefined ? { kind: "bytes", bytes: e.bytes } : fileBody(e, 0, e.size),
    };
  }

  /**
   * The URL path of the deepest existing folder above `segments` (for a 404 page's link): "/"
   * when listings are off or nothing above exists. At most NEAREST_FOLDER_TRIES lookups.
   */
  async #nearestFolder(segments: readonly string[]): Promise<string> {
    if (!this.#listing) return "/";
    const stop = Math.max(0, segments.length - NEAREST_FOLDER_TRIES);
    for (let n = segments.length - 1; n > stop; n--) {
      const up = segments.slice(0, n);
      if ((await this.#table.lookup(up)).kind === "directory") return folderUrl(up);
    }
    return "/";
  }

  /** A file: choose the variant (sibling, compressed, identity), then respond. */
  #serveFile(head: RequestHead, entry: FileEntry): ResponsePlan | Promise<ResponsePlan> {
    const rep = selectRepresentation(head, entry, {
      table: this.#table,
      queue: this.#compressQueue,
      compress: this.#compress,
    });
    return rep instanceof Promise
      ? rep.then((r) => this.#respond(head, r))
      : this.#respond(head, rep);
  }

  /** Preconditions, then 200, 206 (one range or multipart) or 416 for the chosen representation. */
  #respond(head: RequestHead, selected: Representation): ResponsePlan {
    // With its Repr-Digest line once the digest is known (RFC 9530; repr-digest.ts).
    const rep = this.#digests.forRequest(head, selected);
    const pre = evaluatePreconditions(head, { etag: rep.etag, lastModifiedMs: rep.lastModifiedMs });
    if (pre.kind === "precondition-failed") return errorPlanFor(head, 412, this.#allHeaders);
    if (pre.kind === "not-modified") return notModifiedPlan(rep.etag, rep.vary, rep.siteHeaders);
    const range = pre.honourRange ? parseRange(getField(head, "range"), rep.size) : WHOLE;
    switch (range.kind) {
      case "whole":
        return wholePlan(rep);
      case "unsatisfiable":
        return errorPlanFor(head, 416, `Content-Range: bytes */${rep.size}\r\n${this.#allHeaders}`);
      case "ranges": {
        const only = range.ranges.length === 1 ? range.ranges[0] : undefined;
        // Several ranges of a content-coded variant: a Content-Encoding over a multipart body
        // says the multipart is gzip (or br), which it is not, and every client that decodes
        // (browsers, curl --compressed) fails; the whole variant is sent instead (§14.2 allows).
        if (only === undefined && rep.encodingLine !== "") return wholePlan(rep);
        if (only !== undefined) {
          return {
            status: 206,
            headers: `Content-Range: ${contentRange(only, rep.size)}\r\n${rep.headerBlock}`,
            body: repBody(rep, only.start, only.end),
          };
        }
        const mp = multipartByteranges(
          range.ranges,
          rep.size,
          rep.contentType,
          // A new one per answer (RFC 2046 §5.1.1: never inside a part): one kept for the
          // process, seen in one answer, could be uploaded inside a file to break the next.
          nodeCrypto().randomBytes(12).toString("hex"),
        );
        const segments = mp.pieces.map((p) =>
          Buffer.isBuffer(p) ? p : repPiece(rep, p.start, p.end),
        );
        return {
          status: 206,
          headers: `Content-Type: ${mp.contentType}\r\n${rep.encodingLine}${rep.validatorBlock}`,
          body: { kind: "segments", segments },
        };
      }
    }
  }
}

const WHOLE = { kind: "whole" } as const;

/** `plan` with Vary: Accept, unless it says so already (an error page does). */
function varyOnAccept(plan: ResponsePlan): ResponsePlan {
  return /^Vary: Accept\r$/m.test(plan.headers)
    ? plan
    : { ...plan, headers: `Vary: Accept\r\n${plan.headers}` };
}
const NO_BODY = { kind: "none" } as const;
/** What a listing has to compare preconditions against: nothing. */
const NO_VALIDATORS = { etag: undefined, lastModifiedMs: undefined };
/** Folders a 404 page looks up for its link before it settles for "/". */
const NEAREST_FOLDER_TRIES = 8;
/** The root's custom 404 page. */
const NOT_FOUND_PAGE = ["404.html"] as const;

/** The 200 of a representation, made once: a hot file's requests allocate no plan. */
const wholePlans = new WeakMap<Representation, ResponsePlan>();
function wholePlan(rep: Representation): ResponsePlan {
  let plan = wholePlans.get(rep);
  if (plan === undefined) {
    plan = { status: 200, headers: rep.headerBlock, body: repBody(rep, 0, rep.size) };
    wholePlans.set(rep, plan);
  }
  return plan;
}

function isFileSync(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function fileBody(e: FileEntry, start: number, end: number): FileRange {
  return { kind: "file", path: e.realPath, start, end, open: e.open };
}

function repPiece(rep: Representation, start: number, end: number): Buffer | FileRange {
  if (rep.bytes !== undefined) {
    return start === 0 && end === rep.bytes.length ? rep.bytes : rep.bytes.subarray(start, end);
  }
  return { kind: "file", path: rep.path, start, end, open: rep.open };
}

function repBody(rep: Representation, start: number, end: number): ResponsePlan["body"] {
  const piece = repPiece(rep, start, end);
  return Buffer.isBuffer(piece) ? { kind: "bytes", bytes: piece } : piece;
}
