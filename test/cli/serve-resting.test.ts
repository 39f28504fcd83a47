/**
 * What a resting `tcpkit serve` or `echo-server` holds (issue 10's memory targets): a server started
 * without a wing's flags does not load that wing's Node built-ins, nor node:crypto and node:zlib
 * before a request needs them; each costs resident memory it would keep for its whole life.
 * Node lists the built-ins a process loaded (process.moduleLoadList), so this runs the CLI on the
 * Node that runs the tests, with a preloaded probe that prints that list when the server exits.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CLI_PATH, REPO_ROOT } from "../support/cli.js";

const DIR = mkdtempSync(join(tmpdir(), "tcpkit-resting-"));
const PROBE = join(DIR, "probe.mjs");
writeFileSync(
  PROBE,
  `import { writeSync } from "node:fs";
process.on("exit", () => {
  const names = process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13));
  writeSync(2, "BUILTINS " + JSON.stringify(names) + "\\n");
});
`,
);
writeFileSync(join(DIR, "hello.txt"), "hello\n");

/** Starts serve with FLAGS, stops it with SIGTERM once ready, and returns the built-ins it loaded. */
function builtinsLoaded(flags: string[]): Promise<string[]> {
  return commandBuiltins(["serve", DIR, "--port", "0", "--log", "off", ...flags]);
}

/** Runs the CLI with ARGS until its readiness line, then SIGTERM; the built-ins it loaded. */
function commandBuiltins(args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", PROBE, CLI_PATH, ...args], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      if (out.includes("listening on")) child.kill("SIGTERM");
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    child.on("close", () => {
      clearTimeout(killer);
      const line = err.split("\n").find((l) => l.startsWith("BUILTINS "));
      if (line === undefined) reject(new Error(`no probe output; stderr: ${err.trim()}`));
      else resolve(JSON.parse(line.slice("BUILTINS ".length)) as string[]);
    });
  });
}

describe("a resting tcpkit serve (on Node)", () => {
  it("has not loaded node:tls, node:crypto nor node:zlib without the flags that need them", async () => {
    const loaded = await builtinsLoaded([]);
    assert.ok(loaded.includes("net"), `the probe sees the server's modules: ${loaded.join(" ")}`);
    for (const name of ["tls", "crypto", "zlib"]) {
      assert.ok(!loaded.includes(name), `${name} loaded at rest`);
    }
  });

  it("loads them with the wings that use them (--proxy to https, --auth)", async () => {
    const loaded = await builtinsLoaded([
      "--proxy",
      "/api=https://127.0.0.1:9",
      "--auth",
      "user:secret-password",
    ]);
    assert.ok(loaded.includes("tls"), `--proxy loads node:tls: ${loaded.join(" ")}`);
    assert.ok(loaded.includes("crypto"), `--auth loads node:crypto: ${loaded.join(" ")}`);
  });
});

describe("a resting tcpkit echo-server (on Node)", () => {
  it("has not loaded node:crypto (the UDP loop guard loads it for its first datagram)", async () => {
    const loaded = await commandBuiltins(["echo-server", "--port", "0"]);
    assert.ok(loaded.includes("net"), `the probe sees the server's modules: ${loaded.join(" ")}`);
    assert.ok(!loaded.includes("crypto"), `crypto loaded at rest: ${loaded.join(" ")}`);
  });
});
