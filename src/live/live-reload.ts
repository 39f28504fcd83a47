/**
 * Live reload (docs/front-end.md): a handler that answers the events endpoint (LIVE_PATH) with
 * a Server-Sent Events stream, and puts the client script into every full HTML page the rest of
 * the chain answers; a watcher on ROOT sends `css` when only stylesheets changed (the page swaps
 * them without reloading) and `reload` for anything else.
 *
 * Injection applies to 200 answers to GET with Content-Type text/html (a Range request's 200
 * too: it is the whole page), and HEAD gets the same header fields, as RFC 9110 §9.3.2 asks (the
 * injected length and ETag);
 * the page is read (a compressed variant is decompressed: injected pages go out uncompressed,
 * never a stale .gz), the script inserted, and the ETag made distinct (`"...-live"`), so a cache
 * never mixes the plain and the injected bytes; Accept-Ranges, Last-Modified and the plain
 * bytes' digests are dropped. A conditional GET is evaluated here against the variant that goes
 * out, so a browser holding the plain page gets the injected one, not a 304. 206s and
 * everything else pass untouched.
 */
import { open } from "node:fs/promises";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { errorPlanFor } from "../http/error-page.js";
import { trimOws } from "../http/header-fields.js";
import { getField } from "../http/header-lookup.js";
import { parseHttpDate } from "../http/http-date.js";
import { evaluatePreconditions } from "../http/preconditions.js";
import { disposeStream } from "../http/server/response-writer.js";
import type { Handler, RequestHead, ResponsePlan } from "../http/types.js";
import { watchTree, type WatchOptions } from "./file-watcher.js";
import { LiveEvents } from "./live-events.js";
import { injectScript, LIVE_PATH } from "./live-script.js";

export interface LiveReloadOptions extends Omit<WatchOptions, "debounceMs" | "nodeModules"> {
  /** The folder to watch (serve's ROOT). */
  readonly root: string;
}

/** Pages larger than this are passed on without the script (nobody edits those by hand). */
const MAX_INJECTED_BYTES = 8 * 1024 * 1024;

/** The live-reload handler; `close()` stops the watcher and ends the event streams. */
export function liveReload(options: LiveReloadOptions): Handler & { close(): void } {
  const events = new LiveEvents();
  let nodeModulesServed = false;
  const watching = { ...options, nodeModules: () => nodeModulesServed };
  const stopWatching = watchTree(options.root, watching, (paths) => {
    const cssOnly = paths.every((p) => p.toLowerCase().endsWith(".css"));
    events.broadcast(cssOnly ? "css" : "reload");
  });
  let drainingWatched = false;
  const close = (): void => {
    stopWatching();
    events.close();
  };
  const handler: Handler = (head, context, next) => {
    if (!drainingWatched) {
      drainingWatched = true;
      context.draining.addEventListener("abort", close, { once: true });
    }
    if (head.path === LIVE_PATH && (head.method === "GET" || head.method === "HEAD")) {
      return {
        status: 200,
        headers: "Content-Type: text/event-stream\r\nCache-Control: no-store\r\n",
        body: { kind: "stream", stream: events.open(context.signal) },
      };
    }
    // HEAD as GET: the server leaves the body out, the fields stay those of the injected page.
    const read = head.method === "GET" || head.method === "HEAD";
    if (!read) return next();
    if (!nodeModulesServed && head.path.includes("/node_modules/")) nodeModulesServed = true;
    // A Range request is the file server's, against the plain file (its validators, a 206 of
    // its bytes); a 200 it answers instead (an If-Range that no longer matches, such as the
    // -live ETag of a client resuming the injected page) is a whole page, and injected.
    if (getField(head, "range") !== undefined || !head.fields.some(isCondition)) {
      const planned = next();
      return planned instanceof Promise ? planned.then(inject) : inject(planned);
    }
    // A conditional GET: the handlers after this one would compare the request's validators
    // with the plain file's, and answer 304 to a browser holding the plain page (cached before
    // --live), which then never gets the script. Ask for the page unconditionally and evaluate
    // the conditions here, against whichever variant goes out.
    const unconditional = { ...head, fields: withoutConditions(head.fields) };
    return Promise.resolve(next(unconditional))
      .then(inject)
      .then((plan) => answerConditions(head, plan));
  };
  return Object.assign(handler, { close });
}

