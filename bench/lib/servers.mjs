// The servers the benchmark compares, each as a command line for a docroot and a port, plus the
// docroot fixture and nginx's configuration (written per run into the temp dir).
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, "..", "..");
const BIN = path.join(REPO, "node_modules", ".bin");
export const NGINX = "/usr/sbin/nginx";

/** Sizes of the fixture files (bytes). */
export const SMALL_SIZE = 1024;
export const BIG_SIZE = 64 * 1024 * 1024;

/**
 * Writes the docroot into `dir`: index.html (exactly 1 KiB of HTML) and big.bin (64 MiB of
 * pseudo-random bytes, so nothing compresses it). Returns their SHA-256 digests.
 */
export function makeFixture(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const head =
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>bench</title>\n</head>\n<body>\n<p>';
  const tail = "</p>\n</body>\n</html>\n";
  const n = SMALL_SIZE - head.length - tail.length;
  const small = Buffer.from(
    head + `${"x".repeat(71)}\n`.repeat(Math.ceil(n / 72)).slice(0, n) + tail,
  );
  fs.writeFileSync(path.join(dir, "index.html"), small);
  return {
    small: crypto.createHash("sha256").update(small).digest("hex"),
    big: writeSeededFile(path.join(dir, "big.bin"), BIG_SIZE),
  };
}

/**
 * Writes `size` bytes (a multiple of 1 MiB) of pseudo-random data to `file` and returns their
 * SHA-256: a seeded stream (AES-CTR over zeros) is fast, incompressible and the same on every run.
 */
export function writeSeededFile(file, size) {
  const fd = fs.openSync(file, "w");
  const hash = crypto.createHash("sha256");
  const cipher = crypto.createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), Buffer.alloc(16));
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < size / zeros.length; i++) {
    const chunk = cipher.update(zeros);
    hash.update(chunk);
    fs.writeSync(fd, chunk);
  }
  fs.closeSync(fd);
  return hash.digest("hex");
}

/** The SHA-256 of `file`, read 1 MiB at a time. */
export function sha256File(file) {
  const hash = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let n; (n = fs.readSync(fd, buf)) > 0;) hash.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return hash.digest("hex");
}

/**
 * Writes an nginx config under `dir` (its pid, logs and temp paths live there) and returns the
 * command line that runs it: 1 worker by default, no access log, sendfile, and either a file
 * server of `root` or, with `upstream` (a port on 127.0.0.1), a reverse proxy to it the way
 * issue 15 compares (HTTP/1.1 to the back end, an `upstream` keep-alive pool of `keepalive`,
 * Host, X-Forwarded-For and -Proto set). The one writer for every benchmark that runs nginx.
 */
export function nginxArgv(
  dir,
  port,
  { root, upstream, keepalive = 32, workers = "1", accessLog = false, tag = "bench" },
) {
  fs.mkdirSync(dir, { recursive: true });
  const site =
    upstream === undefined
      ? `  server {
    listen 127.0.0.1:${port};
    root ${root};
    index index.html;
  }`
      : `  upstream back { server 127.0.0.1:${upstream}; keepalive ${keepalive}; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://back;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $proxy_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }`;
  const conf = `# written by ${tag}
${process.getuid?.() === 0 ? "user root;" : ""}
worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 16384; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  sendfile on;
  tcp_nopush on;
  # nginx's own counterpart of tcpkit's file table: cached open descriptors and stat results
  open_file_cache max=10000 inactive=60s;
  # keepalive_requests stays at nginx's default, 1,000, the same as tcpkit's
  # --max-requests-per-connection default
  ${accessLog ? `access_log ${dir}/access.log;` : "access_log off;"}
${site}
}
`;
  fs.writeFileSync(path.join(dir, "nginx.conf"), conf);
  return [NGINX, "-p", dir, "-e", `${dir}/error.log`, "-c", `${dir}/nginx.conf`];
}

/** nginx serving `root` for the HTTP benchmark's rows. */
const nginxFiles = (dir, root, port, options = {}) =>
  nginxArgv(dir, port, { root, tag: "bench/http-bench.mjs", ...options });

const tcpkitCli = path.join(REPO, "bin", "tcpkit.js");
/** `bin/tcpkit.js serve ROOT` on 127.0.0.1:PORT, without the node executable in front. */
export const tcpkitServeArgs = (root, port, extra) => [
  tcpkitCli,
  "serve",
  root,
  "--host",
  "127.0.0.1",
  "--port",
  String(port),
  ...extra,
];
const tcpkitArgv = (rt, root, port, extra) => [rt.exe, ...tcpkitServeArgs(root, port, extra)];

