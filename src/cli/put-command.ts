/**
 * `tcpkit put FILE URL`: upload a file with PUT, as curl -T does, or resumably (the IETF draft
 * `tcpkit serve --upload` implements) so that `-c` can finish an upload a dropped connection or a
 * killed run cut off. Flags → upload() options; progress, notes and the exit code as `get`.
 */
import { defineCommand } from "./command.js";
import { byteCountFlag } from "./echo-values.js";
import { errorLine } from "./error-line.js";
import { checkedBy, flag } from "./flags.js";
import { EXIT_INTERRUPTED, exitCodeOf } from "./get-batch.js";
import { ProgressLine } from "./progress-line.js";
import {
  interruptOnSignals,
  noticeWriter,
  readCa,
  OUTPUT_FLAGS,
  TRUST_FLAGS,
  urlArgument,
  USER_FLAG,
  withBasicCredentials,
} from "./client-flags.js";
import { EXIT_OK, UsageError } from "./usage-error.js";
import { DEFAULT_TIMEOUT_MS } from "../client/http-get.js";
import { resumableAfter, targetUrl, upload, type PutOptions } from "../client/upload.js";
import { parseFieldArgument } from "../http/header-fields.js";
import { formatTrace } from "../http/trace-format.js";
import { formatSize } from "../util/format.js";
import { TcpkitError } from "../util/tcpkit-error.js";
import { stdinStream } from "./stdin-stream.js";

