/** Debian's Chromium, headless, driven by playwright-core: how the browser tests start it. */
import { chromium, type Browser, type BrowserContext } from "playwright-core";

const EXECUTABLE = "/usr/bin/chromium";
/** No sandbox: CI runs as root. No GPU, first-run page, sync or background fetches. */
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-sync",
];

/** Launches /usr/bin/chromium headless, with a throw-away profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    timeout: 60_000,
    args: ARGS,
  });
}

/**
 * Launches /usr/bin/chromium headless with its profile in `profileDir` (a persistent context):
 * for tests that need downloads, an environment of their own (HOME with an NSS database), or
 * extra switches.
 */
export function launchChromiumProfile(
  profileDir: string,
  options: { acceptDownloads?: boolean; env?: NodeJS.ProcessEnv; args?: readonly string[] } = {},
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: EXECUTABLE,
    headless: true,
    timeout: 60_000,
    ...(options.acceptDownloads === true ? { acceptDownloads: true } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
    args: [...ARGS, ...(options.args ?? [])],
  });
}
