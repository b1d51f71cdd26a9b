/**
 * Debian's Chromium for Playwright. Never downloads a browser. Where none is
 * installed, browser tests skip loudly, except under CI (CI=true), where a
 * missing browser fails the run.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export const chromiumPath: string | undefined = CANDIDATES.find((p): p is string => !!p && existsSync(p));

if (!chromiumPath) {
  if (process.env.CI === "true") {
    throw new Error("CI=true but no Chromium was found (apt-get install -y chromium, or set CHROMIUM_PATH)");
  }
  process.stderr.write("\n\n*** BROWSER TESTS SKIPPED: no Chromium found. Install it with `apt-get install -y chromium` or set CHROMIUM_PATH. ***\n\n");
}

export function launchChromium(): Promise<Browser> {
  if (!chromiumPath) throw new Error("no Chromium");
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
