/**
 * `tcpkit get URL...`: download URLs like wget, with the curl habits people bring (DESIGN §6,
 * §7). Flags → download() options; the transfers themselves, their lines and the exit code are
 * get-batch.ts's.
 */
import { defineCommand } from "./command.js";
import { errorLine, systemErrorText } from "./error-line.js";
import { checkedBy, flag } from "./flags.js";
import { EXIT_INTERRUPTED, runBatch } from "./get-batch.js";
import { ProgressLine } from "./progress-line.js";
import {
  interruptOnSignals,
  noticeWriter,
  OUTPUT_FLAGS,
  readCa,
  TRUST_FLAGS,
  USER_FLAG,
  withBasicCredentials,
} from "./client-flags.js";
import { checkCombinations, etagCondition, outputOf, readUrlList } from "./get-inputs.js";
import { EXIT_FAILURE, UsageError } from "./usage-error.js";
import { parseWriteOut } from "./write-out.js";
import { ConnectionPool } from "../client/connection-pool.js";
import { parseChecksum } from "../client/digest-check.js";
import type { DownloadOptions } from "../client/download.js";
import { DEFAULT_MAX_REDIRECTS, DEFAULT_TIMEOUT_MS, type TraceEvent } from "../client/http-get.js";
import { parseRequestUrl } from "../client/request-url.js";
import { parseFieldArgument } from "../http/header-fields.js";
import { formatTrace } from "../http/trace-format.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** Most connections a segmented download opens at once (aria2's -x allows 16 too). */
const MAX_SEGMENTS = 16;

