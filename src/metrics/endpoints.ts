/**
 * The two operating endpoints of the metrics wing, each a handler that answers GET and HEAD of
 * its one path and passes everything else on: health (200 `ok` while serving, 503 `draining`
 * once a graceful stop began; it reveals nothing else) and the Prometheus text of a
 * ServerMetrics. Neither may be cached.
 */
import { PROMETHEUS_CONTENT_TYPE } from "./prometheus-text.js";
import type { ServerMetrics } from "./server-metrics.js";
import type { Handler, ResponsePlan } from "../http/types.js";

const NO_STORE = "Cache-Control: no-store\r\n";
const TEXT = `Content-Type: text/plain; charset=utf-8\r\n${NO_STORE}`;
const OK: ResponsePlan = {
  status: 200,
  headers: TEXT,
  body: { kind: "bytes", bytes: Buffer.from("ok\n") },
};
const DRAINING: ResponsePlan = {
  status: 503,
  headers: TEXT,
  body: { kind: "bytes", bytes: Buffer.from("draining\n") },
  close: true,
};

function isRead(method: string): boolean {
  return method === "GET" || method === "HEAD";
}

/** The health endpoint at `path`. */
export function healthEndpoint(path: string): Handler {
  return (head, context, next) => {
    if (head.path !== path || !isRead(head.method)) return next();
    return context.draining.aborted ? DRAINING : OK;
  };
}

/** The metrics endpoint at `path`. */
export function metricsEndpoint(path: string, metrics: ServerMetrics): Handler {
  const headers = `Content-Type: ${PROMETHEUS_CONTENT_TYPE}\r\n${NO_STORE}`;
  return (head, _context, next) => {
    if (head.path !== path || !isRead(head.method)) return next();
    return { status: 200, headers, body: { kind: "bytes", bytes: Buffer.from(metrics.render()) } };
  };
}
