/**
 * The static-site flags of `tcpkit serve` (listing, dotfiles, symlinks, caching, SPA, CORS, custom
 * headers, compression), declared once, and their translation to ServeStaticOptions.
 */
import { checkedBy, flag, section, type FlagValues } from "./flags.js";
import { UsageError } from "./usage-error.js";
import { argumentBytes, isValidFieldValue, parseFieldArgument } from "../http/header-fields.js";
import type { ServeStaticOptions } from "../static/serve-static.js";
import { resolveSpaFile } from "../static/resolve-path.js";
import { checkCustomHeader } from "../static/site-headers.js";

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
    help:
      'Cache-Control of files (default "no-cache": revalidate every time); "auto": HTML and ' +
      "JSON no-cache, names with a content hash immutable for a year, the rest 5 minutes",
    check: (text, name) => {
      if (!isValidFieldValue(argumentBytes(text))) {
        throw new UsageError(`${name}: the value has a control character`);
      }
    },
  }),
  spa: flag.custom({
    metavar: "FILE.html",
    help: "single-page app: unknown extension-less paths get FILE (default index.html)",
    // `--spa ROOT` must not swallow ROOT: a next argument is FILE only when it ends in .html or
    // .htm, which no sensible ROOT does.
    optionalValue: (next) => /\.html?$/i.test(next),
    convert: (text, name): string | true => {
      const spa = text === "" ? true : text;
      // serveStatic checks the file name; asked here so a bad one is a usage error (exit 2).
      checkedBy(name, () => resolveSpaFile(spa));
      return spa;
    },
  }),
  cors: flag.bool({ help: "Access-Control-Allow-Origin: * and answers to CORS preflights" }),
  header: flag.list({
    metavar: '"Name: value"',
    help: "add a header to every response",
    convert: (text, name) =>
      checkedBy(name, () => {
        // Sent as typed, in UTF-8 (as nginx sends add_header from a UTF-8 configuration).
        const [field, typed] = parseFieldArgument(text);
        const value = argumentBytes(typed);
        checkCustomHeader(field, value);
        return [field, value] as [string, string];
      }),
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
  if (values["cache-control"] !== undefined)
    options.cacheControl = argumentBytes(values["cache-control"]);
  if (values.spa !== undefined) options.spa = values.spa;
  return options;
}
