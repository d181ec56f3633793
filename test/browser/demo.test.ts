/**
 * The privacy-audit demo (issue 5) in real Chromium, browsed as a person would: the demo server
 * runs in-process with the reference collector mounted on its origin, so the test can compare what
 * the audit panel lists with what the collector received. Screenshots go to demo/screenshots/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startDemoServer, type DemoServer } from '../../demo/server.js';
import { useChromium } from './support/chromium-session.js';
import { countRecords, databaseNames } from './support/idb-probe.js';
import {
  TAG,
  TAG_LABEL,
  acceptAll,
  browseShelf,
  closePanel,
  ensurePersonalizedDevice,
  hasTag,
  homePicks,
  openHome,
  openPanel,
  reportsPostedByBrowser,
  shiftWorkerClock,
  waitForCaptureToSettle,
  type Book,
} from './support/demo-pages.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SCREENSHOTS = join(ROOT, 'demo/screenshots');
const BOOKS: Book[] = JSON.parse(readFileSync(join(ROOT, 'demo/site/data/books.json'), 'utf8'));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** Books browsed on one shelf before the home page should lean toward it (the figure). */
const BROWSED_BOOKS = 10;
/** Hero + shelf books from the browsed shelf afterwards (of 9). */
const MIN_SHARE_AFTER = 4;
/** Browsing ten pages, each waiting for its view to reach the engine, takes a while on 2 cores. */
const LONG_TEST_MS = 180_000;
/** The simulated wait for a report period to close: past the daily period and its grace hour. */
const NEXT_DAY_MS = 2 * 24 * 60 * 60 * 1000;
/** The panel re-reads the device every 2 s; a few rounds is plenty. */
const POLL = { timeout: 10_000 };

let collectorDir: string;
let consoleErrors: string[];

// Registered before useChromium's hooks, so these run after its own (vitest runs after-hooks in
// reverse): the page's errors are read once the browser has closed, and the collector's folder is
// removed once the server has stopped writing to it.
afterAll(() => {
  rmSync(collectorDir, { recursive: true, force: true });
});
afterEach(() => {
  // A CSP violation, a failed module or an exception in the page shows up here.
  expect(consoleErrors).toEqual([]);
});
const { server, browser } = useChromium<DemoServer>({
  fresh: 'browser',
  server: () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    collectorDir = mkdtempSync(join(tmpdir(), 'insitu-demo-collector-'));
    return startDemoServer({ port: 0, collectorDataDir: collectorDir });
  },
});
beforeEach(() => {
  consoleErrors = [];
});

async function newPage(viewport = DESKTOP): Promise<Page> {
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  return page;
}

function collectorPosts() {
  return server.collector.requests().requests.filter((request) => request.method === 'POST');
}

const titleOf = (id: string) => BOOKS.find((book) => book.id === id)?.title ?? id;
const tagShare = (ids: string[]) => ids.filter((id) => hasTag(BOOKS, id, TAG)).length;

