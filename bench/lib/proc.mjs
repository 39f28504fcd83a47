// Process plumbing for the benchmark: start a server pinned to a CPU with a raised fd limit,
// wait until it accepts, stop it (and only the processes it started) by PID, sample its memory,
// run a load generator with a hard time limit, and wait until the machine is quiet.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** PIDs of `root` and all its descendants, read from /proc. */
export function treePids(root) {
  const children = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "latin1");
    } catch {
      continue;
    }
    // the command name may contain spaces and parentheses: fields start after the last ')'
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const out = [root];
  for (let i = 0; i < out.length && out.length < 10_000; i++) {
    for (const c of children.get(out[i]) ?? []) out.push(c);
  }
  return out;
}

/** Sum of a /proc/PID/status field in KiB (VmRSS, VmHWM) over the process tree. */
export function treeStatusKib(root, key) {
  let total = 0;
  for (const pid of treePids(root)) total += statusKib(pid, key);
  return total;
}

/** One process's /proc/PID/status field in KiB; 0 once it has exited. */
export function statusKib(pid, key) {
  try {
    const m = fs
      .readFileSync(`/proc/${pid}/status`, "latin1")
      .match(new RegExp(`^${key}:\\s+(\\d+)`, "m"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // exited between the listing and the read
  }
}

function isAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** A TCP port that is free on 127.0.0.1 right now (the kernel picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen({ host: "127.0.0.1", port: 0 }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `argv` pinned to `cpus` (taskset list, e.g. "0") with the soft fd limit raised to the
 * hard limit, output to `logFile`. With `onLine`, the output also goes through a pipe and each
 * line is passed to `onLine` as it arrives. Resolves with { pid, child } once the port accepts,
 * or { error } if the process exits first or is not ready within 15 s (then it is stopped).
 */
export async function startServer({ argv, cpus, port, logFile, env, cwd, onLine }) {
  const fd = fs.openSync(logFile, "w");
  // exec chain keeps one PID: bash -> taskset -> the server
  const child = spawn(
    "bash",
    ["-c", 'ulimit -n "$(ulimit -Hn)"; exec taskset -c "$0" "$@"', cpus, ...argv],
    {
      stdio: ["ignore", onLine ? "pipe" : fd, onLine ? "pipe" : fd],
      env: { ...process.env, ...env },
      cwd,
    },
  );
  if (onLine) {
    for (const stream of [child.stdout, child.stderr]) {
      let buf = "";
      stream.setEncoding("utf8").on("data", (d) => {
        fs.writeSync(fd, d);
        buf += d;
        for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    child.once("close", () => fs.closeSync(fd));
  } else fs.closeSync(fd);
  let exited = false;
  child.once("exit", () => (exited = true));
  child.once("error", () => (exited = true));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exited) return { error: `exited during start: ${tail(logFile)}` };
    if (await canConnect(port)) return { pid: child.pid, child };
    await sleep(100);
  }
  await stopServer({ pid: child.pid, child });
  return { error: `did not accept on port ${port} within 15 s: ${tail(logFile)}` };
}

/** Stops a server we started: SIGTERM, up to 5 s, SIGKILL; then any leftover descendants by PID. */
export async function stopServer({ pid, child }) {
  if (!pid) return;
  const kids = treePids(pid).slice(1);
  const gone = new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", r),
  );
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // already gone
  }
  const t = setTimeout(() => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, 5000);
  await gone;
  clearTimeout(t);
  for (const k of kids) {
    if (!isAlive(k)) continue;
    try {
      process.kill(k, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** True while `pid` runs (not a zombie). */
export const alive = isAlive;

/**
 * Runs a command to completion with a hard time limit (SIGKILL after timeoutMs), pinned to
 * `cpus` when given. Resolves with { code, stdout, stderr, timedOut }.
 */
export function run(cmd, args, { timeoutMs = 60_000, cpus, env } = {}) {
  const argv = cpus === undefined ? [cmd, ...args] : ["taskset", "-c", cpus, cmd, ...args];
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(err), timedOut });
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

function cpuTimes() {
  const f = fs
    .readFileSync("/proc/stat", "latin1")
    .split("\n")[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
  return { busy, total: busy + f[3] + f[4] };
}

/** Percentage of all CPUs busy over `ms`. */
export async function cpuBusyPct(ms = 1000) {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  const d = b.total - a.total;
  return d > 0 ? Math.round((100 * (b.busy - a.busy)) / d) : 0;
}

/**
 * Waits (at most maxSecs) until other processes use less than `thresholdPct` of the CPUs, so a
 * repetition does not start while the machine is busy. Returns the last busy % seen.
 */
export async function waitQuiet(maxSecs, thresholdPct, windowMs = 1000) {
  const deadline = Date.now() + maxSecs * 1000;
  let busy = await cpuBusyPct(windowMs);
  while (busy > thresholdPct && Date.now() < deadline) {
    await sleep(1000);
    busy = await cpuBusyPct(windowMs);
  }
  return busy;
}

/** Samples the tree's VmRSS every `everyMs` until stopped; `stop()` returns the peak in KiB. */
export function sampleRss(pid, everyMs = 200) {
  let peak = treeStatusKib(pid, "VmRSS");
  const timer = setInterval(() => {
    peak = Math.max(peak, treeStatusKib(pid, "VmRSS"));
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, treeStatusKib(pid, "VmRSS"));
    },
  };
}

function tail(file) {
  try {
    return fs.readFileSync(file, "utf8").slice(-300).replace(/\s+/g, " ").trim();
  } catch {
    return "";
  }
}

/**
 * Flushes dirty pages of the previous transfer (so it does not slow the next), then waits up to
 * `quietMax` s for the machine to be < 15% busy.
 */
export async function settle(quietMax) {
  await new Promise((resolve) => spawn("sync", { stdio: "ignore" }).once("close", resolve));
  await waitQuiet(quietMax, 15);
}
