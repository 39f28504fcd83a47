/**
 * Before the probes: what the server offers. A path it answers (the URL's, --path, or the first
 * file linked from the page at /), that path's length and validators, whether it honours Range,
 * what it answers for a path that names nothing, and a folder for the redirect probes. When the
 * server cannot be talked to at all, this is where the run stops, with one clear line.
 */
import { request, runExchange, type Exchange, type ProbeContext } from "./exchange.js";
import type { SeenResponse } from "./probe-connection.js";
import type { Discovery } from "./types.js";
import { getField } from "./wire.js";
import { TcpkitError } from "../util/tcpkit-error.js";

/** Bytes of the path's content kept for recognising it in an HTTP/0.9 answer. */
const PATH_START_BYTES = 64;

/**
 * Runs discovery; rejects with a TcpkitError (one line) when the server cannot be probed.
 * Resolves with what it learned and the first bytes of the path's content (see pathStart).
 */
export async function discover(
  ctx: ProbeContext,
  start: string,
  explicit: boolean,
): Promise<{ discovery: Discovery; pathStart: string }> {
  const first = await get(ctx, start, []);
  let path = start;
  let response = first;
  let how = explicit ? `${start}, as given` : `${start}`;
  if (!explicit) {
    const links =
      first.head.status === 200 ? linksOf(first, start) : { file: undefined, folder: undefined };
    if (links.file !== undefined) {
      const file = await get(ctx, links.file, []).catch(() => undefined);
      if (file !== undefined && file.head.status === 200) {
        path = links.file;
        response = file;
        how = `${links.file}, the first file linked from ${start}`;
      }
    }
    const folder = links.folder;
    return finish(ctx, path, response, how, folder);
  }
  return finish(ctx, path, response, how, undefined);
}

async function finish(
  ctx: ProbeContext,
  path: string,
  response: SeenResponse,
  how: string,
  folder: string | undefined,
): Promise<{ discovery: Discovery; pathStart: string }> {
  const ranged = await get(ctx, path, ["Range: bytes=0-0"]).catch(() => undefined);
  const missing = await get(ctx, `${ctx.canaryPath}-missing`, []);
  const pathStart = response.body.toString("latin1", 0, PATH_START_BYTES);
  const discovery: Discovery = {
    path,
    status: response.head.status,
    missingStatus: missing.head.status,
    length: response.framing === "none" ? undefined : response.bodyLength,
    etag: getField(response.head, "etag"),
    lastModified: getField(response.head, "last-modified"),
    ranges: ranged?.head.status === 206,
    folder,
    server: getField(response.head, "server"),
    how,
  };
  return { discovery, pathStart };
}

/**
 * After a probe that waited out the timeout: does the server still answer a plain GET of the
 * discovered path? undefined when it does; otherwise why not, one clause ("no response within
 * 5 s"). A server that stopped answering makes every later probe wait out its timeout too.
 */
export async function silence(ctx: ProbeContext): Promise<string | undefined> {
  const x = await plainGet(ctx, ctx.discovery.path, [], "still-answering");
  return x.responses.length > 0 ? undefined : x.stopDetail;
}

/**
 * After a probe: are the server's answers still in turn? A proxy that shares one keep-alive
 * connection to its back end among all its clients (nginx with `upstream { keepalive N; }`)
 * hands an answer the back end gave to smuggled bytes to the next request that comes along,
 * from any client: the probe's own follow-up may not see it, and the next probe would be judged
 * on another request's answer. So two plain GETs, each on a new connection: the path, then a
 * path that names nothing. An answer waiting on a shared connection shifts them: the second
 * gets the path's status. A smuggled request head still waiting for its end swallows the first,
 * which gets the smuggled request's answer (a canary's: a missing path's status) while the
 * second gets its own. Either way, the clause that says what they got; undefined when the
 * answers are in turn, or do not tell (no answer, or a server that answers a missing path as it
 * answers the path).
 */
