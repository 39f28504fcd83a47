/**
 * The machinery of the nginx differential test: nginx started on a temp config, one raw exchange
 * per case (no client normalises the bytes), and the comparable facts of each answer.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { freePort, waitForPort } from "../support/ports.js";
import { join } from "node:path";
import { parseResponse, type HttpResponse } from "../support/http-response.js";

export const NGINX = "/usr/sbin/nginx";

/** Writes nginx.conf for `root` under `dir` (the brief's settings) and starts nginx on `port`. */
export async function startNginx(dir: string, root: string, port: number): Promise<ChildProcess> {
  mkdirSync(join(dir, "logs"), { recursive: true });
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log crit;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  types { text/html html; text/plain txt; application/javascript js; }
  default_type application/octet-stream;
  sendfile on;
  server_tokens off;
  etag on;
  autoindex on;
  absolute_redirect off;
  gzip_static on;
  gzip_vary on;
  keepalive_timeout 5s;
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`,
  );
  const child = spawn(NGINX, ["-p", dir, "-e", join(dir, "logs", "error.log"), "-c", conf], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => (err += s));
  try {
    await waitForPort(port, child, 50);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`nginx not listening on ${port}: ${(e as Error).message} ${err}`);
  }
  return child;
}

/**
 * startNginx on a free port: the port is released before nginx binds it and another process
 * may take it meanwhile, so up to three tries.
 */
export async function startNginxOnFreePort(
  dir: string,
  root: string,
): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { child: await startNginx(dir, root, port), port };
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

/** What one connection got back. */
export interface Exchange {
  readonly responses: HttpResponse[];
  /** Bytes after the last parsed response (or all, if no status line could be read). */
  readonly rest: Buffer;
  readonly open: boolean;
  readonly data: Buffer;
}

/** How long rawExchange waits: for a close after the last expected answer, a first byte, more. */
export interface ExchangeTimings {
  readonly graceMs: number;
  readonly firstByteMs: number;
  readonly quietMs: number;
}

/** Enough on a quiet machine; a case that then disagrees is run again with PATIENT_TIMINGS. */
export const QUICK_TIMINGS: ExchangeTimings = { graceMs: 300, firstByteMs: 3000, quietMs: 1000 };
/** For a machine so loaded that a close or an answer comes a second late. */
export const PATIENT_TIMINGS: ExchangeTimings = {
  graceMs: 2000,
  firstByteMs: 10000,
  quietMs: 4000,
};

/**
 * Sends `request` on a fresh connection and reads responses until `expected` have arrived and
 * the server has had `graceMs` to close, the server closes, or it goes quiet.
 */
export function rawExchange(
  port: number,
  request: Buffer,
  expected: number,
  methods: readonly string[],
  timings: ExchangeTimings = QUICK_TIMINGS,
): Promise<Exchange> {
  const { graceMs, firstByteMs, quietMs } = timings;
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let data = Buffer.alloc(0);
    let offset = 0;
    let unparsable = false;
    const responses: HttpResponse[] = [];
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      socket.destroy();
      resolve({ responses, rest: data.subarray(offset), open: !closed, data });
    };
    const arm = (ms: number): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(finish, ms);
    };
    const parse = (): void => {
      while (!unparsable && offset < data.length) {
        let r: ReturnType<typeof parseResponse>;
        try {
          r = parseResponse(data, offset, methods[responses.length] ?? "GET", closed);
        } catch {
          unparsable = true;
          return;
        }
        if (r === undefined) return;
        responses.push(r.response);
        offset = r.next;
      }
    };
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      parse();
      arm(responses.length >= expected ? graceMs : quietMs);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      parse();
      finish();
    });
    socket.once("connect", () => socket.write(request));
    arm(firstByteMs);
  });
}

const sha = (b: Buffer): string => createHash("sha1").update(b).digest("hex").slice(0, 12);

/** The parts of a multipart/byteranges body as "Content-Range=sha" lines (boundary-free). */
function multipartParts(r: HttpResponse): string {
  const m = /boundary=("?)([^";]+)\1/.exec(r.header("content-type") ?? "");
  if (m === null) return "no boundary";
  const body = r.body.toString("latin1");
  const parts = body.split(`--${m[2] as string}`).slice(1);
  const out: string[] = [];
  for (const p of parts) {
    if (p.startsWith("--")) break;
    const headEnd = p.indexOf("\r\n\r\n");
    const range = /content-range:\s*([^\r\n]*)/i.exec(p.slice(0, headEnd))?.[1] ?? "?";
    // part data ends before the CRLF that precedes the next delimiter
    const bytes = Buffer.from(p.slice(headEnd + 4, p.length - 2), "latin1");
    out.push(`${range}=${sha(bytes)}`);
  }
  return out.join(" ");
}

/** The facts of one response that tcpkit and nginx should agree on, given its status. */
export function facts(r: HttpResponse, listing: boolean): Map<string, string> {
  const f = new Map<string, string>();
  const s = r.status;
  const multipart = /^multipart\/byteranges/i.test(r.header("content-type") ?? "");
  if ((s === 200 || s === 206) && !listing) {
    if (multipart) f.set("parts", multipartParts(r));
    else {
      f.set("content-length", r.header("content-length") ?? "(none)");
      if (r.body.length > 0) f.set("body", sha(r.body));
    }
    const encoding = r.header("content-encoding");
    f.set("content-encoding", encoding ?? "(none)");
    f.set("last-modified", r.header("last-modified") ?? "(none)");
    // nginx omits Accept-Ranges on 206 and on gzip_static answers, and tcpkit also sends Vary
    // on compressible files without a sibling (a sibling may appear): compare where both apply.
    if (s === 200 && encoding === undefined) {
      f.set("accept-ranges", r.header("accept-ranges") ?? "(none)");
    }
    if (encoding !== undefined) {
      f.set("vary", /accept-encoding/i.test(r.header("vary") ?? "") ? "Accept-Encoding" : "(none)");
    }
  }
  // RFC 9110 §15.4.5: a 304 carries the ETag a 200 would have
  if (s === 304) f.set("etag", r.header("etag") === undefined ? "absent" : "present");
  if (s === 206 && !multipart) f.set("content-range", r.header("content-range") ?? "(none)");
  if (s === 416) f.set("content-range", r.header("content-range") ?? "(none)");
  if (s >= 300 && s < 400 && s !== 304) f.set("location", r.header("location") ?? "(none)");
  if (s === 405) {
    const allow = r.header("allow");
    f.set(
      "allow",
      allow === undefined
        ? "(none)"
        : allow
            .split(",")
            .map((x) => x.trim())
            .sort()
            .join(", "),
    );
  }
  if (s >= 400) f.set("connection-close", String(/\bclose\b/i.test(r.header("connection") ?? "")));
  return f;
}

/** The status sequence of an exchange, with "raw" for an answer that has no status line. */
export function statusLine(x: Exchange): string {
  const parts = x.responses.map((r) => String(r.status));
  if (x.rest.length > 0) parts.push(`raw(${x.rest.length}B)`);
  return parts.length === 0 ? "none" : parts.join(",");
}

/** Every way the two exchanges differ, as "aspect: tcpkit X, nginx Y" lines. */
export function compare(ours: Exchange, theirs: Exchange, listing: boolean): string[] {
  const diffs: string[] = [];
  const a = statusLine(ours);
  const b = statusLine(theirs);
  if (a !== b) diffs.push(`status: tcpkit ${a}, nginx ${b}`);
  else {
    ours.responses.forEach((r, i) => {
      const fa = facts(r, listing);
      const fb = facts(theirs.responses[i] as HttpResponse, listing);
      // different codings of one file: the bytes, length and related fields follow from that
      if (fa.get("content-encoding") !== fb.get("content-encoding")) {
        for (const k of ["content-length", "body", "vary", "accept-ranges"]) {
          fa.delete(k);
          fb.delete(k);
        }
      }
      for (const key of new Set([...fa.keys(), ...fb.keys()])) {
        const va = fa.get(key) ?? "(n/a)";
        const vb = fb.get(key) ?? "(n/a)";
        if (va !== vb) diffs.push(`#${i + 1} ${key}: tcpkit ${va}, nginx ${vb}`);
      }
    });
  }
  if (ours.open !== theirs.open) {
    diffs.push(`open: tcpkit ${String(ours.open)}, nginx ${String(theirs.open)}`);
  }
  return diffs;
}
