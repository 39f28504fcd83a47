/**
 * The static-site flags of `tcpkit serve` (listing, dotfiles, symlinks, caching, SPA, CORS, custom
 * headers, compression), declared once, and their translation to ServeStaticOptions.
 */
import { flag, section, type FlagValues } from "./flags.js";
import { UsageError } from "./usage-error.js";
import type { ServeStaticOptions } from "../static/serve-static.js";
import { resolveSpaFile } from "../static/resolve-path.js";
import { parseHeaderArgument } from "../static/site-headers.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** The site's flags, spread into the serve command's flag table. */
export const STATIC_FLAGS = section("Files", {
  "no-listing": flag.bool({
    help: "answer folders without index.html with 404 instead of a listing",
  }),
  dotfiles: flag.bool({
    help: 'serve names starting with "." (default: 404, hidden from listings)',
  }),
  "follow-symlinks": flag.bool({ help: "follow symlinks that lead outside ROOT (default: 404)" }),
  "cache-control": flag.text({
    help: 'Cache-Control of files (default "no-cache": revalidate every time)',
    check: (text) => {
      // eslint-disable-next-line no-control-regex
      if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text)) {
        throw new UsageError("--cache-control: invalid header value");
      }
    },
  }),
  spa: flag.custom({
    metavar: "FILE.html",
    help: "single-page app: unknown extension-less paths get FILE (default index.html)",
    // `--spa ROOT` must not swallow ROOT: a next argument is FILE only when it ends in .html or
    // .htm, which no sensible ROOT does.
    optionalValue: (next) => /\.html?$/i.test(next),
    convert: (text): string | true => {
      const spa = text === "" ? true : text;
      try {
        // serveStatic checks the file name; asked here so a bad one is a usage error (exit 2).
        resolveSpaFile(spa);
      } catch (err) {
        if (err instanceof TcpkitError) throw new UsageError(`--spa: ${err.message}`);
        throw err;
      }
      return spa;
    },
  }),
  cors: flag.bool({ help: "Access-Control-Allow-Origin: * and answers to CORS preflights" }),
  header: flag.list({
    metavar: '"Name: value"',
    help: "add a header to every response",
    convert: (text) => {
      try {
        return parseHeaderArgument(text);
      } catch (err) {
        if (err instanceof TcpkitError) throw new UsageError(`--header: ${err.message}`);
        throw err;
      }
    },
  }),
  compress: flag.bool({
    help: "gzip/brotli compressible files on the fly (cached per file version)",
  }),
});

/** Turns parsed flag values into serveStatic options. */
export function staticOptionsFrom(values: FlagValues<typeof STATIC_FLAGS>): ServeStaticOptions {
  const options: ServeStaticOptions = {
    listing: !values["no-listing"],
    dotfiles: values.dotfiles,
    followSymlinks: values["follow-symlinks"],
    cors: values.cors,
    compress: values.compress,
    headers: values.header,
  };
  if (values["cache-control"] !== undefined) options.cacheControl = values["cache-control"];
  if (values.spa !== undefined) options.spa = values.spa;
  return options;
}
