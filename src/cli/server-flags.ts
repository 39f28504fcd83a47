/**
 * The HTTP-server flags of `tcpkit serve` (log, trace, TLS, limits): their parseArgs options,
 * help text, and translation to HttpServerOptions. The static-site flags live in static-flags.ts.
 */
import {
  ACCESS_LOG_FORMATS,
  createAccessLog,
  type AccessLog,
  type AccessLogFormat,
} from "./access-log.js";
import { parseCount, parseSecondsToMs } from "./args.js";
import { UsageError } from "./usage-error.js";
import { DEFAULT_LIMITS, type HttpLimits } from "../http/limits.js";
import type { HttpServerOptions } from "../http/server/server.js";

/** parseArgs option specs, spread into the serve command's options. */
export const SERVER_FLAG_OPTIONS = {
  log: { type: "string" },
  trace: { type: "boolean" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "max-head-bytes": { type: "string" },
  "max-target-bytes": { type: "string" },
  "max-headers": { type: "string" },
  "max-body-bytes": { type: "string" },
  "head-timeout": { type: "string" },
  "keep-alive-timeout": { type: "string" },
  "send-timeout": { type: "string" },
  "max-requests-per-connection": { type: "string" },
  "max-connections": { type: "string" },
} as const;

const D = DEFAULT_LIMITS;

/** Help lines for these flags. */
export const SERVER_HELP = `  --log FORMAT     access log on stdout: common (default), combined, json, off
  --trace          print every request and response head on stderr
  --tls-cert FILE  serve HTTPS with this PEM certificate (needs --tls-key)
  --tls-key FILE   the certificate's PEM private key

Limits (each answered with its status; see docs/http-server.md):
  --max-head-bytes N              request line + headers, bytes (${D.maxHeadBytes}; 431)
  --max-target-bytes N            request-target length (${D.maxTargetBytes}; 414)
  --max-headers N                 header fields per request (${D.maxHeaderCount}; 431)
  --max-body-bytes N              request body read and discarded (${D.maxBodyBytes}; 413)
  --head-timeout SECONDS          to send a whole request head (${D.headTimeoutMs / 1000}; 408)
  --keep-alive-timeout SECONDS    idle time between requests (${D.keepAliveTimeoutMs / 1000})
  --send-timeout SECONDS          a response making no progress is abandoned (${D.sendTimeoutMs / 1000})
  --max-requests-per-connection N (${D.maxRequestsPerConnection})
  --max-connections N             concurrent connections (${D.maxConnections}; 503)
`;

interface ServerFlagValues {
  log?: string | undefined;
  trace?: boolean | undefined;
  "tls-cert"?: string | undefined;
  "tls-key"?: string | undefined;
  "max-head-bytes"?: string | undefined;
  "max-target-bytes"?: string | undefined;
  "max-headers"?: string | undefined;
  "max-body-bytes"?: string | undefined;
  "head-timeout"?: string | undefined;
  "keep-alive-timeout"?: string | undefined;
  "send-timeout"?: string | undefined;
  "max-requests-per-connection"?: string | undefined;
  "max-connections"?: string | undefined;
}

/** Server options from flags (host and port excepted), plus the access log to flush on exit. */
export function serverOptionsFrom(values: ServerFlagValues): {
  options: Omit<HttpServerOptions, "host" | "port">;
  log: AccessLog | undefined;
} {
  const logFormat = parseLogFormat(values.log);
  const limits: HttpLimits = {
    maxHeadBytes: parseCount(values["max-head-bytes"], "--max-head-bytes", D.maxHeadBytes, 64),
    maxTargetBytes: parseCount(values["max-target-bytes"], "--max-target-bytes", D.maxTargetBytes),
    maxHeaderCount: parseCount(values["max-headers"], "--max-headers", D.maxHeaderCount),
    maxBodyBytes: parseCount(values["max-body-bytes"], "--max-body-bytes", D.maxBodyBytes, 0),
    headTimeoutMs: positiveMs(values["head-timeout"], "--head-timeout", D.headTimeoutMs),
    keepAliveTimeoutMs: positiveMs(
      values["keep-alive-timeout"],
      "--keep-alive-timeout",
      D.keepAliveTimeoutMs,
    ),
    sendTimeoutMs: positiveMs(values["send-timeout"], "--send-timeout", D.sendTimeoutMs),
    maxRequestsPerConnection: parseCount(
      values["max-requests-per-connection"],
      "--max-requests-per-connection",
      D.maxRequestsPerConnection,
    ),
    maxConnections: parseCount(values["max-connections"], "--max-connections", D.maxConnections),
    drainTimeoutMs: D.drainTimeoutMs,
  };
  const cert = values["tls-cert"];
  const key = values["tls-key"];
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  const log = logFormat === "off" ? undefined : createAccessLog(logFormat);
  const options: Omit<HttpServerOptions, "host" | "port"> = { limits };
  if (cert !== undefined && key !== undefined) options.tls = { cert, key };
  if (log !== undefined) options.onExchange = log.write;
  if (values.trace === true) options.trace = writeTrace;
  return { options, log };
}

function parseLogFormat(value: string | undefined): AccessLogFormat {
  if (value === undefined) return "common";
  if ((ACCESS_LOG_FORMATS as readonly string[]).includes(value)) return value as AccessLogFormat;
  throw new UsageError(`--log must be one of ${ACCESS_LOG_FORMATS.join(", ")}`);
}

function positiveMs(value: string | undefined, flag: string, fallback: number): number {
  const ms = parseSecondsToMs(value, flag, fallback);
  if (ms <= 0) throw new UsageError(`${flag} must be more than 0 seconds`);
  return ms;
}

function writeTrace(text: string): void {
  process.stderr.write(text);
}
