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

/**
 * Give the origin a quota of `bytes` (Chromium only). The override lasts as long as its DevTools
 * session, so it is held open until the returned function lifts it.
 */
export async function overrideQuota(page: Page, origin: string, bytes: number): Promise<() => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: bytes });
  return async () => {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    await cdp.detach();
  };
}
