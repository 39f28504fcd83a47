/**
 * The access-control flags of `tcpkit serve` (--auth, --auth-file, --auth-scope) and the auth
 * wing they build (src/auth/). A bad --auth or a bad htpasswd line is a usage error (exit 2)
 * naming the line; SIGHUP reads the htpasswd file again. The wing's modules (bcrypt among them)
 * are loaded only when credentials are asked for; the DNS-rebinding guard, on by default, is
 * small and loaded with the flags.
 */
import { readFileSync } from "node:fs";
import { errorLine } from "./error-line.js";
import { checkedBy, flag, section, type FlagValues } from "./flags.js";
import { UsageError } from "./usage-error.js";
import { hostGuard } from "../auth/host-guard.js";
import type { PasswordVerifier } from "../auth/htpasswd.js";
import type { Handler, RequestHead } from "../http/types.js";
import { isLoopback } from "../net/address.js";

/** Methods that only read: what --auth-scope upload leaves public. Every other method writes. */
const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The auth flags, spread into the serve command's flag table. */
export const AUTH_FLAGS = section("Access control", {
  auth: flag.list({
    metavar: "USER:PASSWORD",
    help: "require HTTP Basic credentials: this user and password",
  }),
  "auth-file": flag.text({
    metavar: "FILE",
    help: "require HTTP Basic credentials from an htpasswd file (bcrypt or {SHA} lines)",
  }),
  "auth-scope": flag.choice(["all", "upload"], {
    metavar: "all|upload",
    default: "all",
    help: "what needs credentials: every request, or only uploads and other writes",
  }),
  "allowed-hosts": flag.list({
    metavar: "NAMES",
    help: "on a loopback address, Host names answered besides loopback ones (comma-separated; .example.com: and subdomains; any: all, turning the DNS-rebinding guard off)",
    convert: (text) =>
      text
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n !== ""),
  }),
});

/** The auth flags, and --workers: how many processes share the login allowance. */
type AuthValues = FlagValues<typeof AUTH_FLAGS> & { workers?: number };

/**
 * The auth wing for these flags, or undefined when neither --auth nor --auth-file is given.
 * `alsoProtect` names requests that need credentials whatever the scope (the metrics endpoint);
 * `answersPreflight` the CORS preflights the site answers itself, which pass without them.
 */
export async function authHandlerFrom(
  values: AuthValues,
  alsoProtect: (head: RequestHead) => boolean = () => false,
  answersPreflight: (head: RequestHead) => boolean = () => false,
): Promise<Handler | undefined> {
  const file = values["auth-file"];
  if (file === undefined && values.auth.length === 0) return undefined;
  const [{ basicAuth }, { CredentialStore }, { parseHtpasswd, parseUserPassword }, throttling] =
    await Promise.all([
      import("../auth/basic-auth.js"),
      import("../auth/credential-store.js"),
      import("../auth/htpasswd.js"),
      import("../auth/login-throttle.js"),
    ]);
  // The users of the file and of --auth; a UsageError names what is wrong.
  const load = (): Map<string, PasswordVerifier> => {
    const users = new Map<string, PasswordVerifier>();
    if (file !== undefined) {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (err) {
        throw new UsageError(`--auth-file: cannot read ${file}: ${(err as Error).message}`);
      }
      for (const [user, verifier] of checkedBy(`--auth-file ${file}`, () => parseHtpasswd(text))) {
        users.set(user, verifier);
      }
    }
    for (const pair of values.auth) {
      const [user, verifier] = checkedBy("--auth", () => parseUserPassword(pair));
      if (users.has(user)) throw new UsageError(`--auth: user '${user}' is given twice`);
      users.set(user, verifier);
    }
    if (users.size === 0 && file !== undefined) {
      throw new UsageError(`--auth-file: no users in ${file}`);
    }
    return users;
  };
  const users = load();
  if (users.size === 0) return undefined;
  const credentials = new CredentialStore(users);
  // SIGHUP reads the file again, as nginx and Apache see a changed htpasswd file; a file that
  // has become unreadable or invalid keeps the users there were, said in one stderr line.
  if (file !== undefined) {
    process.on("SIGHUP", () => {
      try {
        credentials.replace(load());
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        process.stderr.write(errorLine(`${why}; keeping the previous users`));
      }
    });
  }
  const protects =
    values["auth-scope"] === "upload"
      ? (head: RequestHead) => !READ_METHODS.has(head.method) || alsoProtect(head)
      : () => true;
  return basicAuth({
    credentials,
    protects,
    answersPreflight,
    throttle: throttling.LoginThrottle.sharedBy(values.workers ?? 1),
  });
}

/**
 * The start-up warning when credentials would cross the network in clear text: auth on, no
 * TLS, a non-loopback address. Undefined when there is nothing to say.
 */
export function authWarning(values: AuthValues, host: string, tls: boolean): string | undefined {
  const on = values.auth.length > 0 || values["auth-file"] !== undefined;
  if (!on || tls || isLoopback(host)) return undefined;
  return errorLine(
    `warning: --auth without TLS on ${host}: passwords cross the network readable (add --tls-cert and --tls-key)`,
  );
}

/**
 * The DNS-rebinding guard (auth/host-guard.ts) when `host` is a loopback address, unless
 * `--allowed-hosts any`; undefined otherwise (a server on a LAN address is reached by names
 * it cannot know).
 */
export function hostGuardFrom(values: AuthValues, host: string): Handler | undefined {
  const allowed = values["allowed-hosts"].flat();
  if (!isLoopback(host) || allowed.includes("any")) return undefined;
  return hostGuard(allowed);
}
