/**
 * `--log-file FILE`: the access log appended to a file instead of stdout, reopened on SIGHUP so
 * that logrotate (or any rename-then-signal rotation) works as with nginx: after the rename the
 * server keeps writing to the renamed file until the signal, then writes to a new FILE. No line
 * is lost or split between the two: the access log hands over whole buffered lines, each batch
 * written with one synchronous write (as stdout to a file is in Node on Linux), and the reopen
 * happens between batches.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { LogSink } from "./access-log.js";
import { errorLine } from "./error-line.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** Opens `path` for appending (created 0644 if missing); throws a TcpkitError naming it. */
function openForAppend(path: string): number {
  try {
    return openSync(path, "a", 0o644);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new TcpkitError("ERR_FILE", `cannot open --log-file ${path}: ${why}`, { cause: err });
  }
}

/**
 * A LogSink on `path`, reopened on every SIGHUP. A failed reopen (the folder gone, no
 * permission) keeps the old file and says so in one stderr line: logging goes on.
 */
export function openLogFile(path: string): LogSink {
  let fd = openForAppend(path);
  process.on("SIGHUP", () => {
    let next: number;
    try {
      next = openForAppend(path);
    } catch (err) {
      process.stderr.write(errorLine(`${(err as Error).message}; still writing the old file`));
      return;
    }
    closeSync(fd);
    fd = next;
  });
  return {
    write(text: string) {
      const bytes = Buffer.from(text, "utf8");
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done);
    },
  };
}
