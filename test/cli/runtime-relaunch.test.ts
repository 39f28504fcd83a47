import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CLI_PATH, runCli, startCli } from "../support/cli.js";
import { CLI_RUNTIME_NAME } from "../support/runtime.js";

// bin/tcpkit.js started by a Node older than 22 (`npm link` where the machine's Node is 20)
// runs itself again on the Node 24 in the clone's node_modules. TCPKIT_PRETEND_OLD_NODE=1 takes
// that path on the current Node; the relaunched process reports the version it runs on.
const OLD = { ...process.env, TCPKIT_PRETEND_OLD_NODE: "1" };

describe("tcpkit started by an old Node", () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpkit-relaunch-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("runs on the clone's own Node instead, with the same arguments and exit code", async () => {
    const ok = await runCli(["--version"], { env: OLD });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^tcpkit \d+\.\d+\.\d+/);
    const usage = await runCli(["no-such-command"], { env: OLD });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^tcpkit: unknown command/);
  });

  it("passes SIGTERM on to a server, which stops gracefully (exit 0)", async () => {
    const server = await startCli(["serve", "site", "--port", "0", "--log", "off"], { env: OLD });
    const pid = server.child.pid as number;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    // Bun is never "old": it runs the CLI itself.
    assert.equal(children !== "", CLI_RUNTIME_NAME === "node", `children of ${pid}: ${children}`);
    const { code } = await server.stop("SIGTERM");
    assert.equal(code, 0);
  });

  it("says in one line what to do when there is no local Node", () => {
    mkdirSync(join(dir, "bin"));
    copyFileSync(CLI_PATH, join(dir, "bin", "tcpkit.js"));
    const r = spawnSync(process.execPath, [join(dir, "bin", "tcpkit.js"), "--version"], {
      env: OLD,
      encoding: "utf8",
    });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^tcpkit: needs Node\.js 22 or newer \(this is [\d.]+\); install Node 24 LTS, or run npm install in tcpkit's folder[^\n]*\n$/,
    );
  });
});
