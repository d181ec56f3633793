/**
 * The system Chromium (Debian's package `chromium`) driven by playwright-core. No test tool may
 * download a browser of its own; a missing Chromium is a clear failure with the fix, never a skip.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];

export function chromiumPath(): string {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      'Chromium not found (looked at ' + CANDIDATES.join(', ') + '). Install it with ' +
        '`apt-get update && apt-get install -y chromium` or set CHROMIUM_PATH. .ci/run does this for you.',
    );
  }
  return found;
}

// Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

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
    args: ARGS,
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
