/**
 * The handler `tcpkit serve` runs: the wings its flags enable, chained in the order
 * docs/ARCHITECTURE.md §2 gives (auth → proxy → live → upload → archive → static). With no
 * wing flag it is serveStatic alone, so POST, PUT and the rest get 405 exactly as before.
 *
 * Each wing adds one line here (its handler, or undefined when its flags leave it off) and
 * declares its flags in a file of its own (cli/<wing>-flags.ts), spread into serve's flags.
 */
import { archiveWingFrom, type ARCHIVE_FLAGS } from "./archive-flags.js";
import type { FlagValues } from "./flags.js";
import { liveHandler, type LIVE_FLAGS } from "./live-flags.js";
import { proxyHandler, type PROXY_FLAGS } from "./proxy-flags.js";
import type { STATIC_FLAGS } from "./static-flags.js";
import { staticOptionsFrom } from "./static-flags.js";
import { chain } from "../http/handler-chain.js";
import type { Handler } from "../http/types.js";
import { serveStatic } from "../static/serve-static.js";
import { serveUpload } from "../upload/serve-upload.js";
import { uploadOptionsFrom, type UPLOAD_FLAGS } from "./upload-flags.js";

/** serve's handler for ROOT and the parsed flags. */
export function serveHandler(
  root: string,
  values: FlagValues<
    typeof STATIC_FLAGS &
      typeof PROXY_FLAGS &
      typeof LIVE_FLAGS &
      typeof ARCHIVE_FLAGS &
      typeof UPLOAD_FLAGS
  >,
): Handler {
  const archive = archiveWingFrom(root, values);
  const uploadOptions = uploadOptionsFrom(values);
  const upload = uploadOptions === undefined ? undefined : serveUpload(root, uploadOptions);
  const listingExtras = [upload?.listingExtra, archive?.listingExtra].filter(
    (e) => e !== undefined,
  );
  const files = serveStatic(root, { ...staticOptionsFrom(values), listingExtras });
  const wings: (Handler | undefined)[] = [
    // auth, proxy, live, upload, archive: in this order, each undefined when off
    proxyHandler(values),
    liveHandler(root, values),
    upload?.handler,
    archive?.handler,
  ];
  const enabled = wings.filter((h): h is Handler => h !== undefined);
  return enabled.length === 0 ? files : chain(...enabled, files);
}
