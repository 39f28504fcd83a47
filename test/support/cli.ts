/**
 * Spawning the built CLI the way a user runs it (node bin/tcpkit.js ...), waiting for a server's
 * readiness line, and stopping it by PID.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CLI_RUNTIME } from "./runtime.js";

/** Absolute path of bin/tcpkit.js, from .build/test/support/. */
export const CLI_PATH = fileURLToPath(new URL("../../../bin/tcpkit.js", import.meta.url));
/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Runs `tcpkit ...args` to completion (killed after timeoutMs) and collects its output. */
export function runCli(
  args: string[],
  options: {
    input?: string | Buffer;
    cwd?: string;
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI_RUNTIME, [CLI_PATH, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code,
        signal,
        stdout: stdoutBytes.toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        stdoutBytes,
      });
    });
    child.stdin.on("error", () => {});
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

export interface RunningServer {
  child: ChildProcess;
  /** The readiness line. */
  line: string;
  host: string;
  port: number;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Sends a signal and waits for exit; resolves with the exit code and final output. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

const READY = /listening on (?:[a-z]+):\/\/(\[[^\]]+\]|[^:/\s]+):(\d+)/;

/**
 * Starts a long-running command (serve, echo-server) and resolves once it prints its readiness
 * line; rejects with its stderr if it exits first or is not ready within timeoutMs.
 */
export function startCli(
  args: string[],
  options: {
    cwd?: string;
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    /** Run as this user and group (the test runs as root): privileges dropped, as setpriv does. */
    uid?: number;
    gid?: number;
  } = {},
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI_RUNTIME, [CLI_PATH, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    let out = "";
    let err = "";
    let ready = false;
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    const closed = new Promise<void>((res) => child.on("close", () => res()));
    // Only a guard against a server that never starts: `serve --workers 2` once took over 10 s
    // to say it listens on a machine loaded by a build and other tests.
    const readyMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      if (!ready) {
        child.kill("SIGKILL");
        reject(new Error(`not ready within ${readyMs} ms: ${err}`));
      }
    }, readyMs);
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (c: string) => (err += c));
    child.stdout!.on("data", (c: string) => {
      out += c;
      if (ready) return;
      const m = READY.exec(out);
      if (m === null) return;
      ready = true;
      clearTimeout(timer);
      const line = out.split("\n").find((l) => READY.test(l)) ?? "";
      resolve({
        child,
        line,
        host: (m[1] as string).replace(/^\[|\]$/g, ""),
        port: Number(m[2]),
        stdout: () => out,
        stderr: () => err,
        async stop(signal = "SIGTERM") {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
          const code = await exited;
          await closed;
          clearTimeout(killer);
          return { code, stdout: out, stderr: err };
        },
      });
    });
    child.on("exit", (code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before ready: ${err.trim()}`));
      }
    });
  });
}

/** Peak resident set size of a process in bytes (VmHWM), or current RSS with which="VmRSS". */
export async function processMemory(
  pid: number,
  which: "VmHWM" | "VmRSS" = "VmRSS",
): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const m = new RegExp(`^${which}:\\s+(\\d+) kB`, "m").exec(status);
  if (m === null) throw new Error(`no ${which} for ${pid}`);
  return Number(m[1]) * 1024;
}

/** `tcpkit serve ROOT --port 0 --log off FLAGS...`: a quiet server on a free port. */
export function startServe(root: string, ...flags: string[]): Promise<RunningServer> {
  return startServeOn(0, root, ...flags);
}

/** startServe on a given port (one known before the server starts: a route to itself). */
export function startServeOn(
  port: number,
  root: string,
  ...flags: string[]
): Promise<RunningServer> {
  return startCli([
    "serve",
    root,
    "--port",
    String(port),
    "--log",
    "off",
    "--allowed-hosts",
    "any",
    ...flags,
  ]);
}
