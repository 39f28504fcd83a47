// Load generators and checks: wrk (keep-alive), ab (HTTP/1.0, one connection per request), the
// idle-connection client (C, built on first use) and curl sanity checks. Every call has a hard
// time limit; results are parsed into plain objects.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./proc.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WRK_LUA = path.join(HERE, "..", "wrk-report.lua");

/**
 * wrk -t1 -cC -dSs against `url`, pinned to `cpus` (undefined: not pinned). Resolves with
 * { rps, mbps, requests, bytes, p50_us, p99_us, errors, non2xx, timeouts } or { error }.
 */
export async function wrk(url, { conns, secs, cpus, threads = 1, timeout }) {
  const args = [`-t${threads}`, `-c${conns}`, `-d${secs}s`, "--latency", "-s", WRK_LUA];
  if (timeout) args.push("--timeout", timeout);
  args.push(url);
  const r = await run("wrk", args, { timeoutMs: (secs + 40) * 1000, cpus });
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) return { error: `wrk gave no result: ${(r.stderr || r.stdout).slice(-200).trim()}` };
  const kv = Object.fromEntries(
    line
      .slice(7)
      .split(" ")
      .map((p) => p.split("="))
      .map(([k, v]) => [k, Number(v)]),
  );
  return {
    rps: kv.rps,
    mbps: kv.mbps,
    requests: kv.requests,
    bytes: kv.bytes,
    p50_us: kv.p50_us,
    p99_us: kv.p99_us,
    // wrk counts every response with status >= 400 in err_status ("Non-2xx or 3xx responses")
    non2xx: kv.err_status,
    errors: kv.err_connect + kv.err_read + kv.err_write,
    timeouts: kv.err_timeout,
  };
}

/** ab -r -n N -c C (HTTP/1.0, a new connection per request). Resolves with parsed figures or { error }. */
export async function ab(url, { requests, conns, cpus }) {
  const r = await run("ab", ["-r", "-n", String(requests), "-c", String(conns), url], {
    timeoutMs: 180_000,
    cpus,
  });
  const num = (re) => {
    const m = r.stdout.match(re);
    return m ? Number(m[1]) : undefined;
  };
  const rps = num(/^Requests per second:\s+([\d.]+)/m);
  if (rps === undefined)
    return { error: `ab gave no result: ${(r.stderr || r.stdout).slice(-200).trim()}` };
  return {
    rps,
    complete: num(/^Complete requests:\s+(\d+)/m),
    failed: num(/^Failed requests:\s+(\d+)/m) ?? 0,
    failedDetail: (r.stdout.match(/^Failed requests:.*\n\s+(\(.*\))/m) ?? [])[1],
    non2xx: num(/^Non-2xx responses:\s+(\d+)/m) ?? 0,
    docLength: num(/^Document Length:\s+(\d+)/m),
  };
}

/** Builds bench/c/NAME.c (once, cached by source hash) and returns the path of the binary. */
export async function cBinary(name) {
  const srcPath = path.join(HERE, "..", "c", `${name}.c`);
  const src = fs.readFileSync(srcPath);
  const hash = crypto.createHash("sha256").update(src).digest("hex").slice(0, 12);
  const bin = path.join(os.tmpdir(), `tcpkit-bench-${name}-${hash}`);
  if (fs.existsSync(bin)) return bin;
  const r = await run("gcc", ["-O2", "-Wall", "-o", bin, srcPath], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`cannot build ${srcPath}: ${r.stderr.trim()}`);
  return bin;
}

/** The idle-connection client of W6 (bench/c/idle-conns.c). */
export const idleConnsBinary = () => cBinary("idle-conns");

/**
 * W6: holds `conns` idle keep-alive connections (one GET each) and samples the server tree's RSS.
 * Resolves with { open, rssBeforeKib, rssKib, perConnKib } or { error }.
 */
export async function idleConns(bin, { port, conns, path: urlPath, serverPid, cpus }) {
  const r = await run(bin, [String(port), String(conns), urlPath, String(serverPid), "60", "256"], {
    timeoutMs: 120_000,
    cpus,
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith("ok="));
  if (!line)
    return { error: `idle-conns gave no result: ${(r.stderr || r.stdout).slice(-200).trim()}` };
  const kv = Object.fromEntries(line.split(" ").map((p) => p.split("=")));
  return {
    open: Number(kv.open_at_sample),
    rssBeforeKib: Number(kv.rss_before_kib),
    rssKib: Number(kv.rss_kib),
    perConnKib: Number(kv.per_conn_kib),
    line,
  };
}

/**
 * GET `url` with curl; resolves with { status, size, sha256, keepAlive } where keepAlive says
 * whether a second request reused the connection. Used to validate a server before loading it.
 */
export async function curlCheck(url, { twice = false, timeoutSecs = 10 } = {}) {
  const out = path.join(os.tmpdir(), `tcpkit-bench-curl-${process.pid}`);
  const args = [
    "-s",
    "-v",
    "-m",
    String(timeoutSecs),
    "-o",
    out,
    "-w",
    "%{http_code} %{size_download}\\n",
    url,
  ];
  if (twice) args.push("-o", "/dev/null", url);
  const r = await run("curl", args, { timeoutMs: (timeoutSecs + 5) * 1000 });
  const [status, size] = (r.stdout.split("\n")[0] ?? "").split(" ").map(Number);
  let sha256 = "";
  try {
    sha256 = crypto.createHash("sha256").update(fs.readFileSync(out)).digest("hex");
    fs.rmSync(out);
  } catch {
    // no body written
  }
  return { status, size, sha256, keepAlive: /re-?using/i.test(r.stderr) };
}
