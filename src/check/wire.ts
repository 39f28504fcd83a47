/**
 * The client's wire parsers, as the checker uses them: one import point, so the checker follows
 * them when they move (DESIGN §11: check → client (wire parsers) → http).
 */
export {
  ResponseHeadParser,
  MAX_RESPONSE_HEAD_BYTES,
  type ResponseHead,
} from "../client/response-head-parser.js";
export { BodyDecoder, decideFraming, type BodyFraming } from "../client/body-decoder.js";
export { getField, splitList } from "../http/header-lookup.js";
export { openConnection, type TlsTrust } from "../client/connect.js";
export { parseRequestUrl, type RequestUrl } from "../client/request-url.js";
