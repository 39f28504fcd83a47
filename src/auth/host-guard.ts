/**
 * The DNS-rebinding guard: a server on a loopback address answers only requests whose Host
 * names loopback (localhost, *.localhost, 127.x.x.x, [::1]) or a name allowed explicitly. A web
 * page on evil.example can make a victim's browser resolve evil.example to 127.0.0.1 and read
 * the local server as its own origin; the Host it sends still says evil.example, which is what
 * this refuses with 403 (Vite added the same check for the same attack). Requests without a
 * Host (HTTP/1.0) come from no browser and pass.
 */
import { errorPlan } from "../http/error-plan.js";
import { requestAuthority } from "../http/header-lookup.js";
import type { Handler } from "../http/types.js";
import { isLoopback } from "../net/address.js";

/**
 * The guard for these allowed names: `example.com` allows exactly that name, `.example.com`
 * that name and every name under it. Names compare without case and trailing dot.
 */
export function hostGuard(allowed: readonly string[]): Handler {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const name of allowed) {
    const n = normalise(name);
    if (n.startsWith(".")) {
      suffixes.push(n);
      exact.add(n.slice(1));
    } else exact.add(n);
  }
  const forbidden = errorPlan(403);
  const isAllowed = (name: string): boolean =>
    isLoopback(name) || exact.has(name) || suffixes.some((s) => name.endsWith(s));
  // Verdicts by Host value as sent: a client sends the same one on every request, so the
  // common case is one Map lookup (bounded: cleared past 256 distinct values).
  const verdicts = new Map<string, boolean>();
  return (head, _context, next) => {
    const host = requestAuthority(head);
    if (host === undefined) return next();
    let ok = verdicts.get(host);
    if (ok === undefined) {
      ok = isAllowed(normalise(hostName(host)));
      if (verdicts.size >= 256) verdicts.clear();
      verdicts.set(host, ok);
    }
    return ok ? next() : forbidden;
  };
}

/** The host of `host[:port]`, brackets kept off an IPv6 literal. */
function hostName(authority: string): string {
  if (authority.startsWith("[")) {
    const end = authority.indexOf("]");
    return end < 0 ? authority : authority.slice(1, end);
  }
  const colon = authority.lastIndexOf(":");
  return colon < 0 ? authority : authority.slice(0, colon);
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}
