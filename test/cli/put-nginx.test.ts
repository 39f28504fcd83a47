/**
 * `tcpkit put` against nginx with its dav module (`dav_methods PUT`): plain PUT stores the file
 * byte-exact (201, then 204 replacing it, as nginx does), stdin goes chunked, `--resumable`
 * against a server without the draft is a plain PUT that completes; nginx's refusals (500 for a
 * missing folder, 405 where dav is off, 413 over client_max_body_size) are exit 3.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../support/cli.js";
import { freePort, waitForPort } from "../support/ports.js";

let dir: string;
let www: string;
let nginx: ChildProcess;
let base: string;
const env = (): NodeJS.ProcessEnv => ({ ...process.env, TCPKIT_STATE_DIR: join(dir, "state") });
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

before(async () => {
  // The dav module is what this test is about: without it the test fails rather than skips.
  const version = spawnSync("/usr/sbin/nginx", ["-V"], { encoding: "utf8" });
  assert.match(version.stderr, /--with-http_dav_module/, "nginx lacks http_dav_module");
  dir = mkdtempSync(join(tmpdir(), "tcpkit-put-nginx-"));
  www = join(dir, "www");
  for (const sub of ["www/dav", "www/ro", "www/small", "nginx"])
    mkdirSync(join(dir, sub), { recursive: true });
  for (const sub of ["", "www", "www/dav", "www/ro", "www/small"]) chmodSync(join(dir, sub), 0o777);
  const port = await freePort();
  const conf = join(dir, "nginx");
  const user = process.getuid?.() === 0 ? "user root;\n" : "";
  writeFileSync(
    join(conf, "nginx.conf"),
    `${user}daemon off;
worker_processes 1;
pid ${conf}/nginx.pid;
error_log ${conf}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${conf}/body;
  proxy_temp_path ${conf}/proxy;
  fastcgi_temp_path ${conf}/fastcgi;
  uwsgi_temp_path ${conf}/uwsgi;
  scgi_temp_path ${conf}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${www};
    location /dav/ { dav_methods PUT DELETE; client_max_body_size 64m; }
    location /small/ { dav_methods PUT; client_max_body_size 1k; }
  }
}
`,
  );
  nginx = spawn("/usr/sbin/nginx", ["-p", conf, "-c", join(conf, "nginx.conf")], {
    stdio: "ignore",
  });
  await waitForPort(port, nginx);
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  if (nginx !== undefined && nginx.exitCode === null && nginx.signalCode === null) {
    const exited = new Promise((r) => nginx.once("exit", r));
    nginx.kill("SIGTERM");
    const killer = setTimeout(() => nginx.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(killer);
  }
  rmSync(dir, { recursive: true, force: true });
});

function source(name: string, data: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

describe("tcpkit put against nginx's dav module", () => {
  it("stores the file byte-exact: 201, then 204 replacing it", async () => {
    const data = randomBytes(5 * 1024 * 1024 + 11);
    const path = source("a.bin", data);
    const r = await runCli(["put", path, `${base}/dav/`], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\/dav\/a\.bin: 201 Created/);
    assert.equal(sha(readFileSync(join(www, "dav/a.bin"))), sha(data));
    const next = randomBytes(1000);
    writeFileSync(path, next);
    const again = await runCli(["put", path, `${base}/dav/a.bin`], { env: env() });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /: 204 No Content/);
    assert.equal(sha(readFileSync(join(www, "dav/a.bin"))), sha(next));
  });

  it("sends stdin chunked, which nginx takes", async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const r = await runCli(["put", "-", `${base}/dav/stdin.bin`], { env: env(), input: data });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha(readFileSync(join(www, "dav/stdin.bin"))), sha(data));
  });

  it("--resumable without the draft on the server is a plain PUT, and nothing stays remembered", async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const path = source("r.bin", data);
    const r = await runCli(["put", "-r", path, `${base}/dav/r.bin`], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha(readFileSync(join(www, "dav/r.bin"))), sha(data));
    const state = join(dir, "state");
    assert.deepEqual(existsSync(state) ? readdirSync(state) : [], []);
  });

  it("exits 3 on nginx's 500 (missing folder), 405 (no dav) and 413 (client_max_body_size)", async () => {
    const path = source("x.bin", randomBytes(100_000));
    const cases: [string, RegExp][] = [
      // nginx 1.22 answers a missing folder with 500 (its rename fails), not WebDAV's 409.
      [`${base}/dav/missing/x.bin`, /tcpkit: HTTP 500 Internal Server Error from /],
      [`${base}/ro/x.bin`, /tcpkit: HTTP 405 Not Allowed from /],
      [`${base}/small/x.bin`, /tcpkit: HTTP 413 Request Entity Too Large from /],
    ];
    for (const [url, message] of cases) {
      const r = await runCli(["put", path, url], { env: env() });
      assert.equal(r.code, 3, `${url}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.deepEqual(readdirSync(join(www, "small")), []);
  });
});
