/**
 * The upload wing's defaults, apart from its code: serve's flag table shows them in --help
 * without loading the wing (cli/upload-flags.ts), which is loaded only with --upload.
 */
export const DEFAULT_MAX_UPLOAD_BYTES = 1024 ** 3;
export const DEFAULT_UPLOAD_EXPIRE_MS = 24 * 3600 * 1000;
