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
} from "./http/server/server.js";
export { DEFAULT_LIMITS, type HttpLimits } from "./http/limits.js";
export type { ExchangeRecord } from "./http/server/exchange-record.js";
export {
  ALLOW_HEADER,
  ALLOWED_METHODS,
  ANY_UNREGISTERED_METHOD,
  DEFAULT_METHODS,
  optionsPlan,
} from "./http/method-policy.js";
export { chain, withMethods } from "./http/handler-chain.js";
export { errorPlan, statusForFileError } from "./http/error-plan.js";
export { reasonPhrase } from "./http/status.js";
export { serveStatic, type ListingExtra, type ServeStaticOptions } from "./static/serve-static.js";
export { reverseProxy, type ReverseProxyOptions } from "./proxy/reverse-proxy.js";
export { parseProxyRoute, type ProxyRoute } from "./proxy/proxy-route.js";
export { liveReload, type LiveReloadOptions } from "./live/live-reload.js";
export {
  serveArchives,
  type ArchiveWing,
  type ServeArchivesOptions,
} from "./archive/serve-archives.js";
export { serveUpload, type UploadOptions, type UploadWing } from "./upload/serve-upload.js";
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
  Next,
  RequestContext,
  RequestBody,
  BodyReadOptions,
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
  type ResponseTiming,
  type TraceEvent,
} from "./client/http-get.js";
export { ConnectionPool, type PoolOptions } from "./client/connection-pool.js";
export type { RetryOptions } from "./client/retry-policy.js";
export { parseChecksum, type ExpectedDigest } from "./client/digest-check.js";
export { PARTIAL_SUFFIX } from "./client/output-file.js";
export {
  download,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
} from "./client/download.js";
export { upload, type PutOptions, type PutProgress, type PutResult } from "./client/upload.js";
export type { ResponseHead } from "./client/response-head-parser.js";
export { checkServer, DEFAULT_PROBE_TIMEOUT_MS } from "./check/check-server.js";
export type {
  CheckOptions,
  CheckReport,
  Discovery,
  Group as CheckGroup,
  Level as CheckLevel,
  LevelTally,
  ProbeResult,
  Verdict as CheckVerdict,
} from "./check/types.js";
export {
  createEchoServer,
  DEFAULT_ECHO_PORT,
  type EchoServer,
  type EchoServerOptions,
  type EchoServerStats,
  type EchoConnectionInfo,
  type EchoConnectionClosed,
} from "./echo/echo-server.js";
export type { EchoClientSnapshot } from "./echo/client-stats.js";
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
export { measureOpenLoop, type OpenLoopOptions, type OpenLoopReport } from "./echo/open-loop.js";
export {
  measureConnectRate,
  type ConnectRateOptions,
  type ConnectRateReport,
} from "./echo/connect-rate.js";
export { measureUdp, type UdpProbeOptions, type UdpProbeReport } from "./echo/udp-probe.js";
export type { LoadRunOptions, IntervalReport } from "./echo/load-recorder.js";
export type { LatencySummary } from "./echo/latency-histogram.js";
