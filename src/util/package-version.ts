/** The package version, read once from package.json (dist/util/ and dist/cli/ sit two levels below it). */
import { readFileSync } from "node:fs";

let cached: string | undefined;

/** tcpkit's version from package.json, e.g. "0.1.0" ("0.0.0" if it cannot be read). */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  try {
    const url = new URL("../../package.json", import.meta.url);
    const pkg = JSON.parse(readFileSync(url, "utf8")) as { version?: string };
    cached = pkg.version ?? "0.0.0";
  } catch {
    cached = "0.0.0";
  }
  return cached;
}