export async function shifted(ctx: ProbeContext, label: string): Promise<string | undefined> {
  const d = ctx.discovery;
  if (d.status === d.missingStatus) return undefined;
  const missing = `${ctx.canaryPath}-missing`;
  // Only the answers matter: no wait for a close a server may never make (drainMs 0).
  const a = (await plainGet(ctx, d.path, [], label, 0)).responses[0]?.head.status;
  if (a === undefined) return undefined;
  const b = (await plainGet(ctx, missing, [], label, 0)).responses[0]?.head.status;
  if (b === undefined) return undefined;
  // A status of the path's own on the missing path can only be another request's answer; the
  // missing path's status on the path, with the missing path answered as it should be, is a
  // canary's. Anything else (a 429 or a 503 on both, say) is not read as a shift.
  const outOfTurn = b === d.status || (a === d.missingStatus && b === d.missingStatus);
  if (!outOfTurn) return undefined;
  return `plain GETs of ${d.path} and of a missing path, each on a new connection, got ${a} and ${b}, not ${d.status} and ${d.missingStatus}`;
}

/** GET `target` on a connection of its own; the response, or a TcpkitError saying why not. */
async function get(ctx: ProbeContext, target: string, fields: string[]): Promise<SeenResponse> {
  const x = await plainGet(ctx, target, fields, "discover");
  const r = x.responses[0];
  if (r !== undefined) return r;
  throw unreachable(ctx, x);
}

/** The exchange of one GET of `target` with `fields`, closing the connection after it. */
function plainGet(
  ctx: ProbeContext,
  target: string,
  fields: string[],
  label: string,
  drainMs?: number,
): Promise<Exchange> {
  const probeCtx = { ...ctx, discovery: { ...ctx.discovery, path: target } };
  return runExchange(probeCtx, label, {
    send: [request(probeCtx, { fields: [...fields, "Connection: close"] })],
    followUp: false,
    ...(drainMs === undefined ? {} : { drainMs }),
  });
}

function unreachable(ctx: ProbeContext, x: Exchange): TcpkitError {
  const where = ctx.url.href;
  if (x.stop === "connect") {
    return x.connectError instanceof TcpkitError
      ? x.connectError
      : new TcpkitError("ERR_NETWORK", x.stopDetail);
  }
  if (x.received.startsWith(x.sent.slice(0, 16)) && x.sent.length > 0) {
    return new TcpkitError(
      "ERR_HTTP_PROTOCOL",
      `${where} sent our request back: an echo service, not an HTTP server`,
    );
  }
  return new TcpkitError("ERR_HTTP_PROTOCOL", `${where} cannot be checked: ${x.stopDetail}`);
}

const HREF = /<a\s[^>]*?href\s*=\s*["']([^"'#?]+)["']/gi;

/**
 * The first file and first folder linked from an HTML page at `base` (a listing or an index),
 * as origin-form paths on the same server; links elsewhere, up, or with a query are skipped.
 */
function linksOf(page: SeenResponse, base: string): { file?: string; folder?: string } {
  const type = getField(page.head, "content-type") ?? "";
  if (!/html/i.test(type)) return {};
  const html = page.body.toString("latin1");
  let file: string | undefined;
  let folder: string | undefined;
  for (const m of html.matchAll(HREF)) {
    const href = m[1] as string;
    if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(href) || href.startsWith("..")) continue;
    const path = href.startsWith("/") ? href : `${base.replace(/[^/]*$/, "")}${href}`;
    // eslint-disable-next-line no-control-regex
    if (/[\s\x00-\x1f\x7f-\xff"<>\\^`{|}]/.test(path) || path === base || path === "/") continue;
    if (path.endsWith("/")) folder ??= path.slice(0, -1);
    else file ??= path;
    if (file !== undefined && folder !== undefined) break;
  }
  return { ...(file === undefined ? {} : { file }), ...(folder === undefined ? {} : { folder }) };
}
