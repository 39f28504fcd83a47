/**
 * Issue 18 #13: running out of file descriptors is said, not silent. Under `prlimit --nofile=64`
 * (util-linux), 100 connections at once to serve or echo-server: those past what the limit
 * allows are refused with one stderr line saying why; once they close, the server takes
 * connections again by itself (and echo-server counts the refusals in its totals).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { CLI_PATH, REPO_ROOT } from "../support/cli.js";
import { CLI_RUNTIME } from "../support/runtime.js";

const CONNECTIONS = 100;

/** Starts `tcpkit ARGS` under a 64-descriptor limit; resolves with it and its port. */
async function startLimited(
  args: string[],
): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = spawn("prlimit", ["--nofile=64:64", "--", CLI_RUNTIME, CLI_PATH, ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 15_000;
  while (!/listening on \S+:(\d+)/.test(out)) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `not ready: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, port: Number(/listening on \S+:(\d+)/.exec(out)![1]), stderr: () => err };
}

/** Opens CONNECTIONS connections at once; after 1.5 s, how many the server closed; then all closed. */
async function flood(port: number): Promise<number> {
  const sockets: Socket[] = [];
  let closedByServer = 0;
  for (let i = 0; i < CONNECTIONS; i++) {
    const s = connect(port, "127.0.0.1");
    s.on("error", () => {});
    s.on("close", () => closedByServer++);
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 1500));
  const closed = closedByServer;
  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 300));
  return closed;
}

/** Sends `request` on a new connection and resolves with what came back before the close. */
function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => s.end(request));
    let got = "";
    s.on("data", (c: Buffer) => (got += c.toString()));
    s.on("close", () => resolve(got));
    s.on("error", reject);
    s.setTimeout(10_000, () => s.destroy(new Error("no answer")));
  });
}

const LINE =
  /^tcpkit: (HTTP|echo) server: \d+ connections? refused: \d+ open at once is all the file-descriptor limit allows \(ulimit -n 64\); raise it with ulimit -n$/m;

describe("out of file descriptors (prlimit --nofile=64)", () => {
  it("serve: refusals said on stderr, then serving again", { timeout: 60_000 }, async () => {
    const server = await startLimited(["serve", ".", "--port", "0", "--log", "off"]);
    try {
      const refused = await flood(server.port);
      assert.ok(refused > 0, "the limit did not bind: no connection was refused");
      assert.match(server.stderr(), LINE);
      assert.equal(
        server
          .stderr()
          .split("\n")
          .filter((l) => LINE.test(l)).length,
        1,
        "one line, not one per refusal",
      );
      const answer = await exchange(server.port, "GET /package.json HTTP/1.0\r\n\r\n");
      assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    } finally {
      server.child.kill("SIGTERM");
      await once(server.child, "exit");
    }
  });

  it(
    "echo-server: refusals said and counted in the totals, then echoing again",
    { timeout: 60_000 },
    async () => {
      const server = await startLimited(["echo-server", "-p", "0"]);
      const refused = await flood(server.port);
      assert.ok(refused > 0, "the limit did not bind: no connection was refused");
      assert.match(server.stderr(), LINE);
      assert.equal(await exchange(server.port, "still here"), "still here");
      server.child.kill("SIGTERM");
      await once(server.child, "exit");
      const totals = / (\d+) refused over --max-connections/.exec(server.stderr());
      assert.ok(totals !== null && Number(totals[1]) >= refused, server.stderr());
    },
  );
});
