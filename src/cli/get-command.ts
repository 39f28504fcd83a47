/** `tcpkit get URL`: download a URL like wget, on tcpkit's own HTTP client (DESIGN §6, §7). */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { defineCommand } from "./command.js";
import { errorLine, systemErrorText } from "./error-line.js";
import { checkedBy, flag } from "./flags.js";
import { ProgressLine } from "./progress-line.js";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "./usage-error.js";
import { download, type DownloadOptions } from "../client/download.js";
import { DEFAULT_MAX_REDIRECTS, DEFAULT_TIMEOUT_MS, type TraceEvent } from "../client/http-get.js";
import { parseRequestUrl } from "../client/request-url.js";
import { parseFieldArgument } from "../http/header-fields.js";
import { formatTrace } from "../http/trace-format.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** Exit code for an HTTP status >= 400 (the response arrived, but it is an error). */
export const EXIT_HTTP_STATUS = 3;

/** The `get` command: flags to download() options, progress and notes on stderr, exit codes. */
export const getCommand = defineCommand({
  usage: "URL [OPTIONS]",
  description: `Downloads URL (http or https; IPv6 literals as http://[::1]:8080/) over HTTP/1.1, following
redirects, and saves the body to a file named after the last path segment of the URL
(index.html for a path ending in /). An existing file is never overwritten: the next free
name NAME.1, NAME.2 ... is used and reported. The body is written to NAME.part and renamed
when complete; if the transfer fails or is interrupted (Ctrl-C), NAME.part is kept with
every byte received (resume it with -c).`,
  flags: {
    output: flag.text({
      short: "o",
      metavar: "FILE",
      help: "save to FILE (overwritten if it exists); '-' writes to stdout",
    }),
    "http1.0": flag.bool({ short: "0", help: "send an HTTP/1.0 request" }),
    include: flag.bool({ short: "i", help: "print the response head(s) on stdout" }),
    continue: flag.bool({
      short: "c",
      help:
        "resume NAME.part (or NAME) with Range + If-Range; restarts from the beginning, and " +
        "says so, when the server ignores the range or the file changed",
    }),
    force: flag.bool({ help: "overwrite an existing file instead of choosing NAME.1" }),
    "max-redirects": flag.count({
      min: 0,
      default: DEFAULT_MAX_REDIRECTS,
      help: "redirects to follow; 0: none",
    }),
    timeout: flag.seconds({
      default: DEFAULT_TIMEOUT_MS,
      help: "limit for each phase: connect, first response byte, idle between reads",
    }),
    header: flag.list({
      short: "H",
      metavar: "'N: V'",
      help:
        "add a request header; Authorization, Proxy-Authorization and Cookie are not sent on " +
        "to another host, port or scheme",
      convert: (text, name) => checkedBy(name, () => parseFieldArgument(text)),
    }),
    "save-errors": flag.bool({
      help: "save the body of an HTTP error response too (exit code still 3)",
    }),
    ca: flag.text({
      metavar: "FILE",
      help: "trust the PEM certificate(s) in FILE for https (e.g. a test server's)",
    }),
    insecure: flag.bool({
      short: "k",
      help: "do not verify the https server's certificate (testing only)",
    }),
    trace: flag.bool({
      help: 'print request and response heads on stderr ("> " sent, "< " received)',
    }),
    quiet: flag.bool({
      short: "q",
      help: "no progress line and no notes on stderr (errors are still printed)",
    }),
  },
  maxPositionals: 1,
  notes: `Progress (bytes, percent, rate, ETA) is one line redrawn on stderr when stderr is a terminal.

Exit codes:
  0  saved
  1  network or protocol error (refused, timeout, malformed response, body shorter than its
     Content-Length or a malformed chunk, too many redirects or a loop) or a file error
  2  usage error
  3  HTTP status >= 400 (the body is saved only with --save-errors)`,
  examples: [
    ["tcpkit get http://127.0.0.1:8080/big.iso", "saves big.iso (or big.iso.1 if it exists)"],
    ["tcpkit get -c http://127.0.0.1:8080/big.iso", "resumes big.iso.part after an interruption"],
    ["tcpkit get -o - -q https://example.com/ | less", "the body on stdout"],
    ["tcpkit get -i -o /dev/null http://[::1]:8080/", "the response head only"],
  ],
  async run({ values, positionals }) {
    const url = positionals[0];
    if (url === undefined) throw new UsageError("a URL is required");
    try {
      parseRequestUrl(url);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const toStdout = values.output === "-";
    if (toStdout && values.continue) throw new UsageError("-c cannot resume to stdout");
    const timeoutMs = values.timeout;
    const quiet = values.quiet;
    const notice = (message: string): void => {
      if (!quiet) process.stderr.write(`tcpkit get: ${message}\n`);
    };
    // Not when the body itself goes to the same terminal: the two would overwrite each other.
    const drawProgress = !quiet && process.stderr.isTTY && !(toStdout && process.stdout.isTTY);
    const progress = drawProgress ? new ProgressLine(process.stderr) : undefined;
    let body: NodeJS.ReadableStream | undefined;
    let lastPeer = "";
    let interrupted = false;
    const onInterrupt = (): void => {
      // Stop cleanly so the partial file gets its Last-Modified stamp and can be resumed.
      interrupted = true;
      (body as { destroy?: (err: Error) => void } | undefined)?.destroy?.(
        new TcpkitError("ERR_CONNECTION_CLOSED", "interrupted"),
      );
      if (body === undefined) process.exit(130);
    };
    process.once("SIGINT", onInterrupt);
    process.once("SIGTERM", onInterrupt);
    // -i writes heads to stdout; if its reader has gone (EPIPE), stop like curl does (one line,
    // exit 1) instead of dying of an unhandled 'error' event.
    let stdoutError: TcpkitError | undefined;
    const onStdoutError = (err: Error): void => {
      stdoutError ??= new TcpkitError(
        "ERR_FILE",
        `cannot write to stdout: ${systemErrorText(err)}`,
      );
      (body as { destroy?: (err: Error) => void } | undefined)?.destroy?.(stdoutError);
    };
    if (values.include) process.stdout.on("error", onStdoutError);

    const options: DownloadOptions = {
      httpVersion: values["http1.0"] ? "1.0" : "1.1",
      maxRedirects: values["max-redirects"],
      timeouts: { connectMs: timeoutMs, firstByteMs: timeoutMs, idleMs: timeoutMs },
      headers: values.header,
      ...(values.ca !== undefined ? { ca: readCa(values.ca) } : {}),
      insecure: values.insecure,
      force: values.force,
      resume: values.continue,
      saveErrors: values["save-errors"],
      ...(values.output !== undefined ? { output: toStdout ? process.stdout : values.output } : {}),
      onTrace: (event) => {
        lastPeer = event.peer;
        if (values.trace) process.stderr.write(traceText(event));
        if (values.include && event.direction === "received" && !stdoutError) {
          process.stdout.write(Buffer.from(event.head, "latin1"));
        }
      },
      onResponse: (response) => {
        body = response.body;
        if (stdoutError !== undefined) response.body.destroy(stdoutError);
      },
      onProgress: (p) => progress?.update(p),
      onNotice: notice,
    };
    try {
      const result = await download(url, options);
      progress?.finish();
      if (stdoutError !== undefined) throw stdoutError;
      if (values.trace) {
        process.stderr.write(
          formatTrace("received", "", { label: lastPeer, bodyBytes: result.received }),
        );
      }
      if (result.path !== undefined) {
        const rel = relative(process.cwd(), result.path);
        const shown = rel === "" || rel.startsWith("..") ? result.path : rel;
        if (result.resume === "already-complete") notice(`${shown}: nothing to do`);
        else
          notice(
            `saved ${shown} (${result.size} bytes${result.resume === "resumed" ? `, ${result.received} new` : ""})`,
          );
      }
      return EXIT_OK;
    } catch (err) {
      progress?.finish();
      if (!(err instanceof TcpkitError)) throw err;
      process.stderr.write(errorLine(err.message));
      if (interrupted) return EXIT_FAILURE;
      return err.code === "ERR_HTTP_STATUS" ? EXIT_HTTP_STATUS : EXIT_FAILURE;
    } finally {
      process.off("SIGINT", onInterrupt);
      process.off("SIGTERM", onInterrupt);
      process.stdout.off("error", onStdoutError);
    }
  },
});

function traceText(event: TraceEvent): string {
  return formatTrace(event.direction, event.head, { label: event.peer });
}

function readCa(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new TcpkitError("ERR_TLS_CONFIG", `cannot read --ca ${path}: ${(err as Error).message}`);
  }
}
