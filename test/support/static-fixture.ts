/**
 * A temporary site for static-file tests: text and binary files, an empty file, dotfiles, folders
 * with awkward names, precompressed siblings, symlinks into and out of the root, and a sibling
 * folder whose name shares the root's prefix (the classic startsWith() escape).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { Readable } from "node:stream";
import type { Next, RequestContext, RequestHead, ResponsePlan } from "../../src/http/types.js";
import { serveStatic, type ServeStaticOptions } from "../../src/static/serve-static.js";

export interface StaticFixture {
  /** The parent temp folder (delete it when done). */
  base: string;
  /** The served root: base/www. */
  root: string;
  /** Deterministic content of big.bin (200 KiB, more than the in-memory limit). */
  big: Buffer;
  /** app.js content (compressible, with .gz and .br siblings). */
  appJs: Buffer;
  /** style.css content (compressible, no siblings). */
  styleCss: Buffer;
  remove(): void;
}

/** The site of one test file, and serveStatic called on it as a plain Handler. */
export interface StaticSite {
  /** The fixture (built in the file's before() hook: use it inside tests only). */
  readonly fx: StaticFixture;
  /** One request to a fresh serveStatic(fx.root, options), from a loopback peer over plain TCP. */
  get(
    target: string,
    fields?: Record<string, string>,
    options?: ServeStaticOptions,
    method?: string,
  ): Promise<ResponsePlan>;
}

/**
 * The context of a unit test's request: a loopback peer over plain TCP, without a body, never
 * aborted or draining, refusing interim responses.
 */
export const TEST_CONTEXT: RequestContext = {
  remoteAddress: "127.0.0.1",
  remotePort: 1,
  localAddress: "127.0.0.1",
  localPort: 8080,
  secure: false,
  body: {
    length: 0,
    stream: () => Readable.from([]),
    bytes: () => Promise.resolve(Buffer.alloc(0)),
  },
  signal: new AbortController().signal,
  draining: new AbortController().signal,
  sendInterim: () => false,
};

/** The end of a chain in unit tests: a handler under test must answer by itself. */
export const NO_NEXT: Next = () => {
  throw new Error("the handler passed the request on");
};

/** Builds the fixture before the calling test file's tests and removes it after them. */
export function useStaticSite(): StaticSite {
  let fixture: StaticFixture | undefined;
  before(() => {
    fixture = makeStaticFixture();
  });
  after(() => fixture?.remove());
  const site: StaticSite = {
    get fx(): StaticFixture {
      if (fixture === undefined) throw new Error("the static fixture is used outside a test");
      return fixture;
    },
    get: async (target, fields = {}, options = {}, method = "GET") =>
      serveStatic(site.fx.root, options)(
        requestHead(target, fields, method),
        TEST_CONTEXT,
        NO_NEXT,
      ),
  };
  return site;
}

/** Builds the site. */
export function makeStaticFixture(): StaticFixture {
  const base = mkdtempSync(join(tmpdir(), "tcpkit-static-"));
  const root = join(base, "www");
  const w = (rel: string, data: string | Buffer): void => writeFileSync(join(root, rel), data);
  mkdirSync(join(root, "docs", "sub"), { recursive: true });
  mkdirSync(join(root, ".git"));
  mkdirSync(join(root, "app"));
  mkdirSync(join(root, "évent space"));
  mkdirSync(join(root, "evil.example"));
  mkdirSync(join(base, "www-secret"));
  writeFileSync(join(base, "www-secret", "secret.txt"), "SECRET sibling\n");
  writeFileSync(join(base, "outside.txt"), "SECRET outside\n");
  const big = Buffer.alloc(200 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 8)) & 0xff;
  const appJs = Buffer.from("console.log('tcpkit');\n".repeat(100));
  const styleCss = Buffer.from("body { color: #123456; margin: 0 auto; }\n".repeat(100));
  w("hello.txt", "Hello, world!\n");
  w("index.html", "<!doctype html><title>home</title><h1>home</h1>\n");
  w("big.bin", big);
  w("empty.txt", "");
  w(".env", "SECRET=1\n");
  w(".git/config", "[core]\n");
  w("app.js", appJs);
  w("app.js.gz", gzipSync(appJs));
  w("app.js.br", brotliCompressSync(appJs));
  w("style.css", styleCss);
  w("docs/a.txt", "a\n");
  w("docs/bigger.txt", "b".repeat(5000));
  w("docs/sub/c.txt", "c\n");
  w("docs/.hidden", "hidden\n");
  w("docs/<b>&.txt", "tricky\n");
  w("évent space/été.txt", "unicode\n");
  w("app/index.html", "<!doctype html><title>app</title><p>spa</p>\n");
  symlinkSync(join(root, "hello.txt"), join(root, "link-in.txt"));
  symlinkSync(join(base, "outside.txt"), join(root, "link-out.txt"));
  symlinkSync(base, join(root, "link-dir-out"));
  symlinkSync(join(root, ".env"), join(root, "link-to-dotfile"));
  return {
    base,
    root,
    big,
    appJs,
    styleCss,
    remove: () => rmSync(base, { recursive: true, force: true }),
  };
}

/** The bytes a plan's body stands for (what the server would send for a GET). */
export function planBody(plan: ResponsePlan): Buffer {
  const b = plan.body;
  switch (b.kind) {
    case "none":
      return Buffer.alloc(0);
    case "bytes":
      return b.bytes;
    case "file":
      return readFileSync(b.path).subarray(b.start, b.end);
    case "segments":
      return Buffer.concat(
        b.segments.map((s) =>
          Buffer.isBuffer(s) ? s : readFileSync(s.path).subarray(s.start, s.end),
        ),
      );
    case "stream":
    case "upgrade":
      throw new Error(`${b.kind} bodies are not used by serveStatic`);
  }
}

/** The value of header `name` in a plan's header block, or undefined. */
export function planHeader(plan: ResponsePlan, name: string): string | undefined {
  for (const line of plan.headers.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).toLowerCase() === name.toLowerCase()) {
      return line.slice(colon + 1).trim();
    }
  }
  return undefined;
}

/** A RequestHead as the parser would build it for `method target HTTP/1.1` with `fields`. */
export function requestHead(
  target: string,
  fields: Record<string, string> = {},
  method = "GET",
): RequestHead {
  const q = target.indexOf("?");
  return {
    method,
    target,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? "" : target.slice(q + 1),
    version: 11,
    fields: Object.entries(fields).flatMap(([k, v]) => [k.toLowerCase(), v]),
  };
}
