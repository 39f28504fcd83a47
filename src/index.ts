/**
 * tcpkit's library API. Everything the CLI does is available here, typed, without printing.
 * @module
 */
export { TcpkitError, type TcpkitErrorCode } from "./util/tcpkit-error.js";
export {
  createHttpServer,
  type HttpServer,
  type HttpServerOptions,
  type HttpTlsOptions,
} from "./http/server.js";
export { DEFAULT_LIMITS, type HttpLimits } from "./http/limits.js";
export type { ExchangeRecord } from "./http/exchange-record.js";
export { ALLOW_HEADER, ALLOWED_METHODS, optionsPlan } from "./http/method-policy.js";
export { reasonPhrase } from "./http/status.js";
export { serveStatic, type ServeStaticOptions } from "./static/serve-static.js";
// Building blocks for handlers of one's own (RFC 9110 ranges, preconditions, media types).
export {
  parseRange,
  contentRange,
  multipartByteranges,
  type ByteRange,
  type RangeRequest,
} from "./http/range.js";
export {
  evaluatePreconditions,
  type PreconditionResult,
  type Validators,
} from "./http/preconditions.js";
export { mediaTypeFor } from "./static/media-type.js";
export type {
  Handler,
  DispatchTurn,
  RequestContext,
  RequestHead,
  ResponseBody,
  ResponsePlan,
  FileRange,
} from "./http/types.js";
export { getField } from "./http/header-lookup.js";
export {
  httpGet,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_TIMEOUT_MS,
  type HttpGetOptions,
  type HttpResponse,
  type TraceEvent,
} from "./client/http-get.js";
export { PARTIAL_SUFFIX } from "./client/output-file.js";
export {
  download,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
} from "./client/download.js";
export type { ResponseHead } from "./client/response-head-parser.js";
export {
  createEchoServer,
  DEFAULT_ECHO_PORT,
  type EchoServer,
  type EchoServerOptions,
  type EchoServerStats,
  type EchoConnectionInfo,
  type EchoConnectionClosed,
} from "./echo/echo-server.js";
export type { EchoClientOptions } from "./echo/client-socket.js";
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
