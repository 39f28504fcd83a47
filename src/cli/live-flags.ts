/**
 * The live-reload flags of `tcpkit serve` (docs/front-end.md) and the handler they enable, its
 * modules loaded only with --live.
 */
import { errorLine } from "./error-line.js";
import { flag, section, type FlagValues } from "./flags.js";
import type { STATIC_FLAGS } from "./static-flags.js";
import { UsageError } from "./usage-error.js";
import type { Handler } from "../http/types.js";

/** The live-reload flags, spread into the serve command's flag table. */
export const LIVE_FLAGS = section("Live reload", {
  live: flag.bool({
    help: "reload pages when files under ROOT change (CSS-only changes: swap stylesheets)",
  }),
  "live-poll": flag.count({
    metavar: "MS",
    min: 50,
    help: "with --live: poll the files every MS instead of watching (network, container mounts)",
  }),
});

/** The live-reload handler for ROOT, or undefined without --live. */
export async function liveHandler(
  root: string,
  values: FlagValues<typeof LIVE_FLAGS & typeof STATIC_FLAGS>,
): Promise<Handler | undefined> {
  const poll = values["live-poll"];
  if (!values.live) {
    if (poll !== undefined) throw new UsageError("--live-poll needs --live");
    return undefined;
  }
  const { liveReload } = await import("../live/live-reload.js");
  return liveReload({
    root,
    dotfiles: values.dotfiles,
    ...(poll === undefined ? {} : { pollMs: poll }),
    onWarning: (message) => process.stderr.write(errorLine(message)),
  });
}
