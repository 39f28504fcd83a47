/** `tcpkit serve [ROOT]`: the static file server (DESIGN §7). */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ACCESS_LOG_FORMATS, createAccessLog, type AccessLogFormat } from "./access-log.js";
import {
  expectPositionals,
  parseCount,
  parsePort,
  parseSecondsToMs,
  withUsageErrors,
} from "./args.js";
import type { Command } from "./command.js";
import { onShutdownSignal } from "./shutdown.js";
import {
  normaliseSpaFlag,
  STATIC_FLAG_OPTIONS,
  STATIC_HELP,
  staticOptionsFrom,
} from "./static-flags.js";
import { EXIT_OK, UsageError } from "./usage-error.js";
import { DEFAULT_LIMITS, type HttpLimits } from "../http/limits.js";
import { createHttpServer } from "../http/server.js";
import { formatUrl } from "../net/address.js";
import { serveStatic } from "../static/serve-static.js";

const D = DEFAULT_LIMITS;
const HELP = `Usage: tcpkit serve [ROOT] [OPTIONS]

Serves the files under ROOT (default: the current directory) over HTTP/1.0 and HTTP/1.1.

Options:
  --host ADDR      address to listen on (default 127.0.0.1; ::1 for IPv6, 0.0.0.0 for all)
  --port N         port (default 8080; 0 picks a free port)
  --log FORMAT     access log on stdout: common (default), combined, json, off
  --trace          print every request and response head on stderr
  --tls-cert FILE  serve HTTPS with this PEM certificate (needs --tls-key)
  --tls-key FILE   the certificate's PEM private key
  -h, --help       show this help

Files:
${STATIC_HELP}
Limits (each answered with its status; see docs/http-server.md):
  --max-head-bytes N              request line + headers, bytes (${D.maxHeadBytes}; 431)
  --max-target-bytes N            request-target length (${D.maxTargetBytes}; 414)
  --max-headers N                 header fields per request (${D.maxHeaderCount}; 431)
  --max-body-bytes N              request body read and discarded (${D.maxBodyBytes}; 413)
  --head-timeout SECONDS          to send a whole request head (${D.headTimeoutMs / 1000}; 408)
  --keep-alive-timeout SECONDS    idle time between requests (${D.keepAliveTimeoutMs / 1000})
  --max-requests-per-connection N (${D.maxRequestsPerConnection})
  --max-connections N             concurrent connections (${D.maxConnections}; 503)

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 cannot listen or bad TLS files, 2 usage error.
`;

export const serveCommand: Command = {
  name: "serve",
  summary: "serve a directory over HTTP/1.0 and HTTP/1.1",
  help: HELP,
  async run(argv) {
    const { values, positionals } = withUsageErrors(() =>
      parseArgs({
        args: normaliseSpaFlag(argv),
        allowPositionals: true,
        strict: true,
        options: {
          host: { type: "string" },
          port: { type: "string" },
          ...STATIC_FLAG_OPTIONS,
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
          "max-requests-per-connection": { type: "string" },
          "max-connections": { type: "string" },
        },
      }),
    );
    expectPositionals(positionals, 1, "serve");
    const root = resolve(positionals[0] ?? ".");
    const host = values.host ?? "127.0.0.1";
    const port = parsePort(values.port, "--port", 8080);
    const site = serveStatic(root, staticOptionsFrom(values));
    const logFormat = parseLogFormat(values.log);
    const limits: HttpLimits = {
      maxHeadBytes: parseCount(values["max-head-bytes"], "--max-head-bytes", D.maxHeadBytes, 64),
      maxTargetBytes: parseCount(
        values["max-target-bytes"],
        "--max-target-bytes",
        D.maxTargetBytes,
      ),
      maxHeaderCount: parseCount(values["max-headers"], "--max-headers", D.maxHeaderCount),
      maxBodyBytes: parseCount(values["max-body-bytes"], "--max-body-bytes", D.maxBodyBytes, 0),
      headTimeoutMs: positiveMs(values["head-timeout"], "--head-timeout", D.headTimeoutMs),
      keepAliveTimeoutMs: positiveMs(
        values["keep-alive-timeout"],
        "--keep-alive-timeout",
        D.keepAliveTimeoutMs,
      ),
      maxRequestsPerConnection: parseCount(
        values["max-requests-per-connection"],
        "--max-requests-per-connection",
        D.maxRequestsPerConnection,
      ),
      maxConnections: parseCount(values["max-connections"], "--max-connections", D.maxConnections),
      drainTimeoutMs: D.drainTimeoutMs,
    };
    const tlsCert = values["tls-cert"];
    const tlsKey = values["tls-key"];
    if ((tlsCert === undefined) !== (tlsKey === undefined)) {
      throw new UsageError("--tls-cert and --tls-key go together");
    }
    const log = logFormat === "off" ? undefined : createAccessLog(logFormat);
    const server = createHttpServer(
      {
        host,
        port,
        limits,
        ...(tlsCert !== undefined && tlsKey !== undefined
          ? { tls: { cert: tlsCert, key: tlsKey } }
          : {}),
        ...(log !== undefined ? { onExchange: log.write } : {}),
        ...(values.trace === true ? { trace: writeTrace } : {}),
      },
      site,
    );
    const bound = await server.listen();
    const scheme = server.secure ? "https" : "http";
    process.stdout.write(
      `tcpkit serve: listening on ${formatUrl(scheme, bound.host, bound.port)} (root ${root})\n`,
    );
    onShutdownSignal(async () => {
      await server.close();
      log?.flush();
    });
    return new Promise<number>(() => EXIT_OK);
  },
};

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
