/**
 * Which runtime starts the CLI in the black-box tests. The test runner itself always runs on
 * Node; TCPKIT_RUNTIME=bun makes every spawned `tcpkit` run on Bun instead (the CLI is what Bun
 * users run, through `bunx tcpkit`), so the same tests check both.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const LOCAL_BUN = fileURLToPath(new URL("../../../node_modules/.bin/bun", import.meta.url));

/** The executable that runs bin/tcpkit.js: this Node, or Bun when TCPKIT_RUNTIME=bun. */
export const CLI_RUNTIME = cliRuntime(process.env.TCPKIT_RUNTIME);

/** "node" or "bun": the runtime the spawned CLI runs on, for the few tests that differ by it. */
export const CLI_RUNTIME_NAME: "node" | "bun" = CLI_RUNTIME === process.execPath ? "node" : "bun";

function cliRuntime(choice: string | undefined): string {
  if (choice === undefined || choice === "" || choice === "node") return process.execPath;
  if (choice === "bun") {
    if (!existsSync(LOCAL_BUN)) throw new Error(`TCPKIT_RUNTIME=bun but ${LOCAL_BUN} is missing`);
    return LOCAL_BUN;
  }
  throw new Error(`TCPKIT_RUNTIME must be node or bun, not ${JSON.stringify(choice)}`);
}
