/**
 * The HTTP-server flags of `tcpkit serve` (log, trace, TLS, limits), declared once, and their
 * translation to HttpServerOptions. The static-site flags live in static-flags.ts.
 */
import { ACCESS_LOG_FORMATS, createAccessLog, type AccessLog } from "./access-log.js";
import { flag, section, type FlagValues } from "./flags.js";
import { openLogFile } from "./log-file.js";
import { UsageError } from "./usage-error.js";
import { DEFAULT_LIMITS as D } from "../http/limits.js";
import type { HttpServerOptions } from "../http/server/server.js";
import { primaryStdout } from "../net/workers.js";

/** The server's flags, spread into the serve command's flag table. */
export const SERVER_FLAGS = {
  log: flag.choice(ACCESS_LOG_FORMATS, {
    metavar: "FORMAT",
    default: "common",
    help: `access log on stdout: ${ACCESS_LOG_FORMATS.join(", ")}`,
  }),
  "log-file": flag.text({
    metavar: "FILE",
    help: "append the access log to FILE instead of stdout; SIGHUP reopens it (logrotate)",
  }),
  trace: flag.bool({ help: "print every request and response head on stderr" }),
  "tls-cert": flag.text({
    metavar: "FILE",
    help: "serve HTTPS with this PEM certificate (needs --tls-key)",
  }),
  "tls-key": flag.text({ metavar: "FILE", help: "the certificate's PEM private key" }),
  ...section("Limits (each answered with its status; see docs/http-server.md)", {
    "max-head-bytes": flag.count({
      min: 64,
      default: D.maxHeadBytes,
      help: "request line + headers, in bytes; past it 431",
    }),
    "max-target-bytes": flag.count({
      default: D.maxTargetBytes,
      help: "request-target length; past it 414",
    }),
    "max-headers": flag.count({
      default: D.maxHeaderCount,
      help: "header fields per request; past it 431",
    }),
    "max-body-bytes": flag.count({
      min: 0,
      default: D.maxBodyBytes,
      help: "request body read and discarded; past it 413",
    }),
    "head-timeout": flag.seconds({
      default: D.headTimeoutMs,
      help: "to send a whole request head; past it 408",
    }),
    "keep-alive-timeout": flag.seconds({
      default: D.keepAliveTimeoutMs,
      help: "idle time between requests",
    }),
    "send-timeout": flag.seconds({
      default: D.sendTimeoutMs,
      help: "a response making no progress is abandoned",
    }),
    "max-requests-per-connection": flag.count({
      default: D.maxRequestsPerConnection,
      help: "the last response says Connection: close",
    }),
    "max-connections": flag.count({
      default: D.maxConnections,
      help: "concurrent connections; one more gets 503",
    }),
    "drain-timeout": flag.seconds({
      default: D.drainTimeoutMs,
      help: "on SIGINT/SIGTERM, responses in flight may take this long; then they are cut",
    }),
  }),
};

/** Server options from flags (host and port excepted), plus the access log to flush on exit. */
export function serverOptionsFrom(values: FlagValues<typeof SERVER_FLAGS>): {
  options: Omit<HttpServerOptions, "host" | "port">;
  log: AccessLog | undefined;
} {
  const cert = values["tls-cert"];
  const key = values["tls-key"];
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  const logFile = values["log-file"];
  if (logFile !== undefined && values.log === "off") {
    throw new UsageError("--log-file needs an access log: --log is off");
  }
  const log =
    values.log === "off"
      ? undefined
      : createAccessLog(
          values.log,
          logFile !== undefined ? openLogFile(logFile) : (primaryStdout() ?? process.stdout),
        );
  const options: Omit<HttpServerOptions, "host" | "port"> = {
    limits: {
      maxHeadBytes: values["max-head-bytes"],
      maxTargetBytes: values["max-target-bytes"],
      maxHeaderCount: values["max-headers"],
      maxBodyBytes: values["max-body-bytes"],
      headTimeoutMs: values["head-timeout"],
      keepAliveTimeoutMs: values["keep-alive-timeout"],
      sendTimeoutMs: values["send-timeout"],
      maxRequestsPerConnection: values["max-requests-per-connection"],
      maxConnections: values["max-connections"],
      drainTimeoutMs: values["drain-timeout"],
    },
  };
  if (cert !== undefined && key !== undefined) options.tls = { cert, key };
  if (log !== undefined) options.onExchange = log.write;
  if (values.trace) options.trace = writeTrace;
  return { options, log };
}

function writeTrace(text: string): void {
  process.stderr.write(text);
}
