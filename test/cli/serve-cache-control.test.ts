/**
 * Issue 19: `--cache-control auto` as curl sees it: HTML, JSON and listings revalidate, hashed
 * asset names are immutable for a year (also on their 304 and their gzip copy), the rest cached
 * for 5 minutes; an explicit value stays as it was, for every file.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServe, type RunningServer } from "../support/cli.js";
import { runTool } from "../support/tools.js";

let root: string;
let auto: RunningServer;
let fixed: RunningServer;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-cache-"));
  mkdirSync(join(root, "assets"));
  writeFileSync(join(root, "index.html"), "<!doctype html><p>hi\n");
  writeFileSync(join(root, "data.json"), "{}\n");
  writeFileSync(join(root, "assets/app.3f9a2c1b.js"), "console.log(1);\n".repeat(200));
  writeFileSync(join(root, "assets/index-BdK3jZ9a.css"), "p{}\n");
  writeFileSync(join(root, "photo.jpg"), Buffer.alloc(100));
  auto = await startServe(root, "--cache-control", "auto", "--compress");
  fixed = await startServe(root, "--cache-control", "max-age=60");
});
after(async () => {
  await auto?.stop();
  await fixed?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** The Cache-Control curl sees for `path` (with extra curl arguments), and the status. */
async function cacheControl(
  server: RunningServer,
  path: string,
  ...args: string[]
): Promise<string> {
  const r = await runTool("curl", [
    "-sS",
    "-o",
    "/dev/null",
    "-D",
    "-",
    ...args,
    `http://127.0.0.1:${server.port}${path}`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const head = r.stdout.toString("latin1");
  const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
  const value = /^cache-control: (.*)\r$/im.exec(head)?.[1] ?? "(none)";
  return `${status} ${value}`;
}

describe("serve --cache-control auto", () => {
  it("HTML, JSON and listings revalidate", async () => {
    assert.equal(await cacheControl(auto, "/"), "200 no-cache");
    assert.equal(await cacheControl(auto, "/index.html"), "200 no-cache");
    assert.equal(await cacheControl(auto, "/data.json"), "200 no-cache");
    assert.equal(await cacheControl(auto, "/assets/"), "200 no-cache");
  });

  it("hashed names are immutable for a year, on 200, 304 and the gzip copy", async () => {
    const year = "public, max-age=31536000, immutable";
    assert.equal(await cacheControl(auto, "/assets/app.3f9a2c1b.js"), `200 ${year}`);
    assert.equal(await cacheControl(auto, "/assets/index-BdK3jZ9a.css"), `200 ${year}`);
    const etag = (
      await runTool("curl", ["-sSI", `http://127.0.0.1:${auto.port}/assets/app.3f9a2c1b.js`])
    ).stdout
      .toString("latin1")
      .match(/^etag: (.*)\r$/im)?.[1];
    assert.ok(etag !== undefined);
    assert.equal(
      await cacheControl(auto, "/assets/app.3f9a2c1b.js", "-H", `If-None-Match: ${etag}`),
      `304 ${year}`,
    );
    assert.equal(
      await cacheControl(auto, "/assets/app.3f9a2c1b.js", "--compressed"),
      `200 ${year}`,
    );
  });

  it("anything else for 5 minutes; an explicit value applies to every file as before", async () => {
    assert.equal(await cacheControl(auto, "/photo.jpg"), "200 public, max-age=300");
    assert.equal(await cacheControl(fixed, "/photo.jpg"), "200 max-age=60");
    assert.equal(await cacheControl(fixed, "/assets/app.3f9a2c1b.js"), "200 max-age=60");
    assert.equal(await cacheControl(fixed, "/index.html"), "200 max-age=60");
  });
});
