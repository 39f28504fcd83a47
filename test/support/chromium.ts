/** Debian's Chromium, headless, driven by playwright-core: how the browser tests start it. */
import { chromium, type Browser } from "playwright-core";

/** Launches /usr/bin/chromium headless (no sandbox: CI runs as root). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    timeout: 60_000,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
}