/**
 * Server definitions. `files`: serves files from disk (W3 applies); `what` describes it in the
 * report. `runs`: "tcpkit" for tcpkit itself (run once per runtime of --runtime), "node" for the
 * Node peers (always Node 24), "native" otherwise. `argv(ctx, port, rt)` returns the command;
 * ctx has { root, tmp, node } (node: the Node 24 runtime of scripts/runtimes.mjs), rt is the
 * runtime a tcpkit row runs on.
 */
export const SERVERS = [
  {
    name: "nginx",
    what: "nginx 1 worker, sendfile, no access log",
    runs: "native",
    files: true,
    argv: (ctx, port) => nginxFiles(path.join(ctx.tmp, `nginx-${port}`), ctx.root, port),
  },
  {
    name: "tcpkit",
    what: "tcpkit serve --log off",
    runs: "tcpkit",
    files: true,
    argv: (ctx, port, rt) => tcpkitArgv(rt, ctx.root, port, ["--log", "off"]),
  },
  {
    name: "tcpkit-log",
    what: "tcpkit serve, default access log (stdout to a file)",
    runs: "tcpkit",
    files: true,
    argv: (ctx, port, rt) => tcpkitArgv(rt, ctx.root, port, []),
  },
  {
    name: "node-net",
    what: "minimal node:net server from memory",
    runs: "node",
    files: false,
    argv: (ctx, port) => [
      ctx.node.exe,
      path.join(HERE, "..", "baselines", "node-net-memory.mjs"),
      ctx.root,
      String(port),
    ],
  },
  {
    name: "node-http",
    what: "minimal node:http server from memory",
    runs: "node",
    files: false,
    argv: (ctx, port) => [
      ctx.node.exe,
      path.join(HERE, "..", "baselines", "node-http-memory.mjs"),
      ctx.root,
      String(port),
    ],
  },
  {
    name: "sirv",
    what: "sirv-cli 3 (-q)",
    runs: "node",
    files: true,
    argv: (ctx, port) => [
      ctx.node.exe,
      path.join(BIN, "sirv"),
      ctx.root,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "-q",
    ],
  },
  {
    name: "http-server",
    what: "http-server 14 (-s)",
    runs: "node",
    files: true,
    argv: (ctx, port) => [
      ctx.node.exe,
      path.join(BIN, "http-server"),
      ctx.root,
      "-a",
      "127.0.0.1",
      "-p",
      String(port),
      "-s",
    ],
  },
  {
    name: "serve",
    what: "serve 14 (-L, cleanUrls off)",
    runs: "node",
    files: true,
    argv: (ctx, port) => {
      const conf = path.join(ctx.tmp, "serve.json");
      // serve redirects /index.html to / by default (cleanUrls); measure the file itself
      fs.writeFileSync(conf, '{ "cleanUrls": false }\n');
      return [
        ctx.node.exe,
        path.join(BIN, "serve"),
        "-l",
        `tcp://127.0.0.1:${port}`,
        "-L",
        "-n",
        "--no-port-switching",
        "-c",
        conf,
        ctx.root,
      ];
    },
    env: { NO_UPDATE_CHECK: "1" },
  },
];

/**
 * W7 (--workers): the same keep-alive load on both cores, server not pinned and the load
 * generator a third, unpinned process. tcpkit with 1 worker against --workers auto, and nginx
 * with 1 worker against worker_processes auto for reference.
 */
export const SCALING = [
  {
    name: "nginx-1w",
    runs: "native",
    argv: (ctx, port) => nginxFiles(path.join(ctx.tmp, `nginx-${port}`), ctx.root, port),
  },
  {
    name: "nginx-auto",
    runs: "native",
    argv: (ctx, port) =>
      nginxFiles(path.join(ctx.tmp, `nginx-${port}`), ctx.root, port, { workers: "auto" }),
  },
  {
    name: "tcpkit-1w",
    runs: "tcpkit",
    argv: (ctx, port, rt) => tcpkitArgv(rt, ctx.root, port, ["--log", "off"]),
  },
  {
    name: "tcpkit-auto",
    runs: "tcpkit",
    argv: (ctx, port, rt) => tcpkitArgv(rt, ctx.root, port, ["--log", "off", "--workers", "auto"]),
  },
];
