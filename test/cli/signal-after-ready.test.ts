/**
 * A script (systemd, a test harness, `timeout`) may send SIGTERM the moment it reads the
 * readiness line. The long-running commands install their signal handlers before printing it, so
 * that signal always means a graceful stop with exit 0, never the default action (death by
 * SIGTERM, exit 143). Each start is signalled as soon as its line arrives, several times, since
 * the race it guards against lasts microseconds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startCli } from "../support/cli.js";

const COMMANDS: [string, string[]][] = [
  ["serve", ["serve", ".", "--port", "0", "--log", "off"]],
  ["serve --workers 2", ["serve", ".", "--port", "0", "--log", "off", "--workers", "2"]],
  ["echo-server", ["echo-server", "--port", "0"]],
  [
    "echo-server --stats-interval --json",
    ["echo-server", "-p", "0", "--stats-interval", "10s", "--json"],
  ],
];

describe("SIGTERM right after the readiness line stops gracefully", () => {
  for (const [name, args] of COMMANDS) {
    it(`${name}: exit 0 every time`, { timeout: 60_000 }, async () => {
      for (let i = 0; i < 6; i++) {
        const server = await startCli(args);
        const { code } = await server.stop("SIGTERM");
        assert.equal(code, 0, `start ${i + 1}: exit ${code}: ${server.stderr()}`);
      }
    });
  }
});
