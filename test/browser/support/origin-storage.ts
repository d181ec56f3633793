/**
 * Storage of an origin through the DevTools protocol: wipe it between tests that share one
 * browser (cheaper than a browser per test), and shrink its quota to provoke QuotaExceededError.
 */
import type { BrowserContext, Page } from 'playwright-core';

/** Delete everything the origin stores (IndexedDB, caches, ...), as "clear site data" would. */
export async function clearOrigin(context: BrowserContext, origin: string): Promise<void> {
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  try {
    await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'all' });
  } finally {
    await cdp.detach();
  }
}

/** Give the origin a quota of `bytes` (Chromium only); undefined restores the default. */
export async function overrideQuota(page: Page, origin: string, bytes: number | undefined): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('Storage.overrideQuotaForOrigin', bytes === undefined ? { origin } : { origin, quotaSize: bytes });
  } finally {
    await cdp.detach();
  }
}
