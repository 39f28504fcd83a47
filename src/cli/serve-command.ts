/** `tcpkit serve [ROOT]`: the static file server (DESIGN §7). */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { defineCommand } from "./command.js";
import { listenFlags } from "./listen-flags.js";
import { SERVER_FLAGS, serverOptionsFrom } from "./server-flags.js";
import { onShutdownSignal } from "./shutdown.js";
import { serveHandler } from "./serve-handler.js";
import { STATIC_FLAGS } from "./static-flags.js";
import { EXIT_OK, UsageError } from "./usage-error.js";
import { runWorkerPrimary, WORKERS_FLAG } from "./workers-flag.js";
import { createHttpServer } from "../http/server/server.js";
import { formatUrl } from "../net/address.js";
import { isWorkerProcess, leaveClusterOnFailure, stopWhenPrimaryAsks } from "../net/workers.js";
import { keepYoungGenerationSmall } from "../util/runtime-tuning.js";

/** The `serve` command: flags to serveStatic and server options, one readiness line, stop on a signal. */
export const serveCommand = defineCommand({
  usage: "[ROOT] [OPTIONS]",
  description:
    "Serves the files under ROOT (default: the current directory) over HTTP/1.0 and HTTP/1.1.",
  flags: { ...listenFlags(8080), ...WORKERS_FLAG, ...SERVER_FLAGS, ...STATIC_FLAGS },
  maxPositionals: 1,
  notes:
    "Exit codes: 0 stopped by SIGINT/SIGTERM, 1 cannot listen or bad TLS files, 2 usage error.",
  examples: [
    ["tcpkit serve ./public", "http://127.0.0.1:8080/"],
    ["tcpkit serve . --port 0 --log json --trace", "a free port, JSON log, heads on stderr"],
    ["tcpkit serve dist --spa --compress --host 0.0.0.0", "a single-page app, on every interface"],
    ["tcpkit serve . --tls-cert cert.pem --tls-key key.pem", "HTTPS"],
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
    const { host, port } = values;
    const { options, log } = serverOptionsFrom(values);
    const scheme = options.tls === undefined ? "http" : "https";
    const readiness = (h: string, p: number): string =>
      `tcpkit serve: listening on ${formatUrl(scheme, h, p)} (root ${root})\n`;
    keepYoungGenerationSmall();
    const { workers } = values;
    if (workers > 1 && !isWorkerProcess()) return runWorkerPrimary(workers, readiness);
    const { server, bound } = await leaveClusterOnFailure(async () => {
      const server = createHttpServer(
        { ...options, host, port, reclaimReadBuffers: true },
        serveHandler(root, values),
      );
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
