import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { REPO_ROOT, runCli } from "../support/cli.js";

describe("tcpkit (top level)", () => {
  it("prints help listing every command, exit 0", async () => {
    const r = await runCli(["--help"]);
    assert.equal(r.code, 0);
    for (const name of ["serve", "echo-server", "echo", "get"]) {
      assert.match(r.stdout, new RegExp(`^  ${name} `, "m"));
    }
  });

  it("prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, "utf8")) as {
      version: string;
    };
    const r = await runCli(["--version"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `tcpkit ${pkg.version}\n`);
  });

  it("rejects an unknown command with one stderr line, exit 2", async () => {
    const r = await runCli(["frobnicate"]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "tcpkit: unknown command 'frobnicate' (see 'tcpkit --help')\n");
    assert.equal(r.stdout, "");
  });

  it("shows usage and exits 2 when no command is given", async () => {
    const r = await runCli([]);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /^Usage: tcpkit COMMAND/);
  });

  for (const name of ["serve", "echo-server", "echo", "get"]) {
    it(`prints help for ${name}`, async () => {
      const r = await runCli([name, "--help"]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`^Usage: tcpkit ${name}`));
    });

    it(`rejects an unknown flag of ${name} with exit 2 and one line`, async () => {
      const r = await runCli([name, "--no-such-flag"]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.split("\n").filter(Boolean).length, 1);
      assert.match(r.stderr, /^tcpkit: /);
    });
  }
});
