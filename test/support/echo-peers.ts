/**
 * Foreign RFC 862 servers for the echo tests: socat (`PIPE`, one process per connection) and
 * xinetd's built-in echo service (TCP and UDP), each on a free port, stopped by process group.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSocket } from "./raw-socket.js";

export interface EchoPeer {
  name: string;
  port: number;
  stop(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A free loopback TCP port: bound, read, released. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves once `port` accepts a TCP connection (bounded: 5 s). */
async function waitForPort(port: number, child: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const ok = await openSocket(port).then(
      (s) => (s.destroy(), true),
      () => false,
    );
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${name} did not start on port ${port}`);
}

function stopGroup(child: ChildProcess): void {
  try {
    process.kill(-(child.pid as number), "SIGTERM");
  } catch {
    // already gone
  }
}

/** socat TCP-LISTEN:PORT,fork PIPE: a foreign TCP echo server. */
export async function startSocat(): Promise<EchoPeer> {
  const port = await freePort();
  // Its own process group: socat forks a child per connection, and stop() ends them all.
  const child = spawn("socat", [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, "PIPE"], {
    stdio: "ignore",
    detached: true,
  });
  await waitForPort(port, child, "socat");
  return { name: "socat", port, stop: () => stopGroup(child) };
}

/**
 * xinetd's internal echo service (echo-stream and echo-dgram) on one free port, in the
 * foreground with its own configuration file. xinetd needs root (CI runs as root).
 */
export async function startXinetd(): Promise<EchoPeer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tcpkit-xinetd-"));
  const service = (id: string, type: string, protocol: string, wait: string): string => `
service echo
{
  type = INTERNAL UNLISTED
  id = ${id}
  socket_type = ${type}
  protocol = ${protocol}
  wait = ${wait}
  port = ${port}
  bind = 127.0.0.1
  user = root
}
`;
  const conf = join(dir, "xinetd.conf");
  writeFileSync(
    conf,
    `defaults\n{\n  instances = 400\n  cps = 10000 1\n}\n` +
      service("echo-stream", "stream", "tcp", "no") +
      service("echo-dgram", "dgram", "udp", "yes"),
  );
  const child = spawn(
    "xinetd",
    ["-dontfork", "-f", conf, "-pidfile", join(dir, "pid"), "-filelog", join(dir, "log")],
    { stdio: "ignore", detached: true },
  );
  await waitForPort(port, child, "xinetd");
  return {
    name: "xinetd",
    port,
    stop: () => {
      stopGroup(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
