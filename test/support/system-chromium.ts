/**
 * Where the system Chromium (Debian's package `chromium`) is, and the flags every test launch
 * passes. No test tool may download a browser of its own; a missing Chromium is a clear failure
 * with the fix, never a skip. Free of playwright so vite.config.ts can use it too.
 */
import { existsSync } from 'node:fs';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];

/** The first Chromium found, or undefined. */
export function findChromium(): string | undefined {
  return CANDIDATES.find((path) => existsSync(path));
}

/** The system Chromium; throws with the fix when there is none. */
export function chromiumPath(): string {
  const found = findChromium();
  if (!found) {
    throw new Error(
      'Chromium not found (looked at ' + CANDIDATES.join(', ') + '). Install it with ' +
        '`apt-get update && apt-get install -y chromium` or set CHROMIUM_PATH. .ci/run does this for you.',
    );
  }
  return found;
}

// Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
