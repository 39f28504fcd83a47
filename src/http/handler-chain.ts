/**
 * Composing handlers: chain(a, b, c) asks a first; `next()` inside a asks b, and so on, and at
 * the end of the chain the server's own answer (404). A handler that takes a request (an
 * upload, a proxied prefix, the live-reload endpoint) answers it; one that does not passes it on
 * with next(); a wrapper (auth) may answer for all of them or pass everything on, and may
 * change what comes back (live reload injects its script into HTML). The chain serves the union
 * of the methods its handlers declare. The CLI builds auth → proxy → live → upload → static.
 */
import { DEFAULT_METHODS } from "./method-policy.js";
import type { Handler, Next, RequestContext, RequestHead, ResponsePlan } from "./types.js";

/** `handler`, declared to answer `methods` (the server refuses the others with 405 or 501). */
export function withMethods(methods: readonly string[], handler: Handler): Handler {
  const declared: Handler = (head, context, next) => handler(head, context, next);
  return Object.assign(declared, { methods: [...methods] });
}

/** One handler that runs `handlers` in order, each deciding whether to call the next. */
export function chain(...handlers: readonly Handler[]): Handler {
  const run = (
    index: number,
    head: RequestHead,
    context: RequestContext,
    last: Next,
  ): ResponsePlan | Promise<ResponsePlan> => {
    const handler = handlers[index];
    if (handler === undefined) return last(head);
    return handler(head, context, (changed) => run(index + 1, changed ?? head, context, last));
  };
  const chained: Handler = (head, context, next) => run(0, head, context, next);
  const declared = handlers.flatMap((h) => h.methods ?? []);
  // Wrappers declare nothing; a chain of wrappers only serves what a lone handler would.
  const methods = declared.length === 0 ? DEFAULT_METHODS : [...new Set(declared)];
  return Object.assign(chained, { methods });
}
