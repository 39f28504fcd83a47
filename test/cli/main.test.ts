import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { CLI_PATH, REPO_ROOT, runCli, startCli } from "../support/cli.js";
import { CLI_RUNTIME } from "../support/runtime.js";

/** Runs the CLI with its stdout pipe closed from the start (`tcpkit ... | true`). */
function runIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(CLI_RUNTIME, [CLI_PATH, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe("tcpkit (top level)", () => {
  it("prints help listing every command, exit 0", async () => {
    const r = await runCli(["--help"]);
    assert.equal(r.code, 0);
    for (const name of ["serve", "echo-server", "echo", "get"]) {
      assert.match(r.stdout, new RegExp(`^  ${name} `, "m"));
    }
  });

  it("ships the MIT LICENSE that package.json promises", () => {
    const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, "utf8")) as {
      license: string;
    };
    assert.equal(pkg.license, "MIT");
    const license = readFileSync(`${REPO_ROOT}/LICENSE`, "utf8");
    assert.match(license, /^MIT License\n/);
    assert.match(license, /Permission is hereby granted, free of charge/);
  });

  it("prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, "utf8")) as {
      version: string;
    };
    const r = await runCli(["--version"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `tcpkit ${pkg.version}\n`);
  });

  it("fails with one line and exit 1, not a stack trace, when stdout's reader has gone", async () => {
    const echoServer = await startCli(["echo-server", "--port", "0"]);
    try {
      for (const args of [["--help"], ["echo", "--port", String(echoServer.port), "hello"]]) {
        const r = await runIntoClosedPipe(args);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stderr, "tcpkit: cannot write to stdout: write EPIPE\n", args.join(" "));
      }
    } finally {
      await echoServer.stop();
    }
  });

  it("refuses a timeout or interval longer than a timer can wait (24 days) with exit 2", async () => {
    // Past 2^31 - 1 ms Node runs a timer after 1 ms: --timeout 1e11 s timed out at once, and
    // --stats-interval 1e11 s printed the totals a thousand times a second.
    const echoServer = await startCli(["echo-server", "--port", "0"]);
    try {
      const port = String(echoServer.port);
      for (const [args, flagName] of [
        [["echo", "--port", port, "--timeout", "99999999999", "hi"], "--timeout"],
        [["echo", "--port", port, "--rate", "10", "-c", "3", "-d", "99999999999"], "--duration"],
        [["echo-server", "--port", "0", "--stats-interval", "99999999999"], "--stats-interval"],
        [["get", "--timeout", "99999999999", `http://127.0.0.1:${port}/`], "--timeout"],
      ] as const) {
        const r = await runCli([...args], { timeoutMs: 5_000 });
        assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
        assert.equal(
          r.stderr,
          `tcpkit: ${flagName} must be at most 24 days (2147483s), not '99999999999' (see 'tcpkit ${args[0]} --help')\n`,
        );
      }
      // The longest one a timer takes is still accepted.
      const r = await runCli(["echo", "--port", port, "--timeout", "2147483", "hi"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "");
    } finally {
      await echoServer.stop();
    }
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
