/** What all connections of one HTTP server share (made once by createHttpServer). */
import type { ServerConnection } from "./connection.js";
import type { ExchangeRecord } from "./exchange-record.js";
import type { HttpLimits } from "../limits.js";
import type { MethodPolicy } from "../method-policy.js";
import type { Handler, Next } from "../types.js";
import type { ConnectionRegistry } from "../../net/connection-registry.js";

export interface ServerContext {
  readonly handler: Handler;
  /** The methods the handler declared (405 and 501 for the rest). */
  readonly methods: MethodPolicy;
  readonly limits: HttpLimits;
  /** Header lines for the answers the server makes itself (HttpServerOptions.ownAnswerHeaders). */
  readonly ownAnswerHeaders: string;
  readonly secure: boolean;
  /** Every open connection, for the deadline sweep and the graceful stop. */
  readonly registry: ConnectionRegistry<ServerConnection>;
  readonly onExchange: ((record: ExchangeRecord) => void) | undefined;
  readonly trace: ((text: string) => void) | undefined;
  readonly onHandlerError: (err: unknown) => void;
  /** The `next` of the handler: what the server answers when no handler does (404). */
  readonly fallback: Next;
}
