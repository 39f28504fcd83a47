/**
 * Servers print to stdout (readiness, `-v` lines); when its reader goes away (`tcpkit echo-server
 * -v | head -3`), writes fail with EPIPE. That must not crash a server that is still serving.
 */
import { errorLine, systemErrorText } from "./error-line.js";

/**
 * Makes a failing stdout a one-line warning on stderr (once) instead of an unhandled 'error'
 * event: later writes are dropped by the destroyed stream and the server keeps running.
 */
export function keepServingWithoutStdout(command: string): void {
  let warned = false;
  process.stdout.on("error", (err: Error) => {
    if (warned) return;
    warned = true;
    process.stderr.write(
      errorLine(`${command}: stdout closed (${systemErrorText(err)}); still serving`),
    );
  });
}
