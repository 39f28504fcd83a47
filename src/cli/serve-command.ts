/** `tcpkit serve [ROOT]`: the static file server (DESIGN §7). */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ARCHIVE_FLAGS } from "./archive-flags.js";
import { AUTH_FLAGS, authWarning } from "./auth-flags.js";
import { defineCommand } from "./command.js";
import { listenFlags } from "./listen-flags.js";
import { METRICS_FLAGS, metricsFrom } from "./metrics-flags.js";
import { REACH_FLAGS, readinessText, servePort } from "./reach-flags.js";
import { SERVER_FLAGS, serverOptionsFrom } from "./server-flags.js";
import { LIVE_FLAGS } from "./live-flags.js";
import { browserUrl, OPEN_FLAG, openInBrowser } from "./open-flag.js";
import { PROXY_FLAGS } from "./proxy-flags.js";
import { onShutdownSignal } from "./shutdown.js";
import { serveHandler } from "./serve-handler.js";
import { STATIC_FLAGS } from "./static-flags.js";
import { applyTlsAuto, TLS_AUTO_FLAGS } from "./tls-auto-flags.js";
import { UPLOAD_FLAGS } from "./upload-flags.js";
import { EXIT_OK, UsageError } from "./usage-error.js";
import { runWorkerPrimary, WORKERS_FLAG } from "./workers-flag.js";
import { secureHeaderLines } from "../hardening/secure-headers.js";
import { createHttpServer } from "../http/server/server.js";
import {
  isWorkerProcess,
  leaveClusterOnFailure,
  relayToWorkers,
  stopWhenPrimaryAsks,
} from "../net/workers.js";
import { keepYoungGenerationSmall } from "../util/runtime-tuning.js";

/** The `serve` command: flags to serveStatic and server options, one readiness line, stop on a signal. */
export const serveCommand = defineCommand({
  usage: "[ROOT] [OPTIONS]",
  description:
    "Serves the files under ROOT (default: the current directory) over HTTP/1.0 and HTTP/1.1.",
  flags: {
    ...listenFlags(8080),
    ...WORKERS_FLAG,
    ...SERVER_FLAGS,
    ...TLS_AUTO_FLAGS,
    ...STATIC_FLAGS,
    ...PROXY_FLAGS,
    ...LIVE_FLAGS,
    ...OPEN_FLAG,
    ...ARCHIVE_FLAGS,
    ...UPLOAD_FLAGS,
    ...REACH_FLAGS,
    ...AUTH_FLAGS,
    ...METRICS_FLAGS,
  },
  maxPositionals: 1,
  notes:
    "Exit codes: 0 stopped by SIGINT/SIGTERM, 1 cannot listen or bad TLS files, 2 usage error.",
  examples: [
    ["tcpkit serve ./public --port 8080", "http://127.0.0.1:8080/"],
    ["tcpkit serve . --port 0 --log json --trace", "a free port, JSON log, heads on stderr"],
    ["tcpkit serve dist --spa --compress --host 0.0.0.0", "a single-page app, on every interface"],
    ["tcpkit serve . --tls-cert cert.pem --tls-key key.pem --port 8443", "HTTPS"],
    ["tcpkit serve . --tls auto", "HTTPS on localhost, certificate made once"],
    ["tcpkit serve dist --spa --proxy /api=http://127.0.0.1:3000", "/api/... to a back end"],
    ["tcpkit serve site --live", "pages reload when a file changes"],
  ],
  async run({ values, positionals }) {
    const root = resolve(positionals[0] ?? ".");
    const given = positionals[0];
    // `serve 8000`, as python -m http.server and http-server take a port: a bare number that is
    // no folder here was meant as one.
    if (given !== undefined && /^\d{1,5}$/.test(given) && !existsSync(root)) {
      throw new UsageError(`there is no folder '${given}'; did you mean --port ${given}?`, {
        seeHelp: false,
      });
    }
    const { host } = values;
    const port = servePort(values.port);
    const { options, log } = serverOptionsFrom(values);
    const printCa = await applyTlsAuto(values, options);
    if (printCa !== undefined) {
      process.stdout.write(printCa);
      return EXIT_OK;
    }
    const scheme = options.tls === undefined ? "http" : "https";
    const readiness = (h: string, p: number): string => {
      if (values.open) openInBrowser(browserUrl(scheme, h, p));
      return readinessText(scheme, root, h, p, values.qr);
    };
    // A proxy allocates more per request (two heads parsed, two built): 4 MiB semi-spaces.
    keepYoungGenerationSmall(values.proxy.length > 0 ? 4 : 1);
    const warning = isWorkerProcess() ? undefined : authWarning(values, host, scheme === "https");
    if (warning !== undefined) process.stderr.write(warning);
    const { workers } = values;
    if (workers > 1 && !isWorkerProcess()) {
      // Each worker appends to --log-file and reads --auth-file itself; logrotate (or whoever
      // changed the users) signals the primary.
      if (values["log-file"] !== undefined || values["auth-file"] !== undefined) {
        relayToWorkers("SIGHUP");
      }
      return runWorkerPrimary(workers, readiness, values["drain-timeout"]);
    }
    const { server, bound } = await leaveClusterOnFailure(async () => {
      const counted = await metricsFrom(values, options);
      // --secure-headers also on the answers no handler makes (serve-handler.ts wraps the rest).
      const own = values["secure-headers"] ? secureHeaderLines(options.tls !== undefined) : "";
      const server = createHttpServer(
        { ...options, host, port, reclaimReadBuffers: true, ownAnswerHeaders: own },
        await serveHandler(root, values, counted?.metrics),
      );
      counted?.attach(server);
      return { server, bound: await server.listen() };
    });
    const stop = async (): Promise<void> => {
      await server.close();
      log?.flush();
    };
    // in a worker the primary prints the one readiness line and owns the signals
    if (isWorkerProcess()) stopWhenPrimaryAsks(stop);
    else {
      // Before the readiness line: a script may signal as soon as it reads it.
      onShutdownSignal(stop);
      process.stdout.write(readiness(bound.host, bound.port));
    }
    return new Promise<number>(() => EXIT_OK);
  },
});
