/** The static-site flags of `tcpkit serve`: validation (exit 2, one line), a bad ROOT, --spa. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { CLI_PATH, REPO_ROOT, runCli, startCli, startServe } from "../support/cli.js";
import { CLI_RUNTIME } from "../support/runtime.js";
import { runSteps, type Step } from "../support/connection-modes.js";
import { makeStaticFixture } from "../support/static-fixture.js";
import { runTool } from "../support/tools.js";
import { join } from "node:path";

const SITE = join(REPO_ROOT, "site");

describe("tcpkit serve static flags", () => {
  const usage: [string[], RegExp][] = [
    [
      ["--header", "NoColon"],
      /^tcpkit: --header: expected 'Name: value', not 'NoColon' \(see 'tcpkit serve --help'\)\n$/,
    ],
    [
      ["--header", "Bad Name: x"],
      /^tcpkit: --header: invalid field name 'Bad Name' \(see 'tcpkit serve --help'\)\n$/,
    ],
    [
      ["--header", "Content-Length: 5"],
      /^tcpkit: --header: header 'Content-Length' is set by the server \(see 'tcpkit serve --help'\)\n$/,
    ],
    [
      ["--header", "X-A: a\u0001b"],
      /^tcpkit: --header: the value of 'X-A' has a control character \(see 'tcpkit serve --help'\)\n$/,
    ],
    [
      ["--spa=../outside.html"],
      /^tcpkit: --spa: invalid SPA file '\.\.\/outside\.html' \(see 'tcpkit serve --help'\)\n$/,
    ],
    [
      ["--cache-control", "a\nb"],
      /^tcpkit: --cache-control: the value has a control character \(see 'tcpkit serve --help'\)\n$/,
    ],
  ];
  for (const [flags, message] of usage) {
    it(`rejects ${JSON.stringify(flags)} with exit 2 and one line`, async () => {
      const r = await runCli(["serve", SITE, "--port", "0", ...flags]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.split("\n").length, 2);
    });
  }

  it("--header and --cache-control values go out as typed, in UTF-8 (\u20ac too)", async () => {
    // Field values are octets (RFC 9110 §5.5): the bytes of the argument, as nginx sends an
    // add_header written in a UTF-8 file; "\u20ac" was refused as "a control character".
    const s = await startServe(
      SITE,
      "--header",
      "X-Sign: 5 \u20ac caf\u00e9",
      "--cache-control",
      "max-age=1, x=\u00e9",
    );
    try {
      const r = await runTool("curl", [
        "-s",
        "-o",
        "/dev/null",
        "-D",
        "-",
        `http://127.0.0.1:${s.port}/hello.txt`,
      ]);
      const head = r.stdout;
      const line = (name: string): Buffer | undefined => {
        const at = head.indexOf(Buffer.from(`\r\n${name}: `));
        if (at < 0) return undefined;
        const start = at + name.length + 4;
        return head.subarray(start, head.indexOf("\r\n", start));
      };
      assert.deepEqual(line("X-Sign"), Buffer.from("5 \u20ac caf\u00e9", "utf8"));
      assert.deepEqual(line("Cache-Control"), Buffer.from("max-age=1, x=\u00e9", "utf8"));
    } finally {
      await s.stop();
    }
  });

  it("fails with exit 1 and one line when ROOT is not a folder", async () => {
    const r = await runCli(["serve", join(SITE, "hello.txt"), "--port", "0"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `tcpkit: root is not a readable directory: ${join(SITE, "hello.txt")}\n`,
    );
  });

  it("refuses an unreadable ROOT at start as it refuses a missing one", async () => {
    const base = mkdtempSync(join(tmpdir(), "tcpkit-unreadable-"));
    const locked = join(base, "locked");
    mkdirSync(locked, { mode: 0o000 });
    chmodSync(base, 0o755);
    try {
      // As root (CI) every folder is readable: run the CLI as nobody through setpriv.
      const asUser = process.getuid?.() === 0;
      const run = (root: string): ReturnType<typeof spawnSync> =>
        asUser
          ? spawnSync(
              "setpriv",
              [
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                CLI_RUNTIME,
                CLI_PATH,
                "serve",
                root,
                "--port",
                "0",
              ],
              { encoding: "utf8", timeout: 20_000 },
            )
          : spawnSync(CLI_RUNTIME, [CLI_PATH, "serve", root, "--port", "0"], {
              encoding: "utf8",
              timeout: 20_000,
            });
      for (const root of [locked, join(base, "missing")]) {
        const r = run(root);
        assert.equal(r.status, 1, String(r.stderr));
        assert.equal(r.stderr, `tcpkit: root is not a readable directory: ${root}\n`);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it("refuses --spa FILE that is not a file under ROOT, at start", async () => {
    const r = await runCli(["serve", SITE, "--port", "0", "--spa", "app.html"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `tcpkit: the SPA file app.html is not a file under the root: ${SITE}\n`);
  });

  it("takes `serve 8000` as a port meant, when there is no folder 8000", async () => {
    const r = await runCli(["serve", "8000"], { cwd: SITE });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "tcpkit: there is no folder '8000'; did you mean --port 8000?\n");
  });

  it("accepts --host [::1] as written in URLs, and -p for --port", async () => {
    const s = await startCli(["serve", SITE, "--host", "[::1]", "-p", "0", "--log", "off"]);
    try {
      assert.match(s.line, /listening on http:\/\/\[::1\]:\d+ /);
    } finally {
      await s.stop();
    }
  });

  it("--spa before ROOT does not swallow ROOT, and serves the app for routes", async () => {
    const s = await startCli([
      "serve",
      "--spa",
      SITE,
      "--port",
      "0",
      "--allowed-hosts",
      "any",
      "--log",
      "off",
    ]);
    try {
      assert.match(s.line, new RegExp(`\\(root ${SITE}\\)$`));
      const [route] = await runSteps(s.port, "fresh", [
        { request: "GET /some/route HTTP/1.1\r\nHost: t\r\nAccept: text/html\r\n\r\n" },
      ]);
      assert.equal(route?.status, 200);
      assert.match(route.body.toString(), /<title>/);
    } finally {
      await s.stop();
    }
  });

  it("--no-listing, --dotfiles and --follow-symlinks do what they say", async () => {
    const fx = makeStaticFixture();
    const s = await startServe(fx.root, "--no-listing", "--dotfiles", "--follow-symlinks");
    try {
      const get = (path: string): Step => ({ request: `GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n` });
      const [listing, env, out, index] = await runSteps(s.port, "keep-alive", [
        get("/docs/"),
        get("/.env"),
        get("/link-out.txt"),
        get("/"),
      ]);
      assert.equal(listing?.status, 404);
      assert.equal(env?.status, 200);
      assert.equal(env.body.toString(), "SECRET=1\n");
      assert.equal(out?.status, 200);
      assert.equal(out.body.toString(), "SECRET outside\n");
      assert.equal(index?.status, 200);
    } finally {
      await s.stop();
      fx.remove();
    }
  });

  it("--spa FILE.html names the app file; --spa=FILE too", async () => {
    for (const flags of [["--spa", "index.html"], ["--spa=index.html"]]) {
      const s = await startCli([
        "serve",
        ...flags,
        SITE,
        "--port",
        "0",
        "--allowed-hosts",
        "any",
        "--log",
        "off",
      ]);
      try {
        const [route] = await runSteps(s.port, "fresh", [
          { request: "GET /a/route HTTP/1.1\r\nHost: t\r\nAccept: text/html\r\n\r\n" },
        ]);
        assert.equal(route?.status, 200, flags.join(" "));
      } finally {
        await s.stop();
      }
    }
  });

  it("--help lists the static flags", async () => {
    const r = await runCli(["serve", "--help"]);
    for (const flag of [
      "--no-listing",
      "--dotfiles",
      "--follow-symlinks",
      "--cache-control",
      "--spa",
      "--cors",
      "--header",
      "--compress",
    ]) {
      assert.ok(r.stdout.includes(flag), flag);
    }
  });
});