export const putCommand = defineCommand({
  usage: "FILE URL [OPTIONS]",
  description: `Uploads FILE to URL with PUT (as curl -T does); a URL ending in / gets FILE's name appended.
The body is the file's bytes with its Content-Length, read from disk as the connection takes
them. FILE '-' reads stdin and sends it chunked (HTTP/1.1), as curl -T - does. With
--resumable (or -c) the upload uses the IETF resumable-upload protocol that tcpkit serve
--upload speaks: if the connection drops or the run is killed, 'tcpkit put -c FILE URL' asks
the server how much it has and sends the rest.`,
  flags: {
    resumable: flag.bool({
      short: "r",
      help: "upload resumably (draft-ietf-httpbis-resumable-upload); the upload's URL is remembered until it completes",
    }),
    continue: flag.bool({
      short: "c",
      help: "resume the interrupted resumable upload of FILE to URL (asks the server for its offset); starts one if there is none",
    }),
    "http1.0": flag.bool({
      short: "0",
      help: "send an HTTP/1.0 request (a file only, not resumable)",
    }),
    header: flag.list({
      short: "H",
      metavar: "'N: V'",
      help: "add a request header (e.g. Content-Type; the body's framing fields are tcpkit's)",
      convert: (text, name) => checkedBy(name, () => parseFieldArgument(text)),
    }),
    ...USER_FLAG,
    retry: flag.count({
      min: 0,
      default: 0,
      help: "retry transient failures N times: a resumable upload resumes, a plain one starts over",
    }),
    "retry-delay": flag.seconds({
      default: 1000,
      help: "first wait before a retry, doubled each time, with jitter (Retry-After wins)",
    }),
    "limit-rate": flag.custom({
      metavar: "BYTES",
      help: "send at most BYTES a second (64K, 2M), as curl --limit-rate",
      convert: (text, name) => byteCountFlag(text, name),
    }),
    timeout: flag.seconds({
      default: DEFAULT_TIMEOUT_MS,
      help: "limit for each phase: connect, the server not taking body bytes, the response after the body, idle between reads",
    }),
    ...TRUST_FLAGS,
    ...OUTPUT_FLAGS,
  },
  notes: `Progress (bytes, percent, rate, ETA) is one line redrawn on stderr when stderr is a terminal;
the final line says where the file went and the status (201 created, 204 replaced).

A resumable upload's URL (the server's Location in its 104 answer) is remembered in a small file
in $TCPKIT_STATE_DIR, else $XDG_STATE_HOME/tcpkit/uploads, else ~/.local/state/tcpkit/uploads,
and removed once the upload is complete or refused for good (a 401, 407, 408, 429 or 5xx answer
keeps it for -c). -c with a file changed since starts it again.

Exit codes:
  0    uploaded (2xx)
  1    network or protocol error, a file error, or a redirect (uploads are not redirected)
  2    usage error
  3    HTTP status >= 400 (e.g. 409 the name exists, 413 too large, 405 uploads are off)
  130  interrupted (Ctrl-C); a resumable upload can be resumed with -c`,
  examples: [
    ["tcpkit put report.pdf http://127.0.0.1:8080/incoming/", "201 Created as incoming/report.pdf"],
    [
      "tcpkit put -c disk.img http://127.0.0.1:8080/incoming/disk.img",
      "resumable; after a cut, the same line sends the rest",
    ],
  ],
  async run({ values, positionals }) {
    const [file, ...rest] = positionals;
    if (file === undefined) throw new UsageError("a FILE (or - for stdin) and a URL are required");
    const url = urlArgument(rest);
    if (rest.length > 1) throw new UsageError(`one FILE and one URL, not '${rest[1]}' as well`);
    const fromStdin = file === "-";
    const resumable = values.resumable || values.continue;
    if (fromStdin && resumable) {
      throw new UsageError("stdin cannot be uploaded resumably: it cannot be read again");
    }
    if (fromStdin && values["http1.0"]) {
      throw new UsageError("stdin is sent chunked, which needs HTTP/1.1 (drop -0)");
    }
    if (resumable && values["http1.0"]) {
      throw new UsageError("resumable uploads need HTTP/1.1 (drop -0)");
    }
    try {
      targetUrl(url, fromStdin ? undefined : file);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const headers = withBasicCredentials(values.header, values.user);
    const quiet = values.quiet || values.silent;
    const progress = !quiet && process.stderr.isTTY ? new ProgressLine(process.stderr) : undefined;
    const notice = noticeWriter("put", quiet, progress);
    const interruption = interruptOnSignals();
    const timeoutMs = values.timeout;
    const options: PutOptions = {
      resumable,
      resume: values.continue,
      httpVersion: values["http1.0"] ? "1.0" : "1.1",
      headers,
      timeouts: { connectMs: timeoutMs, firstByteMs: timeoutMs, idleMs: timeoutMs },
      retry: { count: values.retry, delayMs: values["retry-delay"] },
      ...(values["limit-rate"] !== undefined ? { bytesPerSecond: values["limit-rate"] } : {}),
      ...(values.ca !== undefined ? { ca: readCa(values.ca) } : {}),
      insecure: values.insecure,
      signal: interruption.controller.signal,
      onNotice: notice,
      ...(progress !== undefined
        ? {
            onProgress: (p) =>
              progress.update({ received: p.sent, offset: p.offset, total: p.total }),
          }
        : {}),
      ...(values.trace
        ? {
            onTrace: (event) =>
              process.stderr.write(formatTrace(event.direction, event.head, { label: event.peer })),
          }
        : {}),
    };
    try {
      const result = await upload(fromStdin ? stdinStream() : file, url, options);
      progress?.finish();
      const how = result.status === 201 ? "created" : "stored";
      const resumed = result.offset > 0 ? `, resumed at byte ${result.offset}` : "";
      notice(
        `${result.url}: ${result.status} ${result.reason} (${how}, ${formatSize(result.size)}${resumed})`,
      );
      return EXIT_OK;
    } catch (err) {
      progress?.finish();
      if (!(err instanceof TcpkitError)) throw err;
      if (interruption.interrupted) {
        const hint = resumable ? `; resume with: tcpkit put -c ${file} ${url}` : "";
        process.stderr.write(errorLine(`interrupted${hint}`));
        return EXIT_INTERRUPTED;
      }
      const code = exitCodeOf(err);
      // A status such as 401 or 503 leaves the upload on the server, and its record here.
      const canResume = resumable && resumableAfter(err);
      const hint = canResume ? ` (resume with: tcpkit put -c ${file} ${url})` : "";
      process.stderr.write(errorLine(`${err.message}${hint}`));
      return code;
    } finally {
      interruption.dispose();
    }
  },
});
