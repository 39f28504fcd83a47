/** The reverse-proxy flags of `tcpkit serve` (docs/front-end.md) and the handler they enable. */
import { errorLine } from "./error-line.js";
import { checkedBy, flag, section, type FlagValues } from "./flags.js";
import type { Handler } from "../http/types.js";
import { parseProxyRoute } from "../proxy/proxy-route.js";
import { reverseProxy } from "../proxy/reverse-proxy.js";

/** The proxy's flags, spread into the serve command's flag table. */
export const PROXY_FLAGS = section("Reverse proxy", {
  proxy: flag.list({
    metavar: "PREFIX=URL",
    help: "send requests under PREFIX (e.g. /api) to the back end at URL (http or https), WebSockets included",
    convert: (text, name) => checkedBy(name, () => parseProxyRoute(text)),
  }),
  "proxy-keep-host": flag.bool({
    help: "send the client's Host to the back end (default: the back end's)",
  }),
  "proxy-timeout": flag.seconds({
    default: 60_000,
    help: "for a back end's response head, and any silence in its body; past it 504 (or a cut)",
  }),
  "trust-proxy": flag.bool({
    help: "keep the client's X-Forwarded-* and Forwarded fields and append to them (a proxy is in front)",
  }),
});

/** The proxy handler, or undefined when no --proxy is given. */
export function proxyHandler(values: FlagValues<typeof PROXY_FLAGS>): Handler | undefined {
  if (values.proxy.length === 0) return undefined;
  return reverseProxy({
    routes: values.proxy,
    keepHost: values["proxy-keep-host"],
    trustForwarded: values["trust-proxy"],
    readTimeoutMs: values["proxy-timeout"],
    onError: (line) => process.stderr.write(errorLine(line)),
  });
}