describe('the privacy-audit demo in Chromium', () => {
  it('stores nothing and sends nothing while consent is pending, and the panel says so', { timeout: LONG_TEST_MS }, async () => {
    const page = await newPage(PHONE);
    const browserPosts = reportsPostedByBrowser(browser.context);
    await openHome(page, server.origin);
    await page.locator('.consent').waitFor({ state: 'visible' });
    await page.screenshot({ path: join(SCREENSHOTS, 'consent-banner-phone.png') });

    // Browse without answering the banner: events are captured, and kept in memory only.
    await browseShelf(page, server.origin, TAG, 2);
    await openHome(page, server.origin);
    const exported = await page.evaluate(() => window.quire.client.exportData());
    expect(exported.consent.personalization).toBe('pending');
    expect(exported.memory.events.length).toBeGreaterThan(0);
    expect(exported.events).toEqual([]);

    expect(await databaseNames(page)).not.toContain('insitu');
    expect(await page.evaluate(() => localStorage.length)).toBe(0);

    await openPanel(page, 'network');
    await expect.poll(() => page.locator('[data-no-requests]').textContent(), POLL).toContain('No request has been sent.');
    await openPanel(page, 'storage');
    await expect.poll(() => page.locator('#audit-storage-summary').textContent(), POLL).toContain('Nothing is stored on this device.');

    expect(collectorPosts()).toEqual([]);
    expect(browserPosts()).toEqual([]);
  });

  it('opens, moves between tabs and closes from the keyboard, with named controls', { timeout: LONG_TEST_MS }, async () => {
    const page = await newPage(DESKTOP);
    await openHome(page, server.origin);
    await homePicks(page, () => page.click('[data-consent-action="reject"]'));
    await page.focus('#audit-toggle');
    await page.keyboard.press('Enter');
    await page.locator('#audit').waitFor({ state: 'visible' });
    expect(await page.locator('#audit').getAttribute('aria-labelledby')).toBe('audit-title');
    await page.focus('[data-audit-tab="overview"]');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-audit-tab'))).toBe('activity');
    expect(await page.locator('#audit-panel-activity').isVisible()).toBe(true);
    await page.keyboard.press('End');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-audit-tab'))).toBe('collector');
    await page.keyboard.press('Home');
    expect(await page.locator('[data-audit-tab="overview"]').getAttribute('aria-selected')).toBe('true');
    // Every form control in the panel has an accessible name.
    const unnamed = await page.locator('#audit input, #audit button').evaluateAll((controls) =>
      controls.filter((c) => !(c.getAttribute('aria-label') || c.textContent?.trim() || (c.id && document.querySelector(`label[for="${c.id}"]`)))).map((c) => c.outerHTML),
    );
    expect(unnamed).toEqual([]);
    await page.keyboard.press('Escape');
    await page.locator('#audit').waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('audit-toggle');
  });

  it('after a grant, ten books from one shelf move the hero and the shelf toward it, and the panel says why', { timeout: LONG_TEST_MS }, async () => {
    const page = await newPage(DESKTOP);
    await openHome(page, server.origin);
    // Personalization only, through the banner's own boxes.
    await page.check('#consent-personalization');
    await homePicks(page, () => page.click('[data-consent-action="save"]'));
    await ensurePersonalizedDevice(page, server.origin);
    const before = await homePicks(page);
    expect(before).toHaveLength(9);

    await browseShelf(page, server.origin, TAG, BROWSED_BOOKS);
    await openHome(page, server.origin);
    const after = await homePicks(page);

    const shareBefore = tagShare(before);
    const shareAfter = tagShare(after);
    console.log(`${TAG} among hero + shelf: ${shareBefore}/9 before, ${shareAfter}/9 after browsing ${BROWSED_BOOKS} ${TAG} books`);
    console.log(`  before: ${before.map(titleOf).join(', ')}`);
    console.log(`  after:  ${after.map(titleOf).join(', ')}`);
    expect(shareAfter).toBeGreaterThan(shareBefore);
    // 33 of 300 books are on the shelf: nine picks at random would hold one; four is a clear lean.
    expect(shareAfter).toBeGreaterThanOrEqual(MIN_SHARE_AFTER);
    // The hero's policy now puts a book from the shelf first (its shown pick may be an exploration).
    const heroRecord = await page.evaluate(async () => (await window.quire.client.exportData()).decisions.filter((d) => d.placement === 'home-hero').at(-1)!);
    const heroTop = heroRecord.candidates[heroRecord.probabilities.indexOf(Math.max(...heroRecord.probabilities))]!;
    console.log(`  hero: shown ${titleOf(heroRecord.itemId)}${heroRecord.exploring ? ' (exploring)' : ''}; the policy's first choice ${titleOf(heroTop)}`);
    expect(hasTag(BOOKS, heroTop, TAG)).toBe(true);

    // The page shows the reasons; the panel shows them per decision, and the learned interests.
    const mentions = (text: string) => text.toLowerCase().replace(/-/g, ' ').includes(TAG_LABEL.toLowerCase());
    await page.screenshot({ path: join(SCREENSHOTS, 'home-desktop.png') });
    await openPanel(page, 'decisions');
    const reasons = await page.locator('.decision[data-policy] .decision__reasons').allTextContents();
    expect(reasons.some(mentions)).toBe(true);
    await openPanel(page, 'interests');
    const topTags = await page.locator('#audit-affinity-chart .chart__row').evaluateAll((rows) => rows.slice(0, 3).map((row) => row.getAttribute('data-tag')));
    expect(topTags).toContain(TAG);
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-interests-desktop.png') });
    await openPanel(page, 'decisions');
    await page.locator('.decision').first().locator('summary').click();
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-decisions-desktop.png') });
    await closePanel(page);

    // The book page runs on the script tag: its picks, slot and panel work the same way.
    await page.goto(`${server.origin}/book.html?id=${after[0]}`);
    await page.waitForFunction(() => document.body?.dataset.picks && document.querySelector('#audit-toggle'));
    await page.screenshot({ path: join(SCREENSHOTS, 'book-desktop.png') });

    const phone = await newPage(PHONE);
    await openHome(phone, server.origin);
    await phone.screenshot({ path: join(SCREENSHOTS, 'home-phone.png') });
    await openPanel(phone, 'interests');
    await phone.screenshot({ path: join(SCREENSHOTS, 'audit-interests-phone.png') });
    await openPanel(phone, 'decisions');
    await phone.locator('.decision').first().locator('summary').click();
    await phone.screenshot({ path: join(SCREENSHOTS, 'audit-decisions-phone.png') });
  });

  it('lists exactly the requests the collector received, with their full bodies', { timeout: LONG_TEST_MS }, async () => {
    const postsBefore = collectorPosts().length;
    const browserPosts = reportsPostedByBrowser(browser.context);
    const page = await newPage(DESKTOP);
    await openHome(page, server.origin);
    await homePicks(page, () => acceptAll(page));
    await browseShelf(page, server.origin, TAG, 3);
    await openHome(page, server.origin);
    await homePicks(page);

    // Nothing is due yet: the day's period is still open.
    await openPanel(page, 'network');
    await page.click('#audit-send-now');
    await expect.poll(() => page.locator('.audit__status').textContent(), POLL).toContain('Nothing was due');
    expect(collectorPosts().length).toBe(postsBefore);

    // The next day on this device: the period has closed, so its report goes out. "Send report now"
    // sends it, unless the panel's own refresh got there first (exportData() flushes, and a flush
    // delivers what is due): either way it must be listed.
    await shiftWorkerClock(page, NEXT_DAY_MS);
    await page.click('#audit-send-now');
    await expect.poll(() => page.locator('.audit__status').textContent(), POLL).toMatch(/Sent 1 report|Nothing was due/);
    await expect.poll(() => page.locator('.request').count(), POLL).toBeGreaterThan(0);
    await page.locator('.request').first().locator('summary').click();

    const listed = await page.locator('.request').evaluateAll((requests) =>
      requests.map((request) => ({ key: request.getAttribute('data-idempotency-key'), body: request.querySelector('pre')?.textContent ?? '' })),
    );
    const received = collectorPosts().slice(postsBefore);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.map((r) => r.key).sort()).toEqual(received.map((r) => r.idempotencyKey).sort());
    for (const request of listed) {
      const match = received.find((r) => r.idempotencyKey === request.key)!;
      expect(JSON.parse(request.body)).toEqual(JSON.parse(match.body));
      expect(match.status).toBe(200);
    }
    // And the browser itself made no other request to the collector.
    expect(browserPosts().sort()).toEqual(received.map((r) => r.body).sort());
    const sent = await page.evaluate(() => window.quire.client.exportData().then((data) => data.sent));
    expect(sent.map((s) => s.idempotencyKey).sort()).toEqual(received.map((r) => r.idempotencyKey).sort());
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-sent-home-desktop.png') });

    // The collector's side, as the panel shows it.
    await openPanel(page, 'collector');
    await expect.poll(() => page.locator('[data-collector-reports]').textContent(), POLL).toContain(String(server.collector.totals().reports));
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-collector-desktop.png') });
  });

  it('honours Global Privacy Control: the banner locks reports off, and nothing is sent even when one is due', { timeout: LONG_TEST_MS }, async () => {
    await browser.context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true }));
    const postsBefore = collectorPosts().length;
    const browserPosts = reportsPostedByBrowser(browser.context);
    const page = await newPage(DESKTOP);
    await openHome(page, server.origin);
    expect(await page.locator('#consent-metrics').isDisabled()).toBe(true);
    await expect.poll(() => page.locator('#consent-metrics-detail').textContent(), POLL).toContain('Global Privacy Control');
    await homePicks(page, () => acceptAll(page));
    const consent = await page.evaluate(() => window.quire.client.consent.get());
    expect(consent).toEqual({ personalization: 'granted', metrics: 'denied', sensitive: 'granted' });

    await openPanel(page, 'overview');
    await expect.poll(() => page.locator('#audit-panel-overview .facts').textContent(), POLL).toContain('on, respected: no reports');
    expect(await page.locator('#audit-consent-metrics-granted').isDisabled()).toBe(true);
    await shiftWorkerClock(page, NEXT_DAY_MS);
    await openPanel(page, 'network');
    await page.click('#audit-send-now');
    await expect.poll(() => page.locator('.audit__status').textContent(), POLL).toContain('Nothing sent: anonymous reports are not allowed.');
    await expect.poll(() => page.locator('[data-no-requests]').textContent(), POLL).toContain('No request has been sent.');
    expect(collectorPosts().length).toBe(postsBefore);
    expect(browserPosts()).toEqual([]);
  });

  it('Forget empties storage, and the next decision is made without any history', { timeout: LONG_TEST_MS }, async () => {
    const page = await newPage(DESKTOP);
    await openHome(page, server.origin);
    await page.check('#consent-personalization');
    await homePicks(page, () => page.click('[data-consent-action="save"]'));
    await ensurePersonalizedDevice(page, server.origin);
    await browseShelf(page, server.origin, TAG, 6);
    await openHome(page, server.origin);
    await homePicks(page);
    // Let this visit's impressions land first: Forget erases what exists, and capture goes on after it.
    await waitForCaptureToSettle(page);
    expect(await countRecords(page, 'events')).toBeGreaterThan(0);

    await openPanel(page, 'storage');
    await page.click('#audit-forget');
    await page.click('#audit-forget[data-confirm="true"]');
    // The panel's own proof, read right after the erase (capture goes on afterwards).
    await expect.poll(() => page.locator('.audit__status').textContent(), POLL).toContain('Erased. Left on this device: 0 events, 0 decisions, 0 learned interests.');
    await expect.poll(() => page.locator('#audit-storage-summary').textContent(), POLL).toMatch(/Nothing is stored|: 0 events, 0 decisions, 0 reports/);
    await openPanel(page, 'interests');
    await page.locator('[data-affinities-empty]').waitFor({ state: 'visible' });
    const erased = await page.evaluate(() => window.quire.client.exportData());
    // Listed in full on failure: an event written back after the erase would show up here.
    expect(erased.events.map((e) => `${e.type}:${e.itemId ?? ''}:${e.page ?? ''}:${e.ts}`)).toEqual([]);
    expect(await countRecords(page, 'events')).toBe(0);
    expect(await countRecords(page, 'decisions')).toBe(0);
    expect(erased.decisions).toEqual([]);
    expect(erased.affinities).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-after-forget-desktop.png') });

    // The next visit decides from nothing learned: no reason cites the shelf, no tag drives a score.
    await openHome(page, server.origin);
    const next = await homePicks(page);
    const decisions = await page.evaluate(() => window.quire.client.exportData().then((data) => data.decisions));
    const hero = decisions.find((d) => d.placement === 'home-hero')!;
    expect(hero.itemId).toBe(next[0]);
    expect(hero.reasons.join(' ').toLowerCase()).not.toContain(TAG_LABEL.toLowerCase());
    const explanation = await page.evaluate((id) => window.quire.client.explain(id), hero.decisionId);
    expect(explanation?.drivers.filter((driver) => driver.kind === 'tag' && driver.weight > 0) ?? []).toEqual([]);
    expect((await page.evaluate(() => window.quire.client.exportData())).affinities).toEqual([]);
  });
});
