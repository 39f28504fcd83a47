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
export type {
  Handler,
  RequestContext,
  RequestHead,
  ResponseBody,
  ResponsePlan,
  FileRange,
} from "./http/types.js";
export { getField } from "./http/header-lookup.js";
