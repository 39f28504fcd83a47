/**
 * What the PUT and form paths share: the upload site's settings and how a failure is answered.
 */
import { errorPlan } from "../http/error-plan.js";
import type { RequestContext, ResponsePlan } from "../http/types.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import type { UploadExpiry } from "./upload-expiry.js";
import { statusForWriteError, UploadError } from "./upload-file.js";

/** Settings shared by the PUT and form paths. */
export interface UploadSite {
  readonly realRoot: string;
  readonly realUploadDir: string;
  readonly dirSegments: readonly string[];
  readonly overwrite: boolean;
  readonly maxBytes: number;
  readonly dotfiles: boolean;
  /** --cors: other origins' pages may upload without credentials (cross-site.ts). */
  readonly cors: boolean;
  /** How long an unfinished resumable upload is kept, from its creation. */
  readonly expireMs: number;
  /** The resumable uploads known, removed when they expire. */
  readonly expiry: UploadExpiry;
}

/**
 * A refusal before the body is read: the connection closes, so the client need not send it. A
 * 413 carries the site's `Upload-Limit` when `site` is given (draft-ietf-httpbis-resumable-upload
 * -15 §4.1.4: a 413 caused by upload limits must name them).
 */
export function refuse(status: number, site?: UploadSite): ResponsePlan {
  const headers = status === 413 && site !== undefined ? uploadLimit(site) : "";
  return { ...errorPlan(status, headers), close: true };
}

/**
 * The `Upload-Limit` header line (draft §4.1.4, a Structured Fields Dictionary): max-size is
 * --max-upload-bytes; max-age, when given, the seconds an upload resource has left.
 */
export function uploadLimit(site: UploadSite, maxAge?: number): string {
  const age = maxAge === undefined ? "" : `, max-age=${Math.max(0, Math.floor(maxAge))}`;
  return `Upload-Limit: max-size=${site.maxBytes}${age}\r\n`;
}

/** 413 when the declared length is over the limit, before anything is created. */
export function tooLarge(site: UploadSite, context: RequestContext): boolean {
  const length = context.body.length;
  return length !== undefined && length > site.maxBytes;
}

/** What a client is told when its body or the disk failed the upload. */
export function statusForBodyError(err: unknown): number {
  if (err instanceof TcpkitError) {
    switch (err.code) {
      case "ERR_BODY_TOO_LARGE":
        return 413;
      case "ERR_TIMEOUT":
        return 408;
      default:
        return 400; // malformed, cut short
    }
  }
  if (err instanceof UploadError) return err.status;
  return statusForWriteError(err);
}
