/**
 * The auth wing: a wrapper handler that asks for HTTP Basic credentials (RFC 7617) before the
 * handlers after it, or passes a request through when `protects` says it needs none. A request
 * without credentials, with malformed ones or with a wrong user or password gets the same 401
 * and challenge (never a hint of which part was wrong); failed checks are slowed down per
 * client address (login-throttle.ts). Verified Authorization values are remembered (by their
 * SHA-256, at most 1,000), so a browser's every request does not pay for bcrypt again; they are
 * forgotten when the credential store takes other users (a user removed loses access at once).
 */
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { basicChallenge, parseBasicCredentials } from "./basic-credentials.js";
import type { CredentialStore } from "./credential-store.js";
import { LoginThrottle } from "./login-throttle.js";
import { errorPlan } from "../http/error-plan.js";
import { getField } from "../http/header-lookup.js";
import type { Handler, RequestContext, RequestHead, ResponsePlan } from "../http/types.js";

export interface BasicAuthOptions {
  readonly credentials: CredentialStore;
  /** The realm of the challenge (default "tcpkit"). */
  readonly realm?: string;
  /** Whether a request needs credentials (default: every request). */
  readonly protects?: (head: RequestHead) => boolean;
  /**
   * Whether the handlers after this one answer a CORS preflight for this request with a
   * preflight answer of their own (serve's --cors, outside its --proxy prefixes): only such a
   * preflight passes without credentials. Default: none does.
   */
  readonly answersPreflight?: (head: RequestHead) => boolean;
  /** Failure slow-down (default: LoginThrottle's documented rate). */
  readonly throttle?: LoginThrottle;
  /** The clock, for tests. */
  readonly now?: () => number;
}

const MAX_REMEMBERED = 1000;

/** The auth wrapper; see the file comment. */
export function basicAuth(options: BasicAuthOptions): Handler {
  const { credentials } = options;
  const protects = options.protects ?? (() => true);
  const answersPreflight = options.answersPreflight ?? (() => false);
  const throttle = options.throttle ?? new LoginThrottle();
  const now = options.now ?? Date.now;
  const unauthorized = errorPlan(401, basicChallenge(options.realm ?? "tcpkit"));
  const remembered = new Set<string>();
  let rememberedVersion = credentials.version;

  // A 401 or 429 to a request with a body it has not read closes the connection rather than
  // read the body: a client waiting for 100 Continue is spared sending it.
  const refuse = (plan: ResponsePlan, context: RequestContext): ResponsePlan =>
    context.body.length === 0 ? plan : { ...plan, close: true };

  const check = async (
    authorization: string,
    key: string,
    context: RequestContext,
    pass: () => ResponsePlan | Promise<ResponsePlan>,
  ): Promise<ResponsePlan> => {
    const address = context.remoteAddress;
    const version = credentials.version;
    const wait = throttle.reserve(address, now());
    if (wait === undefined) {
      const retry = throttle.retryAfterSeconds(address, now());
      return refuse(errorPlan(429, `Retry-After: ${retry}\r\n`), context);
    }
    if (wait > 0) {
      try {
        const signal = AbortSignal.any([context.signal, context.draining]);
        await sleep(wait, undefined, { signal });
      } catch {
        return refuse(unauthorized, context); // the client left or the server is stopping
      }
    }
    const given = parseBasicCredentials(authorization);
    if (given === undefined || !(await credentials.verify(given.user, given.password))) {
      return refuse(unauthorized, context);
    }
    throttle.refund(address, now());
    // Not remembered when the users changed during the check: it was against the old ones.
    if (version === rememberedVersion) {
      if (remembered.size >= MAX_REMEMBERED) remembered.clear();
      remembered.add(key);
    }
    return pass();
  };

  return (head, context, next) => {
    if (!protects(head) || (isCorsPreflight(head) && answersPreflight(head))) return next();
    const authorization = getField(head, "authorization");
    if (authorization === undefined) return refuse(unauthorized, context);
    if (credentials.version !== rememberedVersion) {
      remembered.clear();
      rememberedVersion = credentials.version;
    }
    const key = createHash("sha256").update(authorization, "latin1").digest("base64");
    if (remembered.has(key)) return next();
    return check(authorization, key, context, next);
  };
}

/**
 * A CORS preflight (OPTIONS with Access-Control-Request-Method) never carries credentials
 * (Fetch standard, CORS-preflight request): answered without them where a handler answers it as
 * a preflight, or no cross-origin authenticated request could ever be made; it reveals only what
 * --cors allows. Anywhere else it needs them like any request: passed on to a back end, an
 * OPTIONS request is answered by whatever route takes it, and many serve every method alike.
 */
function isCorsPreflight(head: RequestHead): boolean {
  return head.method === "OPTIONS" && getField(head, "access-control-request-method") !== undefined;
}
