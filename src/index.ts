/**
 * tcpkit's library API. Everything the CLI does is available here, typed, without printing.
 * @module
 */
export { TcpkitError, type TcpkitErrorCode } from "./util/tcpkit-error.js";
export { createHttpServer, type HttpServer, type HttpServerOptions } from "./http/server.js";
export { serveStatic, type ServeStaticOptions } from "./static/serve-static.js";
export type {
  Handler,
  RequestContext,
  RequestHead,
  ResponseBody,
  ResponsePlan,
  FileRange,
} from "./http/types.js";
export { getField } from "./http/header-lookup.js";
export {
  createEchoServer,
  DEFAULT_ECHO_PORT,
  type EchoServer,
  type EchoServerOptions,
  type EchoServerStats,
  type EchoConnectionInfo,
  type EchoConnectionClosed,
} from "./echo/echo-server.js";
export type { EchoClientOptions } from "./echo/echo-connect.js";
export {
  echoMessage,
  echoStream,
  type EchoMessageOptions,
  type EchoMessageResult,
  type EchoStreamOptions,
  type EchoStreamResult,
} from "./echo/echo-message.js";
export {
  measureRoundTrips,
  type RoundTripOptions,
  type RoundTripReport,
} from "./echo/round-trips.js";
export {
  measureThroughput,
  type ThroughputOptions,
  type ThroughputProgress,
  type ThroughputReport,
} from "./echo/throughput.js";
export type { LatencySummary } from "./echo/latency-stats.js";
