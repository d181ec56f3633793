/**
 * How the demo tests drive the bookshop: the same clicks a person makes (banner, shelf, book,
 * audit panel), plus two probes a person cannot make: the requests the browser itself issued, and
 * the device clock inside the SDK's worker (to reach the end of a report period without waiting a day).
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { InsituClient } from '../../../src/types.js';

declare global {
  interface Window {
    /** Set by the demo's module pages (demo/site/js/insitu-esm.js). */
    quire: { client: InsituClient };
  }
}

export interface Book {
  id: string;
  title: string;
  tags: string[];
}

/** The shelf the tests browse: stocked well (33 books) but rare among the most-read books. */
export const TAG = 'mystery';
export const TAG_LABEL = 'mystery';

/** How long a page may take to show its picks (worker start, catalog, IndexedDB) on a slow machine. */
const PAGE_READY_MS = 20_000;

export function hasTag(books: Book[], id: string, tag: string): boolean {
  return books.find((book) => book.id === id)?.tags.includes(tag) ?? false;
}

export async function openHome(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => document.body?.dataset.picks, undefined, { timeout: PAGE_READY_MS });
}

/**
 * The home page's picks, hero first: after `action` (which makes the page decide again, e.g. a
 * consent choice), the ones decided after it.
 */
export async function homePicks(page: Page, action?: () => Promise<unknown>): Promise<string[]> {
  if (action) {
    const previous = await page.evaluate(() => document.body.dataset.picks ?? '');
    await action();
    await page.waitForFunction((stamp) => document.body?.dataset.picks && document.body.dataset.picks !== stamp, previous, { timeout: PAGE_READY_MS });
  }
  return page.$$eval('#hero[data-insitu-item], #shelf [data-insitu-item]', (elements) => elements.map((element) => element.getAttribute('data-insitu-item') ?? ''));
}

export async function acceptAll(page: Page): Promise<void> {
  await page.click('[data-consent-action="accept"]');
}

/** Open the shelf, then open its first `count` books one after another, coming back each time. */
export async function browseShelf(page: Page, origin: string, tag: string, count: number): Promise<string[]> {
  await page.goto(`${origin}/shelf.html?tag=${encodeURIComponent(tag)}`);
  const opened: string[] = [];
  for (let i = 0; i < count; i++) {
    const card = page.locator('#shelf-books .card').nth(i);
    await card.waitFor({ timeout: PAGE_READY_MS });
    opened.push((await card.getAttribute('data-insitu-item')) ?? '');
    await card.locator('.card__link').click();
    // The book page flushes its view to the engine, then marks itself.
    await page.waitForFunction(() => document.body?.dataset.viewRecorded === 'true', undefined, { timeout: PAGE_READY_MS });
    await page.goBack();
  }
  return opened;
}

/** Open the audit panel on a tab and wait until it has read the device's data since. */
export async function openPanel(page: Page, tab: string): Promise<void> {
  const before = await page.evaluate(() => document.getElementById('audit')?.dataset.refreshed ?? '');
  if (!(await page.locator('#audit').evaluate((dialog) => (dialog as HTMLDialogElement).open))) await page.click('#audit-toggle');
  await page.click(`[data-audit-tab="${tab}"]`);
  await page.waitForFunction((stamp) => {
    const refreshed = document.getElementById('audit')?.dataset.refreshed;
    return refreshed && refreshed !== stamp;
  }, before, { timeout: PAGE_READY_MS });
}

export async function closePanel(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await page.locator('#audit').waitFor({ state: 'hidden' });
}

/** Bodies of every report POST the browser issued in this context (pages and their workers). */
export function reportsPostedByBrowser(context: BrowserContext): () => string[] {
  const bodies: string[] = [];
  context.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/metrics') bodies.push(request.postData() ?? '');
  });
  return () => [...bodies];
}

/**
 * Move the device clock inside the SDK's worker forward: the engine reads `Date.now()` for report
 * periods, so this is "the next day" for the reporter without waiting a day. The page's own
 * clock is left alone.
 */
export async function shiftWorkerClock(page: Page, shiftMs: number): Promise<void> {
  // Right after a navigation the previous document's worker may still be listed: shift every
  // insitu worker that still answers, so the current one is surely among them.
  const workers = page.workers().filter((w) => w.url().includes('insitu-worker'));
  const shifted = await Promise.all(
    workers.map((worker) =>
      worker
        .evaluate((shift) => {
          const realNow = Date.now.bind(Date);
          Date.now = () => realNow() + shift;
          return true;
        }, shiftMs)
        .catch(() => false),
    ),
  );
  if (!shifted.includes(true)) throw new Error(`no running insitu worker on ${page.url()}`);
}

/** Impressions need a second in view; capture is settled once nothing new arrived for longer. */
const CAPTURE_QUIET_MS = 2_500;

/**
 * Wait until the page's auto-capture has gone quiet (no new event for CAPTURE_QUIET_MS), so a
 * later step sees a settled store: each item's impression is counted once per page view.
 */
export async function waitForCaptureToSettle(page: Page): Promise<void> {
  const deadline = Date.now() + PAGE_READY_MS;
  let last = -1;
  let quietSince = Date.now();
  for (;;) {
    const count = await page.evaluate(async () => {
      const data = await window.quire.client.exportData();
      return data.events.length + data.memory.events.length;
    });
    if (count !== last) {
      last = count;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= CAPTURE_QUIET_MS) return;
    if (Date.now() > deadline) throw new Error('auto-capture never went quiet');
    await page.waitForTimeout(250);
  }
}

/**
 * A share of devices (5% by default) is the holdout arm: never personalized, so lift can be
 * measured. A test about personalization needs a personalized device: while the latest decision
 * says holdout, Forget (which draws a new device id, and so a new arm) and look again.
 */
export async function ensurePersonalizedDevice(page: Page, origin: string): Promise<void> {
  for (let attempt = 0; attempt < MAX_ARM_DRAWS; attempt++) {
    const policy = await page.evaluate(async () => (await window.quire.client.exportData()).decisions.at(-1)?.policy);
    if (policy !== 'holdout') return;
    await page.evaluate(() => window.quire.client.forget());
    await openHome(page, origin);
  }
  throw new Error(`still in the holdout arm after ${MAX_ARM_DRAWS} device ids`);
}
/** At a 5% holdout, five draws all landing in it happen about three times in ten million. */
const MAX_ARM_DRAWS = 5;
