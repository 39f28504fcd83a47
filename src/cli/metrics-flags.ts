/**
 * The operating flags of `tcpkit serve` (--health, --metrics) and the metrics wing they build
 * (src/metrics/): the endpoints' handlers, and the counters fed by the server's onExchange. The
 * wing's modules are loaded only when one of its flags is given.
 */
import { flag, section, type FlagValues } from "./flags.js";
import { UsageError } from "./usage-error.js";
import type { HttpServer, HttpServerOptions } from "../http/server/server.js";
import { defaultHandlerError } from "../http/server/server.js";
import type { Handler, RequestHead } from "../http/types.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import { workerNumber } from "../net/workers.js";

// An absolute path of unreserved and sub-delim characters: compared with the request's path as
// sent, so it must be one a client sends unchanged (no query, no percent-encoding).
const ENDPOINT_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/;

function endpointPath(text: string, name: string): string {
  if (!ENDPOINT_PATH.test(text)) {
    throw new UsageError(`${name} must be a path such as /healthz, not '${text}'`);
  }
  return text;
}

/** The operating flags, spread into the serve command's flag table. */
export const METRICS_FLAGS = section("Operating", {
  health: flag.custom({
    metavar: "PATH",
    help: "answer GET PATH with 200 ok while serving, 503 once stopping (no credentials needed)",
    convert: endpointPath,
  }),
  metrics: flag.custom({
    metavar: "PATH",
    help: "Prometheus metrics at PATH (behind --auth when it is on)",
    convert: endpointPath,
  }),
  "secure-headers": flag.bool({
    help: "nosniff, X-Frame-Options DENY, frame-ancestors 'none', Referrer-Policy no-referrer; HSTS over TLS",
  }),
});

type MetricsValues = FlagValues<typeof METRICS_FLAGS>;

/** The health endpoint, first in the chain (before auth), or undefined. */
export async function healthHandlerFrom(values: MetricsValues): Promise<Handler | undefined> {
  if (values.health === undefined) return undefined;
  // Health comes first in the chain: on one path, metrics would never be answered.
  if (values.health === values.metrics) {
    throw new UsageError(`--health and --metrics cannot both be ${values.health}`);
  }
  const { healthEndpoint } = await import("../metrics/endpoints.js");
  return healthEndpoint(values.health);
}

/** Whether a request is for the metrics endpoint (auth protects it whatever its scope). */
export function isMetricsRequest(values: MetricsValues): (head: RequestHead) => boolean {
  const path = values.metrics;
  return (head) => path !== undefined && head.path === path;
}

/** The metrics endpoint, after auth, or undefined. */
export async function metricsHandlerFrom(
  values: MetricsValues,
  metrics: ServerMetrics | undefined,
): Promise<Handler | undefined> {
  if (values.metrics === undefined || metrics === undefined) return undefined;
  const { metricsEndpoint } = await import("../metrics/endpoints.js");
  return metricsEndpoint(values.metrics, metrics);
}

/**
 * The counters for --metrics, hooked into the server options (onExchange beside the access
 * log, onHandlerError beside its stderr line), or undefined without the flag. Call
 * `attach(server)` once the server exists, for the connection gauges.
 */
export async function metricsFrom(
  values: MetricsValues,
  options: Omit<HttpServerOptions, "host" | "port">,
): Promise<{ metrics: ServerMetrics; attach(server: HttpServer): void } | undefined> {
  if (values.metrics === undefined) return undefined;
  const { ServerMetrics } = await import("../metrics/server-metrics.js");
  const worker = workerNumber();
  const metrics = new ServerMetrics(worker === undefined ? [] : [["worker", String(worker)]]);
  const log = options.onExchange;
  options.onExchange =
    log === undefined
      ? metrics.record
      : (r) => {
          log(r);
          metrics.record(r);
        };
  const reported = options.onHandlerError ?? defaultHandlerError;
  options.onHandlerError = (err) => {
    metrics.handlerError();
    reported(err);
  };
  return {
    metrics,
    attach: (server) =>
      metrics.useGauges({
        connectionsOpen: () => server.connectionCount,
        connectionsAccepted: () => server.connectionsAccepted,
      }),
  };
}