/** The `get` command: flags to download() options, progress and notes on stderr, exit codes. */
export const getCommand = defineCommand({
  usage: "URL... [OPTIONS]",
  description: `Downloads each URL (http or https; IPv6 literals as http://[::1]:8080/) over HTTP/1.1, following
redirects, and saves the body to a file named after the last path segment of the URL
(index.html for a path ending in /). An existing file is never overwritten: the next free
name NAME.1, NAME.2 ... is used and reported. The body is written to NAME.part and renamed
when complete and checked (length, and the server's Repr-Digest or Content-Digest); if the
transfer fails or is interrupted (Ctrl-C), NAME.part is kept with every byte received (resume
it with -c). Several URLs (or -i FILE) go over kept-alive connections, one after another
unless --parallel.`,
  flags: {
    output: flag.text({
      short: "o",
      metavar: "FILE",
      help: "save to FILE (overwritten if it exists); '-' writes to stdout (curl's -o)",
    }),
    "output-document": flag.text({
      short: "O",
      metavar: "FILE",
      help: "the same as -o (wget's -O FILE, -O -, -qO-)",
    }),
    "input-file": flag.text({
      short: "i",
      metavar: "FILE",
      help: "read URLs from FILE, one a line ('-': stdin; blank lines and # comments skipped), as wget -i",
    }),
    include: flag.bool({ help: "print the response head(s) on stdout (curl's -i)" }),
    head: flag.bool({
      short: "I",
      help: "send HEAD and print the response head(s) on stdout; save nothing",
    }),
    "http1.0": flag.bool({ short: "0", help: "send HTTP/1.0 requests (no keep-alive)" }),
    continue: flag.bool({
      short: "c",
      help:
        "resume NAME.part (or NAME): its segments, or its bytes with Range + If-Range; restarts " +
        "from the beginning, and says so, when the server ignores the range or the file changed",
    }),
    force: flag.bool({ help: "overwrite an existing file instead of choosing NAME.1" }),
    newer: flag.bool({
      short: "N",
      help: "download only if the server's file is newer than the local one (If-Modified-Since), replacing it",
    }),
    segments: flag.count({
      short: "x",
      max: MAX_SEGMENTS,
      default: 1,
      help: "fetch each file over N connections at once, by byte ranges (if the server allows)",
    }),
    retry: flag.count({
      min: 0,
      default: 0,
      help: "retry transient failures (refused, reset, timeout, 408, 429, 500, 502, 503, 504) N times, resuming",
    }),
    "retry-delay": flag.seconds({
      default: 1000,
      help: "first wait before a retry, doubled each time, with jitter (Retry-After wins)",
    }),
    "retry-max-time": flag.seconds({
      default: 0,
      zero: "no bound",
      help: "stop retrying once this long has passed",
    }),
    "etag-save": flag.text({ metavar: "FILE", help: "write the response's ETag to FILE" }),
    "etag-compare": flag.text({
      metavar: "FILE",
      help: "send the ETag in FILE as If-None-Match; a 304 leaves the local file alone",
    }),
    checksum: flag.custom({
      metavar: "ALG=HEX",
      help: "the file must have this digest (sha256, sha512, sha384, sha1, md5)",
      convert: (text, name) => checkedBy(name, () => parseChecksum(text)),
    }),
    parallel: flag.count({
      default: 1,
      max: 64,
      help: "transfers at once when there are several URLs",
    }),
    pipeline: flag.bool({
      help: "send up to 8 requests ahead on one connection (HTTP/1.1 pipelining)",
    }),
    "write-out": flag.text({
      short: "w",
      metavar: "FORMAT",
      help: "print FORMAT on stdout after each transfer: curl's %{http_code} %{time_total}..., or 'json'",
    }),
    "max-redirects": flag.count({
      min: 0,
      default: DEFAULT_MAX_REDIRECTS,
      help: "redirects to follow; 0: none",
    }),
    location: flag.bool({ short: "L", help: "follow redirects (always on: accepted for curl)" }),
    timeout: flag.seconds({
      default: DEFAULT_TIMEOUT_MS,
      help: "limit for each phase: connect, first response byte, the whole response head, idle between reads",
    }),
    header: flag.list({
      short: "H",
      metavar: "'N: V'",
      help:
        "add a request header; Authorization, Proxy-Authorization and Cookie are not sent on " +
        "to another host, port or scheme",
      convert: (text, name) => checkedBy(name, () => parseFieldArgument(text)),
    }),
    ...USER_FLAG,
    "save-errors": flag.bool({
      help: "save the body of an HTTP error response too (exit code still 3)",
    }),
    fail: flag.bool({
      short: "f",
      help: "exit 3 on an HTTP status >= 400 (always on: accepted for curl)",
    }),
    ...TRUST_FLAGS,
    ...OUTPUT_FLAGS,
  },
  notes: `Progress (bytes, percent, rate, ETA) is one line redrawn on stderr when stderr is a terminal.

wget and curl habits: -O FILE / -o FILE, -O - / -qO- (stdout), -c, -N, -i FILE (URL list, as
wget; curl's -i is --include), -L and -f (always on), -I, -s, -w, --retry, -x N (as aria2).

Exit codes (with several URLs, the worst of them):
  0    saved (or nothing to do)
  1    network or protocol error (refused, timeout, malformed response, body shorter than its
       length, too many redirects or a loop), a digest mismatch, or a file error
  2    usage error
  3    HTTP status >= 400 (the body is saved only with --save-errors)
  130  interrupted (Ctrl-C); NAME.part is kept`,
  examples: [
    ["tcpkit get http://127.0.0.1:8080/big.iso", "saves big.iso (or big.iso.1 if it exists)"],
    ["tcpkit get -c -x 4 http://127.0.0.1:8080/big.iso", "resumes over 4 connections"],
    ["tcpkit get -qO- https://localhost:8443/ --ca cert.pem | head", "the body on stdout"],
    ["tcpkit get -i urls.txt --parallel 4", "every URL in urls.txt, 4 at a time"],
  ],
  async run({ values, positionals, given }) {
    const urls = [...positionals, ...readUrlList(values["input-file"])];
    if (urls.length === 0) throw new UsageError("a URL is required");
    for (const url of urls) {
      try {
        parseRequestUrl(url);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    const output = outputOf(values.output, values["output-document"]);
    const toStdout = output === "-";
    checkCombinations({
      toStdout,
      output,
      urlCount: urls.length,
      resume: values.continue,
      newer: values.newer,
      segments: values.segments,
      head: values.head,
      etag: values["etag-save"] !== undefined || values["etag-compare"] !== undefined,
    });
    const quiet = values.quiet || values.silent;
    // Not when the body itself goes to the same terminal: the two would overwrite each other.
    const drawProgress = !quiet && process.stderr.isTTY && !(toStdout && process.stdout.isTTY);
    const progress = drawProgress ? new ProgressLine(process.stderr) : undefined;
    const notice = noticeWriter("get", quiet, progress);
    const interruption = interruptOnSignals();
    const controller = interruption.controller;
    // --include writes heads to stdout; if its reader has gone (EPIPE), stop like curl does (one
    // line, exit 1) instead of dying of an unhandled 'error' event.
    let stdoutError: TcpkitError | undefined;
    const onStdoutError = (err: Error): void => {
      stdoutError ??= new TcpkitError(
        "ERR_FILE",
        `cannot write to stdout: ${systemErrorText(err)}`,
      );
      controller.abort(stdoutError);
    };
    const includeHeads = values.include || values.head;
    if (includeHeads || values["write-out"] !== undefined)
      process.stdout.on("error", onStdoutError);
    const pool = new ConnectionPool({ pipeline: values.pipeline });
    let lastPeer = "";
    const timeoutMs = values.timeout;
    const options: DownloadOptions = {
      httpVersion: values["http1.0"] ? "1.0" : "1.1",
      maxRedirects: values["max-redirects"],
      timeouts: { connectMs: timeoutMs, firstByteMs: timeoutMs, idleMs: timeoutMs },
      headers: withBasicCredentials(values.header, values.user),
      ...(values.ca !== undefined ? { ca: readCa(values.ca) } : {}),
      insecure: values.insecure,
      force: values.force,
      resume: values.continue,
      newer: values.newer,
      saveErrors: values["save-errors"],
      // Not given: 1, or as many connections as a resumed control file has segments.
      ...(given.has("segments") ? { segments: values.segments } : {}),
      retry: {
        count: values.retry,
        delayMs: values["retry-delay"],
        maxTimeMs: values["retry-max-time"],
      },
      ...(values.checksum !== undefined ? { checksum: values.checksum } : {}),
      ...etagCondition(values["etag-compare"]),
      ...(output !== undefined ? { output: toStdout ? process.stdout : output } : {}),
      pool,
      signal: controller.signal,
      onTrace: (event) => {
        lastPeer = event.peer;
        if (values.trace) process.stderr.write(traceText(event));
        if (includeHeads && event.direction === "received" && stdoutError === undefined) {
          process.stdout.write(Buffer.from(event.head, "latin1"));
        }
      },
    };
    try {
      const code = await runBatch({
        urls,
        options,
        parallel: toStdout ? 1 : values.pipeline ? Math.max(values.parallel, 8) : values.parallel,
        headOnly: values.head,
        writeOut:
          values["write-out"] === undefined ? undefined : parseWriteOut(values["write-out"]),
        etagSave: values["etag-save"],
        progress,
        notice,
        connections: () => pool.connectionsOpened,
        afterTransfer: (report) => {
          const received = report.result?.received;
          if (values.trace && received !== undefined) {
            process.stderr.write(
              formatTrace("received", "", { label: lastPeer, bodyBytes: received }),
            );
          }
        },
      });
      if (stdoutError !== undefined && code === 0) {
        // Lost after the transfers had ended (a -w line): still a failure, said once.
        process.stderr.write(errorLine(stdoutError.message));
        return EXIT_FAILURE;
      }
      return interruption.interrupted ? EXIT_INTERRUPTED : code;
    } finally {
      pool.close();
      interruption.dispose();
      // onStdoutError stays: writes still queued may fail after this, and main.ts's last-resort
      // handler would say it a second time.
    }
  },
});

function traceText(event: TraceEvent): string {
  return formatTrace(event.direction, event.head, { label: event.peer });
}
