/**
 * The handler `tcpkit serve` runs: the wings its flags enable, chained in the order
 * docs/ARCHITECTURE.md §2 gives (auth → proxy → live → upload → archive → static). With no
 * wing flag it is serveStatic alone, so POST, PUT and the rest get 405 exactly as before.
 *
 * Each wing adds one line here (its handler, or undefined when its flags leave it off) and
 * declares its flags in a file of its own (cli/<wing>-flags.ts), spread into serve's flags. A
 * wing's modules are loaded (dynamic import, in its *From function) only when its flags are on:
 * a plain `tcpkit serve` holds the server and the static handler alone, which is most of what
 * 10,000 idle connections cost besides the connections themselves (issue 10).
 */
import { archiveWingFrom, type ARCHIVE_FLAGS } from "./archive-flags.js";
import type { AUTH_FLAGS } from "./auth-flags.js";
import { authHandlerFrom, hostGuardFrom } from "./auth-flags.js";
import type { FlagValues } from "./flags.js";
import { liveHandler, type LIVE_FLAGS } from "./live-flags.js";
import {
  healthHandlerFrom,
  isMetricsRequest,
  metricsHandlerFrom,
  type METRICS_FLAGS,
} from "./metrics-flags.js";
import { proxyHandler, type PROXY_FLAGS } from "./proxy-flags.js";
import type { STATIC_FLAGS } from "./static-flags.js";
import { staticOptionsFrom } from "./static-flags.js";
import { routeMatches } from "../proxy/proxy-route.js";
import { uploadOptionsFrom, type UPLOAD_FLAGS } from "./upload-flags.js";
import { chain } from "../http/handler-chain.js";
import type { Handler, RequestHead } from "../http/types.js";
import type { ServerMetrics } from "../metrics/server-metrics.js";
import { secureHeaders } from "../hardening/secure-headers.js";
import { serveStatic } from "../static/serve-static.js";

/** The flags serveHandler reads: the site's and each wing's. */
export type ServeHandlerValues = FlagValues<typeof STATIC_FLAGS> &
  FlagValues<typeof AUTH_FLAGS> &
  FlagValues<typeof METRICS_FLAGS> &
  FlagValues<typeof PROXY_FLAGS> &
  FlagValues<typeof LIVE_FLAGS> &
  FlagValues<typeof ARCHIVE_FLAGS> &
  FlagValues<typeof UPLOAD_FLAGS> & { host: string; "secure-headers": boolean; workers?: number };

/** serve's handler for ROOT and the parsed flags; `metrics` are --metrics' counters. */
export async function serveHandler(
  root: string,
  values: ServeHandlerValues,
  metrics?: ServerMetrics,
): Promise<Handler> {
  const archive = await archiveWingFrom(root, values);
  const uploadOptions = uploadOptionsFrom(values);
  const upload =
    uploadOptions === undefined
      ? undefined
      : (await import("../upload/serve-upload.js")).serveUpload(root, uploadOptions);
  const listingExtras = [upload?.listingExtra, archive?.listingExtra].filter(
    (e) => e !== undefined,
  );
  const files = serveStatic(root, { ...staticOptionsFrom(values), listingExtras });
  const wings: (Handler | undefined)[] = [
    // In this order, each undefined when off:
    values["secure-headers"] ? secureHeaders() : undefined, // outermost: on every answer
    hostGuardFrom(values, values.host), // the DNS-rebinding guard, on loopback addresses
    await healthHandlerFrom(values), // before auth: probes carry no credentials
    await authHandlerFrom(values, isMetricsRequest(values), preflightsAnsweredHere(values)),
    await metricsHandlerFrom(values, metrics),
    await proxyHandler(values),
    await liveHandler(root, values),
    upload?.handler,
    archive?.handler,
  ];
  const enabled = wings.filter((h): h is Handler => h !== undefined);
  return enabled.length === 0 ? files : chain(...enabled, files);
}

/**
 * The CORS preflights serve answers itself (--cors), which auth lets pass without credentials:
 * not those under a --proxy prefix, which would reach the back end unchecked (an app that
 * answers OPTIONS as it answers GET would hand its data to anyone who adds the header).
 */
function preflightsAnsweredHere(values: ServeHandlerValues): (head: RequestHead) => boolean {
  return (head) => values.cors && !values.proxy.some((route) => routeMatches(route, head.path));
}
