// `tcpkit get` typed the way wget and curl users type (issue 13): -O FILE, -O -, -qO-, -L, -I,
// -s, -f, -i FILE (and a curl user's -i URL), a lookup that fails, and the progress line in a
// narrow terminal that is resized while it is drawn.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CLI_PATH } from "../support/cli.js";
import { CLI_RUNTIME } from "../support/runtime.js";
import { useCannedSite } from "../support/canned-site.js";
import { startCannedServer } from "../support/canned-server.js";

describe("tcpkit get: wget and curl habits", () => {
  const site = useCannedSite();
  const get = (args: string[]) => site.get(args);

  it("-O FILE saves there; -O - and -qO- write the body to stdout, quietly", async () => {
    const named = await get(["-O", "out.txt", site.server.url("/file.txt")]);
    assert.equal(named.code, 0, named.stderr);
    assert.equal(readFileSync(join(site.cwd, "out.txt"), "utf8"), "hello\n");
    const dash = await get(["-O", "-", site.server.url("/file.txt")]);
    assert.equal(dash.stdout, "hello\n");
    const quiet = await get(["-qO-", site.server.url("/file.txt")]);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stdout, "hello\n");
    assert.equal(quiet.stderr, "");
    const both = await get(["-o", "a", "-O", "b", site.server.url("/file.txt")]);
    assert.equal(both.code, 2);
  });

  it("accepts curl's -L, -f and -s; -s is quiet", async () => {
    const r = await get(["-L", "-f", "-s", "-o", "-", site.server.url("/r1")]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "final\n");
    assert.equal(r.stderr, "");
    const missing = await get(["-fsL", site.server.url("/missing")]);
    assert.equal(missing.code, 3);
  });

  it("-I sends HEAD and prints the head; nothing is saved", async () => {
    const r = await get(["-I", site.server.url("/file.txt")]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n");
    assert.equal(site.server.requests.at(-1)?.method, "HEAD");
    assert.deepEqual(site.files(), []);
  });

  it("-i FILE reads URLs, as wget; -i URL (curl's include) says to use --include", async () => {
    writeFileSync(
      join(site.cwd, "list"),
      `${site.server.url("/file.txt")}\n# comment\n\n${site.server.url("/final.txt")}\n`,
    );
    const r = await get(["-i", "list"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(site.cwd, "final.txt"), "utf8"), "final\n");
    const curl = await get(["-i", site.server.url("/file.txt")]);
    assert.equal(curl.code, 2);
    assert.match(
      curl.stderr,
      /-i reads a list of URLs from a file \(wget's -i\); for curl's -i .* use --include/,
    );
  });

  it("says 'cannot resolve NAME' when a lookup fails", async () => {
    const r = await get(["http://no-such-host.invalid/x"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "tcpkit: cannot resolve no-such-host.invalid\n");
  });

  it("keeps the progress line inside a 40-column terminal, and redraws it when resized", async () => {
    // 1,000 bytes of a 941 MiB body, then silence: the line (percent, sizes, rate, ETA) would be
    // about 50 columns. The terminal is 40 columns, then 24 after 0.6 s (stty sends SIGWINCH).
    const server = await startCannedServer((_request, socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 987654321\r\n\r\n");
      socket.write(Buffer.alloc(1000, 0x61));
      return undefined;
    });
    const get = `${CLI_RUNTIME} ${CLI_PATH} get --timeout 1.5 -o out.bin ${server.url("/x")}`;
    const script = `stty cols 40 rows 20; ${get} & sleep 0.6; stty cols 24; wait`;
    const out = await new Promise<string>((resolve) => {
      const child = spawn("script", ["-qfec", script, "/dev/null"], {
        cwd: site.cwd,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let text = "";
      child.stdout.on("data", (c: Buffer) => (text += c.toString("latin1")));
      child.once("close", () => resolve(text));
    });
    await server.close();
    // Each draw starts with a carriage return and an erase; what follows up to the next CR.
    // eslint-disable-next-line no-control-regex
    const draws = [...out.matchAll(/\r\x1b\[(2K|J)([^\r]*)/g)].map((m) => [m[1], m[2] ?? ""]);
    const progress = draws.filter(([, text]) => /%/.test(text ?? ""));
    assert.ok(progress.length >= 2, JSON.stringify(out));
    for (const [, text] of progress) assert.ok((text ?? "").length < 40, JSON.stringify(text));
    // After the resize: up to the line's first row, erase to the end of the screen, and draw it
    // again within 24 columns.
    const resized = draws.findIndex(([erase]) => erase === "J");
    assert.ok(resized > 0, JSON.stringify(out));
    // eslint-disable-next-line no-control-regex
    assert.match(out, /\x1b\[1A\r\x1b\[J/);
    for (const [, text] of draws.slice(resized)) {
      if (/%/.test(text ?? "")) assert.ok((text ?? "").length < 24, JSON.stringify(text));
    }
  });
});
