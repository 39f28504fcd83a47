/**
 * Ports for tests that start servers which cannot report their own port (nginx, lighttpd):
 * pick a free loopback port, then wait until the server accepts on it.
 */
import type { ChildProcess } from "node:child_process";
import { connect, createServer } from "node:net";

/** A free port on 127.0.0.1 (bound, then released for the server to take; callers retry). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once something accepts on 127.0.0.1:port; rejects if `child` exits first or after
 * 100 tries `intervalMs` apart.
 */
export async function waitForPort(
  port: number,
  child: ChildProcess,
  intervalMs = 100,
): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`nothing listening on ${port}`);
}
