#!/usr/bin/env node
// The `tcpkit` command: runs the compiled CLI (npm install builds dist/) on Node 22 LTS or newer
// (Node 24 LTS is the primary runtime) or Bun. Started by an older Node (`npm link` on a machine
// whose Node is 20), it runs itself again on the Node 24 that `npm install` put in the clone's
// node_modules, if there is one; otherwise it says in one line what to do.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const [major] = process.versions.node.split(".").map(Number);
// TCPKIT_PRETEND_OLD_NODE=1 lets the tests take the relaunch path on a current Node. The
// relaunched process is marked so that it never relaunches again, whatever its version.
const relaunched = process.env.TCPKIT_RELAUNCHED === "1";
const old = major < 22 || (process.env.TCPKIT_PRETEND_OLD_NODE === "1" && !relaunched);
if (process.versions.bun !== undefined || !old || relaunched) {
  // V8's compiled code for tcpkit's modules is kept on disk (Node >= 22.1; in the OS temp
  // folder) so that a short command does not spend most of its time compiling: `tcpkit get` of
  // 100 small files waits 30-40 ms less.
  const { default: module } = await import("node:module");
  module.enableCompileCache?.();
  const { main } = await import("../dist/cli/main.js");
  main(process.argv.slice(2));
} else {
  const local = fileURLToPath(new URL("../node_modules/node/bin/node", import.meta.url));
  if (!existsSync(local)) {
    process.stderr.write(
      `tcpkit: needs Node.js 22 or newer (this is ${process.versions.node}); install Node 24 LTS, ` +
        "or run npm install in tcpkit's folder, which puts Node 24 into its node_modules\n",
    );
    process.exit(1);
  }
  relaunch(local);
}

/**
 * Runs this script on `node` with the same arguments and standard streams, passes signals on,
 * and exits as the child did. A Ctrl-C on a terminal reaches both processes (they share the
 * foreground process group), so SIGINT is passed on only when it cannot have come from there.
 */
function relaunch(node) {
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, TCPKIT_RELAUNCHED: "1" },
  });
  const fromTerminal = process.stdin.isTTY === true || process.stderr.isTTY === true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"]) {
    process.on(signal, () => {
      if (signal === "SIGINT" && fromTerminal) return;
      child.kill(signal);
    });
  }
  child.on("error", (err) => {
    process.stderr.write(`tcpkit: cannot start ${node}: ${err.message}\n`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}
