/**
 * What a listing offers, against `tcpkit serve` over real sockets: only entries the server would
 * serve (issue 13; 18 #16: names with CR, LF, TAB, ESC, a backslash or bytes that are not UTF-8
 * are left out, every listed link answers 200; symlinks out of ROOT listed only with
 * --follow-symlinks), no name byte reaching a text listing as a C0 or C1 control (18 #15), and
 * listing work bounded however many are asked for at once (18 #3: a cold file is answered
 * promptly while 100 listings of 5,000-entry folders are in flight).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type RunningServer, startServe } from "../support/cli.js";

let root: string;
let outside: string;
let server: RunningServer;

/** GET `path` (already encoded) with `accept`; resolves with the status and body. */
function get(
  port: number,
  path: string,
  accept = "*/*",
  timeout = 20_000,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, headers: { accept }, agent: false, timeout },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`no answer to ${path} in ${timeout} ms`)));
    req.end();
  });
}

const ODD_NAMES = [
  "cr\rname",
  "lf\nname",
  "tab\tname",
  "esc\x1bname",
  "del\x7fname",
  "back\\slash",
];

before(async () => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-entries-"));
  outside = mkdtempSync(join(tmpdir(), "tcpkit-outside-"));
  const odd = join(root, "odd");
  mkdirSync(odd);
  for (const name of ODD_NAMES) writeFileSync(join(odd, name), "odd\n");
  // Latin-1 bytes, not UTF-8: readdir would decode them to U+FFFD, another name.
  writeFileSync(Buffer.from(join(odd, "caf\xe9.txt"), "latin1"), "latin1\n");
  writeFileSync(join(odd, "c1\u009bname.txt"), "c1\n");
  writeFileSync(join(odd, "plain.txt"), "plain\n");
  writeFileSync(join(odd, "ünïcode.txt"), "unicode\n");
  mkdirSync(join(odd, ".hidden"));
  writeFileSync(join(odd, ".hidden", "secret.txt"), "secret\n");
  writeFileSync(join(outside, "passwd"), "outside\n");
  symlinkSync(join(outside, "passwd"), join(odd, "out-link"));
  symlinkSync(outside, join(odd, "out-folder"));
  symlinkSync(join(odd, "plain.txt"), join(odd, "in-link"));
  symlinkSync(join(odd, ".hidden", "secret.txt"), join(odd, "dot-link"));
  symlinkSync(join(odd, "nowhere"), join(odd, "dangling"));
  server = await startServe(root);
});

after(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

interface JsonListing {
  entries: { name: string; type: string }[];
}

describe("listing entries", () => {
  it("lists only what a request can reach, and every listed link answers 200", async () => {
    const json = await get(server.port, "/odd/", "application/json");
    const names = (JSON.parse(json.body.toString()) as JsonListing).entries.map((e) => e.name);
    assert.deepEqual(names.sort(), ["c1\u009bname.txt", "in-link", "plain.txt", "ünïcode.txt"]);
    const html = (await get(server.port, "/odd/", "text/html")).body.toString();
    const hrefs = [...html.matchAll(/<td class="name"><a href="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(hrefs.length, names.length + 1, html);
    for (const href of hrefs) {
      const target = new URL((href as string).replaceAll("&amp;", "&"), "http://x/odd/").pathname;
      const r = await get(server.port, target);
      assert.equal(r.status, 200, `${href} → ${r.status}`);
    }
  });

  it("lets no name byte reach a text listing as a C0 or C1 control", async () => {
    const text = (await get(server.port, "/odd/", "text/plain")).body.toString("utf8");
    const lines = text.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 4, text);
    for (const line of lines) {
      const [name, ...rest] = line.split("\t");
      assert.equal(rest.length, 2, line);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(name ?? "", /[\x00-\x1f\x7f-\x9f]/, JSON.stringify(line));
    }
    assert.ok(
      lines.some((l) => l.startsWith("c1?name.txt\t")),
      text,
    );
  });

  it("lists a symlink out of ROOT only with --follow-symlinks", async () => {
    const follow = await startServe(root, "--follow-symlinks");
    try {
      const json = await get(follow.port, "/odd/", "application/json");
      const listed = (JSON.parse(json.body.toString()) as JsonListing).entries;
      const names = listed.map((e) => e.name);
      assert.ok(names.includes("out-link") && names.includes("out-folder"), names.join());
      assert.equal(listed.find((e) => e.name === "out-folder")?.type, "directory");
      assert.equal((await get(follow.port, "/odd/out-link")).body.toString(), "outside\n");
      assert.ok(!names.includes("dot-link") && !names.includes("dangling"), names.join());
    } finally {
      await follow.stop();
    }
  });
});

describe("listings under load", () => {
  it(
    "answers a cold file promptly while 100 listings of 5,000-entry folders are in flight",
    // Only a guard against a hang: with the CLI on Bun on a loaded machine the 100 listings
    // took 30 s in one run and over 60 s (this guard's old value) in another of 4.
    { timeout: 180_000 },
    async () => {
      const big = join(root, "big");
      for (let f = 0; f < 2; f++) {
        const folder = join(big, `f${f}`);
        mkdirSync(folder, { recursive: true });
        for (let i = 0; i < 5000; i++) writeFileSync(join(folder, `entry-${i}.txt`), "");
      }
      writeFileSync(join(root, "cold.txt"), "cold\n");
      const rssBefore = rssKiB(server);
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssKiB(server))), 50);
      const started = Date.now();
      const listings = Array.from({ length: 100 }, (_, i) =>
        get(server.port, `/big/f${i % 2}/?sort=${i % 4 < 2 ? "name" : "size"}`, "text/html"),
      );
      // Let the listings reach the server first.
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      // Today's main made it wait 64 s here (RSS +1.8 GiB); give up at 5 s.
      const cold = await get(server.port, "/cold.txt", "*/*", 5000);
      const coldMs = Date.now() - t0;
      assert.equal(cold.body.toString(), "cold\n");
      const done = await Promise.all(listings).finally(() => clearInterval(sampler));
      const allMs = Date.now() - started;
      for (const r of done) assert.equal(r.status, 200);
      assert.ok(done.every((r) => r.body.includes("entry-4999.txt")));
      const grewMiB = (rssPeak - rssBefore) / 1024;
      assert.ok(coldMs < 2000, `the cold file waited ${coldMs} ms (all listings: ${allMs} ms)`);
      assert.ok(grewMiB < 300, `RSS grew ${grewMiB.toFixed(0)} MiB`);
    },
  );
});

/** The server's resident set from /proc (Linux). */
function rssKiB(s: RunningServer): number {
  const status = readFileSync(`/proc/${s.child.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}
