/** `tcpkit serve [ROOT]`: the static file server (DESIGN §7). */
import { resolve } from "node:path";
import { expectPositionals, parsePort, parseFlags } from "./args.js";
import type { Command } from "./command.js";
import { SERVER_FLAG_OPTIONS, SERVER_HELP, serverOptionsFrom } from "./server-flags.js";
import { onShutdownSignal } from "./shutdown.js";
import {
  normaliseSpaFlag,
  STATIC_FLAG_OPTIONS,
  STATIC_HELP,
  staticOptionsFrom,
} from "./static-flags.js";
import { EXIT_OK } from "./usage-error.js";
import {
  parseWorkersFlag,
  runWorkerPrimary,
  WORKERS_FLAG_OPTION,
  WORKERS_HELP,
} from "./workers-flag.js";
import { createHttpServer } from "../http/server/server.js";
import { formatUrl } from "../net/address.js";
import { isWorkerProcess, leaveClusterOnFailure, stopWhenPrimaryAsks } from "../net/workers.js";
import { serveStatic } from "../static/serve-static.js";
import { keepYoungGenerationSmall } from "../util/runtime-tuning.js";

const HELP = `Usage: tcpkit serve [ROOT] [OPTIONS]

Serves the files under ROOT (default: the current directory) over HTTP/1.0 and HTTP/1.1.

Options:
  --host ADDR      address to listen on (default 127.0.0.1; ::1 for IPv6, 0.0.0.0 for all)
  --port N         port (default 8080; 0 picks a free port)
${SERVER_HELP}${WORKERS_HELP}  -h, --help       show this help

Files:
${STATIC_HELP}
Exit codes: 0 stopped by SIGINT/SIGTERM, 1 cannot listen or bad TLS files, 2 usage error.
`;

/** The `serve` command: flags to serveStatic and server options, one readiness line, stop on a signal. */
export const serveCommand: Command = {
  name: "serve",
  summary: "serve a directory over HTTP/1.0 and HTTP/1.1",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseFlags(normaliseSpaFlag(argv), {
      host: { type: "string" },
      port: { type: "string" },
      ...SERVER_FLAG_OPTIONS,
      ...STATIC_FLAG_OPTIONS,
      ...WORKERS_FLAG_OPTION,
    });
    expectPositionals(positionals, 1, "serve");
    const root = resolve(positionals[0] ?? ".");
    const host = values.host ?? "127.0.0.1";
    const port = parsePort(values.port, "--port", 8080);
    const { options, log } = serverOptionsFrom(values);
    const scheme = options.tls === undefined ? "http" : "https";
    const readiness = (h: string, p: number): string =>
      `tcpkit serve: listening on ${formatUrl(scheme, h, p)} (root ${root})\n`;
    keepYoungGenerationSmall();
    const workers = parseWorkersFlag(values.workers);
    if (workers > 1 && !isWorkerProcess()) return runWorkerPrimary(workers, readiness);
    const { server, bound } = await leaveClusterOnFailure(async () => {
      const server = createHttpServer(
        { ...options, host, port, reclaimReadBuffers: true },
        serveStatic(root, staticOptionsFrom(values)),
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
};
