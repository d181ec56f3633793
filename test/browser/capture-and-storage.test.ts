/**
 * Issue 2 in real Chromium: the consent gate and the IndexedDB profile store, through the built
 * SDK in a module worker. Every test that could send something checks that nothing left the page.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useChromium } from './support/chromium-session.js';
import { STRICT_CSP } from './support/server.js';
import { countRecords, databaseNames } from './support/idb-probe.js';

const { server, browser, open } = useChromium({ fresh: 'browser' });
beforeEach(() => {
  server.requests.length = 0;
});

async function openApp(query: string, page?: Page): Promise<Page> {
  const target = await open(`/pages/app.html?${query}`, page);
  await target.waitForFunction(() => (window as unknown as { insituLoaded?: Promise<boolean> }).insituLoaded);
  await target.evaluate(() => (window as unknown as { insituLoaded: Promise<boolean> }).insituLoaded);
  return target;
}

type WindowWithInsitu = Window & { insitu: import('../../src/types.js').InsituClient; cspViolations: string[] };

async function trackMany(page: Page, count: number, prefix: string): Promise<void> {
  await page.evaluate(
    async ({ count, prefix }) => {
      const { insitu } = window as unknown as WindowWithInsitu;
      for (let i = 0; i < count; i++) {
        const error = insitu.track('view', { itemId: `${prefix}-${i}` });
        if (error) throw error;
      }
      await insitu.flush();
    },
    { count, prefix },
  );
}

/** Requests other than the SDK's own files, the test pages and the browser's favicon probe. */
function sentHome(): string[] {
  return server.requests.filter((r) => !r.url.startsWith('/dist/') && !r.url.startsWith('/pages/') && r.url !== '/favicon.ico').map((r) => r.url);
}

describe('consent gate in Chromium', () => {
  it('writes nothing to IndexedDB while consent is pending, and a grant flushes exactly the pending events', async () => {
    const page = await openApp('personalization=pending');
    await trackMany(page, 7, 'pending');
    expect(await databaseNames(page)).not.toContain('insitu');
    const status = await page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.status);
    expect(status.pendingEvents).toBe(7);

    await page.evaluate(async () => {
      const { insitu } = window as unknown as WindowWithInsitu;
      await insitu.consent.set({ personalization: 'granted' });
      await insitu.flush();
    });
    expect(await countRecords(page, 'events')).toBe(7);
    expect(sentHome()).toEqual([]);
  });

  it('keeps events across a reload once granted', async () => {
    const page = await openApp('personalization=granted');
    await trackMany(page, 12, 'kept');
    await page.reload();
    await openApp('personalization=granted', page);
    const exported = await page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.exportData());
    expect(exported.events.map((e) => e.itemId).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `kept-${i}`).sort());
    expect(sentHome()).toEqual([]);
  });

  it('erases the database when personalization is denied', async () => {
    const page = await openApp('personalization=granted');
    await trackMany(page, 5, 'erased');
    expect(await countRecords(page, 'events')).toBe(5);
    await page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.consent.set({ personalization: 'denied' }));
    expect(await databaseNames(page)).not.toContain('insitu');
    const exported = await page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.exportData());
    expect(exported.events).toEqual([]);
    expect(exported.memory.events).toEqual([]);
  });

  it('forget() erases everything stored', async () => {
    const page = await openApp('personalization=granted');
    await trackMany(page, 5, 'forgotten');
    await page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.forget());
    expect(await countRecords(page, 'events')).toBe(0);
  });
});

describe('profile store in Chromium', () => {
  it('two tabs writing 500 events each store exactly 1000', async () => {
    const [left, right] = await Promise.all([openApp('personalization=granted'), openApp('personalization=granted')]);
    await Promise.all([trackMany(left, 500, 'left'), trackMany(right, 500, 'right')]);
    expect(await countRecords(left, 'events')).toBe(1000);
  });

  it('works on a page served with a strict CSP (no unsafe-eval, worker-src self)', async () => {
    server.headers.set('/pages/app.html', { 'content-security-policy': STRICT_CSP });
    try {
      const page = await openApp('personalization=granted');
      await trackMany(page, 3, 'csp');
      const decision = await page.evaluate(() =>
        (window as unknown as WindowWithInsitu).insitu.decide('hero', { candidates: ['dune', 'emma', 'hobbit'] }),
      );
      expect(['dune', 'emma', 'hobbit']).toContain(decision.itemId);
      expect(decision.policy).not.toBe('fallback');
      const state = await page.evaluate(() => ({
        violations: (window as unknown as WindowWithInsitu).cspViolations,
        worker: (window as unknown as WindowWithInsitu).insitu.status.worker,
      }));
      expect(state).toEqual({ violations: [], worker: 'running' });
      expect(await countRecords(page, 'events')).toBe(3);
    } finally {
      server.headers.delete('/pages/app.html');
    }
  });

  it('captures into memory and says so when the page has no IndexedDB and no Worker', async () => {
    await browser.context.addInitScript(() => {
      Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
      Object.defineProperty(window, 'Worker', { value: undefined, configurable: true });
    });
    const page = await openApp('personalization=granted');
    await trackMany(page, 4, 'memory');
    const status = await page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.status);
    expect(status.worker).toBe('inline');
    expect(status.storage).toMatchObject({ mode: 'memory', health: 'unavailable', reason: 'storage_unavailable' });
    const exported = await page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.exportData());
    expect(exported.memory.events).toHaveLength(4);
  });
});
