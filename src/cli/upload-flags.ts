/** The upload flags of `tcpkit serve` (issue 14, docs/uploads.md) and their UploadOptions. */
import { flag, section, type FlagValues } from "./flags.js";
import type { UploadOptions } from "../upload/serve-upload.js";
import { DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_UPLOAD_EXPIRE_MS } from "../upload/upload-defaults.js";

export const UPLOAD_FLAGS = section("Uploads (off unless --upload; see docs/uploads.md)", {
  upload: flag.custom({
    metavar: "[=DIR]",
    help: "accept PUT and the listing's upload form, into ROOT or its sub-folder DIR",
    // Only `--upload=DIR` gives DIR: `--upload ROOT` must leave ROOT alone.
    optionalValue: () => false,
    convert: (text) => text,
  }),
  overwrite: flag.bool({
    help: "uploads may replace files (default: PUT gets 409, the form picks a free name)",
  }),
  "max-upload-bytes": flag.count({
    min: 0,
    default: DEFAULT_MAX_UPLOAD_BYTES,
    help: "the largest upload; past it 413",
  }),
  "upload-expire": flag.duration({
    bareUnit: "s",
    untimed: true, // compared with each upload's age; the sweep's timer has its own bounds
    default: DEFAULT_UPLOAD_EXPIRE_MS,
    help: "an unfinished resumable upload is removed this long after it began",
  }),
});

/** UploadOptions from the flags, or undefined when uploads are off. */
export function uploadOptionsFrom(
  values: FlagValues<typeof UPLOAD_FLAGS> & { dotfiles: boolean; cors: boolean },
): UploadOptions | undefined {
  if (values.upload === undefined) return undefined;
  return {
    dir: values.upload === "" ? "." : values.upload,
    overwrite: values.overwrite,
    maxBytes: values["max-upload-bytes"],
    dotfiles: values.dotfiles,
    expireMs: values["upload-expire"],
    cors: values.cors,
  };
}
