/**
 * The system Chromium (Debian's package `chromium`) driven by playwright-core. No test tool may
 * download a browser of its own; a missing Chromium is a clear failure with the fix, never a skip.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../support/system-chromium.js';

export { chromiumPath };

export interface Browser {
  context: BrowserContext;
  /** Close the browser and delete its profile. */
  close(): Promise<void>;
}

/**
 * A persistent context: an incognito context keeps IndexedDB in memory, so "survives a reload"
 * and "nothing reached IndexedDB" would prove nothing there.
 */
/** Playwright turns the back/forward cache off by default; a test of it passes this to turn it back on. */
export const KEEP_BACK_FORWARD_CACHE = ['--disable-back-forward-cache'];

export async function launchPersistent(
  options: { userDataDir?: string; keepProfile?: boolean; ignoreDefaultArgs?: string[] } = {},
): Promise<Browser & { userDataDir: string }> {
  const userDataDir = options.userDataDir ?? mkdtempSync(join(tmpdir(), 'insitu-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    ...(options.ignoreDefaultArgs ? { ignoreDefaultArgs: options.ignoreDefaultArgs } : {}),
  });
  return {
    context,
    userDataDir,
    async close() {
      await context.close();
      if (!options.keepProfile) rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
