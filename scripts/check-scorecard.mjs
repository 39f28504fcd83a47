#!/usr/bin/env node
// The `tcpkit check` scorecard of docs/CHECK.md: one run against tcpkit serve, nginx, lighttpd,
// python3 http.server, a plain node:http server, http-server, serve and sirv-cli, each serving
// the same small folder on loopback. Prints a Markdown table (and the failing probe ids per
// server) on stdout. Servers that are not installed are listed as such.
//
//   npm run build && node scripts/check-scorecard.mjs
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => join(repo, "node_modules", ".bin", name);
const node = process.execPath;
const base = mkdtempSync(join(tmpdir(), "tcpkit-scorecard-"));
const root = join(base, "www");
mkdirSync(join(root, "sub"), { recursive: true });
writeFileSync(
  join(root, "index.html"),
  '<!doctype html><title>t</title><a href="a.txt">a</a> <a href="sub/">sub</a>\n',
);
writeFileSync(join(root, "a.txt"), "0123456789abcdefghijklmnopqrstuvwxyz\n".repeat(20));
writeFileSync(join(root, "sub", "b.txt"), "b\n");

const PLAIN_NODE = `
const http = require("node:http"), fs = require("node:fs"), path = require("node:path");
const root = process.argv[1];
http.createServer((req, res) => {
  let p;
  try {
    p = path.join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
  } catch {
    res.writeHead(400, { "content-type": "text/plain" }); res.end("bad request\\n"); return;
  }
  const answer = (err, data) => {
    if (err) { res.writeHead(404, { "content-type": "text/plain" }); res.end("not found\\n"); return; }
    res.writeHead(200, { "content-type": p.endsWith(".txt") ? "text/plain" : "text/html" });
    res.end(data);
  };
  try {
    fs.readFile(p.endsWith("/") ? path.join(p, "index.html") : p, answer);
  } catch (err) {
    answer(err);
  }
}).listen(Number(process.argv[2]), "127.0.0.1");
`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    const up = await new Promise((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${port}`);
}

function nginxConf(dir, port) {
  mkdirSync(join(dir, "logs"), { recursive: true });
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `daemon off; master_process off; worker_processes 1; pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log crit;
events { worker_connections 512; }
http {
  access_log off; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  types { text/html html; text/plain txt; } default_type application/octet-stream;
  server { listen 127.0.0.1:${port}; root ${root}; autoindex on; }
}
`,
  );
  return conf;
}

function lighttpdConf(dir, port) {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, "lighttpd.conf");
  writeFileSync(
    conf,
    `server.document-root = "${root}"
server.bind = "127.0.0.1"
server.port = ${port}
server.modules = ("mod_indexfile", "mod_dirlisting", "mod_staticfile")
index-file.names = ("index.html")
dir-listing.activate = "enable"
mimetype.assign = (".html" => "text/html", ".txt" => "text/plain")
`,
  );
  return conf;
}

const SERVERS = [
  [
    "tcpkit serve",
    (p) => [node, [join(repo, "bin", "tcpkit.js"), "serve", root, "--port", p, "--log", "off"]],
  ],
  [
    "nginx",
    (p) => [
      "/usr/sbin/nginx",
      ["-p", join(base, "nginx"), "-c", nginxConf(join(base, "nginx"), p)],
    ],
  ],
  [
    "lighttpd",
    (p) => ["/usr/sbin/lighttpd", ["-D", "-f", lighttpdConf(join(base, "lighttpd"), p)]],
  ],
  [
    "python3 http.server",
    (p) => ["python3", ["-m", "http.server", p, "--bind", "127.0.0.1", "--directory", root]],
  ],
  ["node:http (plain)", (p) => [node, ["-e", PLAIN_NODE, root, p]]],
  ["http-server", (p) => [bin("http-server"), [root, "-p", p, "-a", "127.0.0.1", "-s", "-c-1"]]],
  ["serve", (p) => [bin("serve"), [root, "-l", `tcp://127.0.0.1:${p}`, "-n"]]],
  ["sirv-cli", (p) => [bin("sirv"), [root, "--host", "127.0.0.1", "--port", p]]],
];

const rows = [];
const failures = [];
for (const [name, command] of SERVERS) {
  const port = String(await freePort());
  const [cmd, args] = command(port);
  const child = spawn(cmd, args, { stdio: "ignore" });
  child.on("error", () => {});
  try {
    await waitForPort(Number(port), child);
    const r = spawnSync(
      node,
      [join(repo, "bin", "tcpkit.js"), "check", `http://127.0.0.1:${port}/`, "--json"],
      {
        encoding: "utf8",
        timeout: 300_000,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const report = JSON.parse(r.stdout);
    const t = report.tally;
    const warns = t.MUST.warned + t.SHOULD.warned + t.MAY.warned;
    const secs = (report.ms / 1000).toFixed(1);
    rows.push(
      `| ${name} | ${t.MUST.passed}/${t.MUST.total} | ${t.SHOULD.passed}/${t.SHOULD.total} | ${t.MAY.passed}/${t.MAY.total} | ${warns} | ${secs} s |`,
    );
    const failed = (level) =>
      report.probes
        .filter((p) => p.level === level && p.verdict === "FAIL")
        .map((p) => `\`${p.id}\``)
        .join(", ") || "none";
    failures.push(`- **${name}**: MUST: ${failed("MUST")}; SHOULD: ${failed("SHOULD")}`);
  } catch (err) {
    rows.push(`| ${name} | not run: ${err.message} | | | | |`);
  } finally {
    child.kill("SIGKILL");
  }
}
rmSync(base, { recursive: true, force: true });
console.log("| server | MUST | SHOULD | MAY | warn | time |");
console.log("| --- | --- | --- | --- | --- | --- |");
for (const row of rows) console.log(row);
console.log("");
for (const f of failures) console.log(f);
