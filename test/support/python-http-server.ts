/** `python3 -m http.server` on a free loopback port, for tests against a real HTTP/1.0 server. */
import { spawn, type ChildProcess } from "node:child_process";

/** Starts http.server on `root` and resolves once it prints the port it took. */
export async function startPythonHttpServer(
  root: string,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    "python3",
    ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", root],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`python not ready: ${out}`)), 15_000);
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = / port (\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr?.on("data", () => {});
    child.once("exit", (code) => reject(new Error(`python exited with ${code}`)));
  });
  return { child, port };
}
