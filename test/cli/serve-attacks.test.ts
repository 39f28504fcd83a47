/**
 * `tcpkit serve` under the attacks of issue 18, each a regression test: TLS handshakes that never
 * finish, clients that never read, a stalled access-log reader, running out of file
 * descriptors. The built CLI is spawned; figures come from its /proc entries.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServe, type RunningServer } from "../support/cli.js";
import { makeSelfSignedCert } from "../support/tls-cert.js";
import { runTool } from "../support/tools.js";

const ROOT = mkdtempSync(join(tmpdir(), "tcpkit-attacks-"));
writeFileSync(join(ROOT, "a.txt"), "hello\n");

/** Open descriptors of a process (Linux /proc). */
function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Resolves true once `check()` holds, polling every 50 ms, false after `ms`. */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

describe("serve over TLS: handshakes that never finish (issue 18 #1)", () => {
  let s: RunningServer;
  before(async () => {
    const { cert, key } = await makeSelfSignedCert(ROOT);
    s = await startServe(
      ROOT,
      ...["--tls-cert", cert, "--tls-key", key, "--head-timeout", "1", "--max-connections", "20"],
    );
  });
  after(() => s.stop());

  it("closes silent and half-record handshakes within the head timeout, serving real clients meanwhile", async () => {
    const socks: Socket[] = [];
    const closedAt: number[] = [];
    const start = Date.now();
    // Twice the connection limit: the silent, then a TLS record header's first 4 bytes.
    for (let i = 0; i < 40; i++) {
      const sock = await open(s.port);
      sock.on("error", () => {});
      sock.on("close", () => closedAt.push(Date.now() - start));
      sock.resume();
      if (i % 2 === 1) sock.write(Buffer.from([0x16, 0x03, 0x01, 0x02]));
      socks.push(sock);
    }
    // A real client gets in while they are held (an unfinished handshake gives up its slot).
    const r = await runTool("curl", ["-sSk", "-m", "5", `https://127.0.0.1:${s.port}/a.txt`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), "hello\n");
    // Every one is closed by the server within head-timeout plus a sweep (bounded here by 6 s).
    assert.ok(await eventually(() => closedAt.length === 40, 6000), `${closedAt.length} closed`);
    for (const sock of socks) sock.destroy();
  });

  it("keeps no socket of a client that closes before the handshake (no CLOSE-WAIT)", async () => {
    const pid = s.child.pid as number;
    const baseline = fdCount(pid);
    // A port scan or a load balancer's TCP check: connect, then close at once.
    for (let i = 0; i < 100; i++) {
      const sock = await open(s.port);
      sock.on("error", () => {});
      sock.end();
    }
    // Well before the 1 s head timeout, the server has closed them all.
    assert.ok(
      await eventually(() => fdCount(pid) <= baseline + 2, 800),
      `${fdCount(pid) - baseline} descriptors held`,
    );
  });
});