function inject(plan: ResponsePlan): ResponsePlan | Promise<ResponsePlan> {
  if (plan.status !== 200 || !isHtml(blockField(plan.headers, "content-type"))) return plan;
  const body = plan.body;
  if (body.kind === "bytes") return injected(plan, body.bytes);
  if (body.kind === "file" && body.end - body.start <= MAX_INJECTED_BYTES) {
    return readRange(body.path, body.start, body.end).then(
      (bytes) => injected(plan, bytes),
      () => plan, // gone meanwhile: the server's own file error handling answers
    );
  }
  return plan;
}

/** The plan with the script in its page, uncompressed, with its own ETag. */
function injected(plan: ResponsePlan, raw: Buffer): ResponsePlan {
  const coding = blockField(plan.headers, "content-encoding");
  let page: Buffer;
  try {
    if (coding === undefined) page = raw;
    else if (coding.toLowerCase() === "gzip") page = gunzipSync(raw);
    else if (coding.toLowerCase() === "br") page = brotliDecompressSync(raw);
    else return plan;
  } catch {
    return plan;
  }
  // Dropped with the plain bytes: their coding and length, their digests (RFC 9530: a client
  // checking Repr-Digest would reject the injected page), and Last-Modified, so that a browser
  // revalidates the injected page by its own ETag only, never into a 304 for the plain file.
  const headers = withoutFields(plan.headers, PLAIN_BYTES_FIELDS).replace(
    /(^|\r\n)(etag:[ \t]*(?:W\/)?"[^"]*)"/i,
    '$1$2-live"',
  );
  return { ...plan, headers, body: { kind: "bytes", bytes: injectScript(page) } };
}

/** Fields that describe the plain file's bytes, not the injected page's. */
const PLAIN_BYTES_FIELDS =
  /^(?:content-encoding|accept-ranges|content-length|repr-digest|content-digest|last-modified):/i;

/** Fields that describe the 200's bytes, which a 304 carries none of. */
const CONTENT_METADATA =
  /^(?:content-(?:type|length|encoding|language|range|digest)|repr-digest|last-modified|accept-ranges):/i;

const CONDITIONS = new Set([
  "if-match",
  "if-none-match",
  "if-modified-since",
  "if-unmodified-since",
]);

function isCondition(name: string, index: number): boolean {
  return index % 2 === 0 && CONDITIONS.has(name);
}

function withoutConditions(fields: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i] as string;
    if (!CONDITIONS.has(name)) kept.push(name, fields[i + 1] as string);
  }
  return kept;
}

/**
 * RFC 9110 §13.2.2 for a 200 `plan` (other statuses ignore conditions, §13.2.1): 304 with the
 * 200's fields but its content metadata (§15.4.5: the validators, the caching fields and the
 * site's own fields stay, as in the file server's 304), 412, or the plan itself.
 */
function answerConditions(head: RequestHead, plan: ResponsePlan): ResponsePlan {
  if (plan.status !== 200) return plan;
  const etag = blockField(plan.headers, "etag");
  const date = blockField(plan.headers, "last-modified");
  const outcome = evaluatePreconditions(head, {
    etag,
    lastModifiedMs: date === undefined ? undefined : parseHttpDate(date),
  });
  if (outcome.kind === "proceed") return plan;
  if (plan.body.kind === "stream") disposeStream(plan.body.stream);
  if (outcome.kind === "precondition-failed") return errorPlanFor(head, 412);
  return {
    status: 304,
    headers: withoutFields(plan.headers, CONTENT_METADATA),
    body: { kind: "none" },
  };
}

function isHtml(mediaType: string | undefined): boolean {
  return mediaType !== undefined && /^text\/html\b/i.test(mediaType);
}

/**
 * The value of field `name` (lower case) in a plan's header block ("Name: value\r\n" lines),
 * without its surrounding whitespace; undefined when absent.
 */
function blockField(headers: string, name: string): string | undefined {
  for (const line of headers.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon === name.length && line.slice(0, colon).toLowerCase() === name) {
      return trimOws(line.slice(colon + 1));
    }
  }
  return undefined;
}

/** A header block without the lines whose name `drop` matches; still "\r\n"-terminated. */
function withoutFields(headers: string, drop: RegExp): string {
  let kept = "";
  for (const line of headers.split("\r\n")) {
    if (line !== "" && !drop.test(line)) kept += `${line}\r\n`;
  }
  return kept;
}

async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    const buffer = Buffer.alloc(end - start);
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await file.read(buffer, done, buffer.length - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  } finally {
    await file.close();
  }
}
