/**
 * Which methods a server answers (DESIGN §3, RFC 9110 §9): the methods its handler declares
 * (GET, HEAD and OPTIONS by default) go to the handler; other registered methods get 405 with an
 * Allow of the declared ones; methods nobody registered get 501. Shared with handlers so that
 * they answer OPTIONS and 405 the same way.
 */
import { errorPlanFor, prefersHtml } from "./error-page.js";
import { errorPlan } from "./error-plan.js";
import type { RequestHead, ResponsePlan } from "./types.js";

/** What a read-only handler answers, and what a handler that declares nothing is taken to. */
export const DEFAULT_METHODS: readonly string[] = ["GET", "HEAD", "OPTIONS"];

/** The Allow value of a read-only server (RFC 9110 §10.2.1 Allow). */
export const ALLOWED_METHODS = DEFAULT_METHODS.join(", ");

/** The Allow header line handlers and the server put on 405 and OPTIONS answers. */
export const ALLOW_HEADER = `Allow: ${ALLOWED_METHODS}\r\n`;

/**
 * Methods in the IANA HTTP Method Registry (plus QUERY, in the registry since 2024). Methods are
 * case-sensitive (RFC 9110 §9.1): "get" is not GET and gets 501.
 */
export const REGISTERED_METHODS: ReadonlySet<string> = new Set([
  "ACL",
  "BASELINE-CONTROL",
  "BIND",
  "CHECKIN",
  "CHECKOUT",
  "CONNECT",
  "COPY",
  "DELETE",
  "GET",
  "HEAD",
  "LABEL",
  "LINK",
  "LOCK",
  "MERGE",
  "MKACTIVITY",
  "MKCALENDAR",
  "MKCOL",
  "MKREDIRECTREF",
  "MKWORKSPACE",
  "MOVE",
  "OPTIONS",
  "ORDERPATCH",
  "PATCH",
  "POST",
  "PRI",
  "PROPFIND",
  "PROPPATCH",
  "PUT",
  "QUERY",
  "REBIND",
  "REPORT",
  "SEARCH",
  "TRACE",
  "UNBIND",
  "UNCHECKOUT",
  "UNLINK",
  "UNLOCK",
  "UPDATE",
  "UPDATEREDIRECTREF",
  "VERSION-CONTROL",
]);

/**
 * Declared (in Handler.methods) by a handler that also takes every method outside the registry: a
 * reverse proxy, whose back end knows its own (PURGE, a WebDAV extension...). Registered methods
 * it does not declare still get 405. Never named in Allow.
 */
export const ANY_UNREGISTERED_METHOD = "*";

/** What to do with a request method: serve it, 405 (registered but not allowed), 501 (unknown). */
export type MethodDecision = "serve" | "not-allowed" | "not-implemented";

/** The method rule of one server: the methods its handler declared. */
export class MethodPolicy {
  readonly #served: ReadonlySet<string>;
  /** A handler declared ANY_UNREGISTERED_METHOD: unknown methods are its to answer. */
  readonly #servesUnregistered: boolean;
  /** "Allow: ...\r\n" naming the served methods, for 405 and OPTIONS answers. */
  readonly allowHeader: string;
  /** 405 with an Allow of the served methods (RFC 9110 §15.5.6). */
  readonly #notAllowed: ResponsePlan;
  readonly #notImplemented: ResponsePlan;
  /** Header lines the server adds to its own answers (HttpServerOptions.ownAnswerHeaders). */
  readonly #own: string;
  /** The answer to `OPTIONS *` (RFC 9112 §3.2.4). */
  readonly optionsAsterisk: ResponsePlan;

  /** `own`: header lines for every refusal and `OPTIONS *` answer (none by default). */
  constructor(methods: readonly string[] = DEFAULT_METHODS, own = "") {
    this.#servesUnregistered = methods.includes(ANY_UNREGISTERED_METHOD);
    this.#served = new Set(methods.filter((m) => m !== ANY_UNREGISTERED_METHOD));
    this.allowHeader = `Allow: ${[...this.#served].join(", ")}\r\n`;
    this.#own = own;
    this.#notAllowed = errorPlan(405, this.allowHeader + own);
    this.#notImplemented = errorPlan(501, own);
    this.optionsAsterisk = optionsPlan(own, this.allowHeader);
  }

  /**
   * "serve" for a declared method (and an unregistered one when ANY_UNREGISTERED_METHOD was);
   * "not-allowed" (405) for other registered ones; else 501.
   */
  decide(method: string): MethodDecision {
    if (this.#served.has(method)) return "serve";
    if (REGISTERED_METHODS.has(method)) return "not-allowed";
    return this.#servesUnregistered ? "serve" : "not-implemented";
  }

  /**
   * The server's refusal of `method` (405 or 501), or undefined when it is served; an HTML page
   * when `head`'s client prefers one (error-page.ts).
   */
  refusal(method: string, head?: RequestHead): ResponsePlan | undefined {
    const decision = this.decide(method);
    if (decision === "serve") return undefined;
    if (head !== undefined && prefersHtml(head)) {
      return decision === "not-allowed"
        ? errorPlanFor(head, 405, this.allowHeader + this.#own)
        : errorPlanFor(head, 501, this.#own);
    }
    return decision === "not-allowed" ? this.#notAllowed : this.#notImplemented;
  }
}

const OPTIONS_PLAN: ResponsePlan = {
  status: 200,
  headers: ALLOW_HEADER,
  body: { kind: "none" },
};

/**
 * The answer to OPTIONS (RFC 9110 §9.3.7): 200 with Allow and an empty body (Content-Length: 0).
 * `headers` are lines of the caller's own (a site's headers); `allowHeader` is the Allow line
 * (default: GET, HEAD, OPTIONS). Handlers return it for OPTIONS on a resource; the server
 * returns it itself for `OPTIONS *`.
 */
export function optionsPlan(headers = "", allowHeader = ALLOW_HEADER): ResponsePlan {
  if (headers === "" && allowHeader === ALLOW_HEADER) return OPTIONS_PLAN;
  return { status: 200, headers: allowHeader + headers, body: { kind: "none" } };
}
