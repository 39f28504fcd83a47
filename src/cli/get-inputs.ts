/**
 * What `tcpkit get` reads from its command line besides flags' values: the URL list of -i FILE,
 * the one output of -o/-O, the ETag file of --etag-compare, and the combinations of
 * flags that cannot work (each a usage error before anything is sent).
 */
import { readFileSync } from "node:fs";
import { systemErrorText } from "./error-line.js";
import { UsageError } from "./usage-error.js";

/** -o and -O are one flag in two spellings; giving both is a mistake. */
export function outputOf(o: string | undefined, O: string | undefined): string | undefined {
  if (o !== undefined && O !== undefined && o !== O) {
    throw new UsageError("-o and -O both name the output; give one");
  }
  return o ?? O;
}

/** The flag combinations that cannot work, refused before anything is sent. */
export function checkCombinations(c: {
  toStdout: boolean;
  output: string | undefined;
  urlCount: number;
  resume: boolean;
  newer: boolean;
  segments: number;
  head: boolean;
  etag: boolean;
}): void {
  if (c.toStdout && c.resume) throw new UsageError("-c cannot resume to stdout");
  if (c.toStdout && c.newer) throw new UsageError("-N compares with a file, not stdout");
  if (c.toStdout && c.segments > 1) throw new UsageError("-x needs a file, not stdout");
  if (c.output !== undefined && !c.toStdout && c.urlCount > 1) {
    throw new UsageError(
      "-o FILE names one file; with several URLs each is saved under its own name (-o - concatenates them on stdout)",
    );
  }
  if (c.urlCount > 1 && c.etag) throw new UsageError("--etag-save and --etag-compare take one URL");
  if (c.head && (c.resume || c.segments > 1 || c.output !== undefined)) {
    throw new UsageError("-I saves nothing: it cannot be combined with -c, -x or -o");
  }
}

/**
 * The URLs of `-i FILE` ("-": stdin), one a line. A value that is itself a URL is a curl user's
 * `-i` (include the head): say what -i means here rather than report a missing file.
 */
export function readUrlList(file: string | undefined): string[] {
  if (file === undefined) return [];
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    throw new UsageError(
      `-i reads a list of URLs from a file (wget's -i); for curl's -i (print the response head) use --include`,
    );
  }
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read -i ${file}: ${systemErrorText(err as Error)}`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/** --etag-compare FILE: its ETag as If-None-Match (none when the file is missing or empty). */
export function etagCondition(file: string | undefined): { ifNoneMatch?: string } {
  if (file === undefined) return {};
  let etag = "";
  try {
    etag = readFileSync(file, "utf8").trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new UsageError(`cannot read --etag-compare ${file}: ${systemErrorText(err as Error)}`);
    }
  }
  return etag === "" ? {} : { ifNoneMatch: etag };
}
