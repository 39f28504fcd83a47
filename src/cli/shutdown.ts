/** SIGINT/SIGTERM handling shared by the long-running commands (serve, echo-server). */
import { errorLine } from "./error-line.js";

/**
 * Graceful stop for long-running commands: the first SIGINT or SIGTERM runs `stop` once; a
 * second signal while stopping exits at once, as users expect of Ctrl-C pressed twice.
 */
export function onShutdownSignal(stop: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(errorLine(`error while stopping: ${String(err)}`));
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}
