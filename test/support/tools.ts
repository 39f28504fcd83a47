/**
 * Running real command-line clients (curl, wget, ab, openssl) from tests, bounded in time, with
 * proxy variables removed so that loopback requests go straight to the server under test.
 */
import { spawn } from "node:child_process";

export interface ToolResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** The environment without *_proxy variables. */
export function proxyFreeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/_proxy$/i.test(k)) env[k] = v;
  }
  return env;
}

/** Runs `command args` to completion (killed after timeoutMs) and collects its output. */
export function runTool(
  command: string,
  args: string[],
  options: { timeoutMs?: number; cwd?: string } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: proxyFreeEnv(),
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (c: string) => (err += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
  });
}
