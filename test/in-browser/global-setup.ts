/**
 * Global setup of the `in-browser` project (runs in Node before Chromium starts): a missing
 * Chromium fails with the install instruction instead of Playwright's advice to download one, and
 * the profile starts empty so no run sees another run's databases.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromiumPath } from '../support/system-chromium.js';

export const IN_BROWSER_PROFILE_DIR = resolve(import.meta.dirname, '../../node_modules/.cache/insitu-in-browser-chromium');

export default function setup(): void {
  chromiumPath();
  rmSync(IN_BROWSER_PROFILE_DIR, { recursive: true, force: true });
}
