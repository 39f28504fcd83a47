/**
 * The static-site flags of `tcpkit serve` (listing, dotfiles, symlinks, caching, SPA, CORS, custom
 * headers, compression): their parseArgs options, help text, and translation to ServeStaticOptions.
 */
import { UsageError } from "./usage-error.js";
import type { ServeStaticOptions } from "../static/serve-static.js";
import { resolveSpaFile } from "../static/resolve-path.js";
import { parseHeaderArgument } from "../static/site-headers.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** parseArgs option specs, spread into the serve command's options. */
export const STATIC_FLAG_OPTIONS = {
  "no-listing": { type: "boolean" },
  dotfiles: { type: "boolean" },
  "follow-symlinks": { type: "boolean" },
  "cache-control": { type: "string" },
  spa: { type: "string" },
  cors: { type: "boolean" },
  header: { type: "string", multiple: true },
  compress: { type: "boolean" },
} as const;

/** Help lines for these flags. */
export const STATIC_HELP = `  --no-listing           answer folders without index.html with 404 instead of a listing
  --dotfiles             serve names starting with "." (default: 404, hidden from listings)
  --follow-symlinks      follow symlinks that lead outside ROOT (default: 404)
  --cache-control VALUE  Cache-Control of files (default "no-cache": revalidate every time)
  --spa [FILE.html]      single-page app: unknown extension-less paths get FILE (index.html)
  --cors                 Access-Control-Allow-Origin: * and answers to CORS preflights
  --header "Name: value" add a header to every response (repeatable)
  --compress             gzip/brotli compressible files on the fly (cached per file version)
`;

/**
 * `--spa` takes an optional value, which parseArgs cannot express. `--spa=FILE` and
 * `--spa FILE.html` name the file; a bare `--spa` becomes `--spa=` (index.html), so that
 * `--spa ROOT` never swallows ROOT (a following argument counts as FILE only when it ends in
 * .html or .htm, which no sensible ROOT does).
 */
export function normaliseSpaFlag(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg !== "--spa") {
      out.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("-") && /\.html?$/i.test(next)) {
      out.push(`--spa=${next}`);
      i++;
    } else {
      out.push("--spa=");
    }
  }
  return out;
}

interface StaticFlagValues {
  "no-listing"?: boolean | undefined;
  dotfiles?: boolean | undefined;
  "follow-symlinks"?: boolean | undefined;
  "cache-control"?: string | undefined;
  spa?: string | undefined;
  cors?: boolean | undefined;
  header?: string[] | undefined;
  compress?: boolean | undefined;
}

/** Turns parsed flag values into serveStatic options; a bad --header is a usage error. */
export function staticOptionsFrom(values: StaticFlagValues): ServeStaticOptions {
  const headers: [string, string][] = [];
  for (const text of values.header ?? []) {
    try {
      headers.push(parseHeaderArgument(text));
    } catch (err) {
      if (err instanceof TcpkitError) throw new UsageError(`--header: ${err.message}`);
      throw err;
    }
  }
  const options: ServeStaticOptions = {
    listing: values["no-listing"] !== true,
    dotfiles: values.dotfiles === true,
    followSymlinks: values["follow-symlinks"] === true,
    cors: values.cors === true,
    compress: values.compress === true,
    headers,
  };
  if (values["cache-control"] !== undefined) {
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(values["cache-control"])) {
      throw new UsageError("--cache-control: invalid header value");
    }
    options.cacheControl = values["cache-control"];
  }
  if (values.spa !== undefined) {
    const spa = values.spa === "" ? true : values.spa;
    try {
      // serveStatic checks the file name; asked here so a bad one is a usage error (exit 2).
      resolveSpaFile(spa);
    } catch (err) {
      if (err instanceof TcpkitError) throw new UsageError(`--spa: ${err.message}`);
      throw err;
    }
    options.spa = spa;
  }
  return options;
}
