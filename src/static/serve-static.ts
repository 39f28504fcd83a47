/** PLACEHOLDER until issue 3 lands: serveStatic(root, options). */
import type { Handler } from "../http/types.js";
import { TcpkitError } from "../util/tcpkit-error.js";

export interface ServeStaticOptions {
  listing?: boolean;
}

export function serveStatic(_root: string, _options: ServeStaticOptions = {}): Handler {
  throw new TcpkitError("ERR_INVALID_ARGUMENT", "not built yet");
}
