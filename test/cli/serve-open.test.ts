/**
 * `tcpkit serve --open`: the URL goes to the platform's opener (a stand-in xdg-open on PATH that
 * records its arguments), a wildcard address as localhost; with no opener at all, serve runs as
 * usual and prints nothing about it.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startCli } from "../support/cli.js";
import { runTool } from "../support/tools.js";

const DIR = mkdtempSync(join(tmpdir(), "tcpkit-open-"));
const BIN = join(DIR, "bin");
const EMPTY = join(DIR, "empty");
const RECORD = join(DIR, "opened.txt");
mkdirSync(BIN);
mkdirSync(EMPTY);
writeFileSync(join(BIN, "xdg-open"), `#!/bin/sh\nprintf '%s\\n' "$@" > '${RECORD}'\n`);
chmodSync(join(BIN, "xdg-open"), 0o755);

after(() => rmSync(DIR, { recursive: true, force: true }));

const serveArgs = ["serve", DIR, "--port", "0", "--log", "off", "--open"];

describe("serve --open", () => {
  it("hands the served URL to xdg-open, a wildcard address as localhost", async () => {
    const env = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ""}` };
    const s = await startCli([...serveArgs, "--host", "0.0.0.0"], { env });
    try {
      // The stand-in's redirection creates the file before printf fills it: wait for the line.
      const recorded = (): boolean =>
        existsSync(RECORD) && readFileSync(RECORD, "utf8").endsWith("\n");
      for (let i = 0; i < 100 && !recorded(); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(readFileSync(RECORD, "utf8"), `http://localhost:${s.port}/\n`);
    } finally {
      await s.stop();
    }
  });

  it("does nothing, silently, where there is no opener", async () => {
    const s = await startCli(serveArgs, { env: { ...process.env, PATH: EMPTY } });
    try {
      const url = `http://127.0.0.1:${s.port}/`;
      const r = await runTool("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", url]);
      assert.equal(r.stdout.toString(), "200");
    } finally {
      const { code, stderr } = await s.stop();
      assert.equal(code, 0);
      assert.equal(stderr, "");
    }
  });
});
