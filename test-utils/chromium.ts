import { existsSync } from "node:fs";
import { type BrowserContext, chromium } from "playwright-core";
import { tempDir } from "./temp-dir.ts";

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it when missing). */
export const chromiumPath = "/usr/bin/chromium";

/** Whether {@link chromiumPath} is installed. */
export const hasChromium = existsSync(chromiumPath);

/**
 * Flags for a closed network: without the background-networking ones Chromium keeps trying to
 * reach Google's hosts at every start. Playwright adds --headless itself.
 */
const offlineFlags = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A headless Chromium with a fresh profile; `close` ends the browser and removes the profile. */
export interface HeadlessChromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches {@link chromiumPath} headless through playwright-core (which downloads no browser). */
export async function launchChromium({
  width = 1280,
  height = 1000,
  timeoutMs = 15_000,
  // Starting takes seconds when the other test files load both cores (CI).
  launchTimeoutMs = 60_000,
} = {}): Promise<HeadlessChromium> {
  const profile = tempDir("chromium-profile-");
  try {
    const context = await chromium.launchPersistentContext(profile.path, {
      executablePath: chromiumPath,
      headless: true,
      args: offlineFlags,
      viewport: { width, height },
      timeout: launchTimeoutMs,
    });
    context.setDefaultTimeout(timeoutMs);
    return {
      context,
      async close() {
        await context.close();
        profile.remove();
      },
    };
  } catch (error) {
    // The launch's own error is the one to see, not a failure to clean up after it.
    try {
      profile.remove();
    } catch {}
    throw error;
  }
}
