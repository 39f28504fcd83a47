/**
 * A swap loop for race tests: python3 (ctypes) calls renameat2(RENAME_EXCHANGE) on two paths as
 * fast as it can, atomically trading what they name, for a bounded time, and leaves them as it
 * found them. Linux only (renameat2, glibc 2.28+); python3 is installed by .ci/run.
 */
import { spawn } from "node:child_process";

const SCRIPT = `
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
a, b = sys.argv[1].encode(), sys.argv[2].encode()
end = time.monotonic() + float(sys.argv[3])
def swap():
    if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
        sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))
n = 0
while time.monotonic() < end:
    swap()
    n += 1
if n % 2:
    swap()
print(n)
`;

export interface SwapLoop {
  /** Resolves with the number of swaps once the loop has ended (paths back as they were). */
  readonly done: Promise<number>;
}

/** Swaps `a` and `b` for `seconds`; rejects if renameat2 fails or python3 is missing. */
export function swapLoop(a: string, b: string, seconds: number): SwapLoop {
  const done = new Promise<number>((resolve, reject) => {
    const child = spawn("python3", ["-c", SCRIPT, a, b, String(seconds)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
    const killer = setTimeout(() => child.kill("SIGKILL"), (seconds + 10) * 1000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(killer);
      const n = Number(out.trim());
      if (code === 0 && Number.isInteger(n)) resolve(n);
      else reject(new Error(`swap loop failed (${code}): ${err.trim()}`));
    });
  });
  return { done };
}
