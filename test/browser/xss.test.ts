/**
 * Issue 8, XSS in real Chromium: catalog text reaches decisions' reasons and explanations as
 * plain strings, and no surface renders it as HTML — not the script tag's slots, not the SDK
 * (which adds nothing to the page), not the demo shop and its audit panel. The test pages run
 * without a CSP, so an inline handler would run if a surface parsed text as HTML; the demo runs
 * under its strict CSP, so there the proof is that no payload element exists in the DOM.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startDemoServer } from '../../demo/server.js';
import { useChromium } from './support/chromium-session.js';
import { acceptAll, openHome, openPanel } from './support/demo-pages.js';
import { installGuards, type GuardedWindow } from './support/page-guards.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** Each payload bumps window.xssRuns if it ever executes. */
const PAYLOADS = [
  '<img src=x onerror="window.xssRuns=(window.xssRuns||0)+1">',
  '"><svg onload="window.xssRuns=(window.xssRuns||0)+1">',
  "<script>window.xssRuns=(window.xssRuns||0)+1</script>",
  'javascript:window.xssRuns=1',
];

const hostileCatalog = () =>
  JSON.stringify(
    (JSON.parse(readFileSync(resolve(ROOT, 'test/browser/pages/catalog.json'), 'utf8')) as Array<{ id: string; title: string; tags: string[] }>).map((item, i) => ({
      ...item,
      title: `${item.title} ${PAYLOADS[i % PAYLOADS.length]}`,
      // Tags name the reasons ("Matches your interest in …"): each carries a payload too.
      tags: item.tags.map((tag) => `${tag} ${PAYLOADS[tag.length % PAYLOADS.length]}`),
      text: PAYLOADS.join(' '),
    })),
  );

const { server, browser, open } = useChromium({ fresh: 'origin' });
beforeEach(() => {
  server.routes.clear();
  server.routes.set('/pages/catalog.json', () => ({ status: 200, body: hostileCatalog() }));
});

/** Nothing ran, and no element a payload would create exists. */
async function expectInert(page: Page): Promise<void> {
  const state = await page.evaluate(() => ({
    runs: (window as unknown as { xssRuns?: number }).xssRuns ?? 0,
    injected: document.querySelectorAll('img[src="x"], svg[onload], script:not([src])').length,
  }));
  expect(state).toEqual({ runs: 0, injected: 0 });
}

describe('catalog text is text on every surface', () => {
  it('the SDK: reasons and explanations carry the payloads as strings, and the page gains no element', async () => {
    const page = await browser.context.newPage();
    await installGuards(page);
    await page.goto(`${server.origin}/pages/app.html?personalization=granted`);
    await page.evaluate(() => (window as unknown as GuardedWindow).insituLoaded);
    const before = await page.evaluate(() => document.body.innerHTML);
    const seen = await page.evaluate(async () => {
      const { insitu } = window as unknown as GuardedWindow;
      for (const id of ['dune', 'foundation', 'hyperion', 'dune', 'foundation']) insitu.track('view', { itemId: id });
      insitu.track('click', { itemId: 'dune' });
      await insitu.flush();
      const decision = await insitu.decide('hero', { candidates: ['foundation', 'hyperion', 'emma', 'hobbit'], timeoutMs: 2_000 });
      const explanation = await insitu.explain(decision.decisionId);
      const exported = await insitu.exportData();
      return { text: JSON.stringify([decision.reasons, explanation, exported.affinities]), policy: decision.policy };
    });
    expect(seen.policy).not.toBe('fallback');
    // The payloads travel as data (the person can read exactly what the catalog said)...
    expect(PAYLOADS.some((payload) => seen.text.includes(JSON.stringify(payload).slice(1, -1)))).toBe(true);
    // ...and nothing was added to the page.
    expect(await page.evaluate(() => document.body.innerHTML)).toBe(before);
    await expectInert(page);
  });

  it('slots (script tag): the chosen item is shown by toggling the page\'s own markup, never by writing catalog text', async () => {
    const page = await open(`/pages/script-tag.html`);
    await page.waitForFunction(() => document.getElementById('hero')!.hasAttribute('data-insitu-ready'));
    await page.evaluate(() => (window as unknown as { earlyDecision: Promise<unknown> }).earlyDecision);
    const hero = await page.evaluate(() => {
      const slot = document.getElementById('hero')!;
      return { text: slot.textContent!.replace(/\s+/g, ' ').trim(), elements: slot.querySelectorAll('*').length, shown: [...slot.querySelectorAll<HTMLElement>('[data-insitu-item]')].filter((el) => !el.hidden).length };
    });
    expect(hero).toEqual({ text: 'Dune Emma The Hobbit', elements: 3, shown: 1 });
    await expectInert(page);
  });

  it('the demo shop and its audit panel render catalog text, reasons and stored data as text', { timeout: 120_000 }, async () => {
    const collectorDir = mkdtempSync(join(tmpdir(), 'insitu-xss-collector-'));
    const demo = await startDemoServer({ port: 0, collectorDataDir: collectorDir });
    try {
      // The demo's own catalog with a payload in every text field and an extra payload tag per book.
      const books = JSON.parse(readFileSync(resolve(ROOT, 'demo/site/data/books.json'), 'utf8')) as Array<Record<string, unknown> & { tags: string[] }>;
      const hostileBooks = books.map((book, i) => {
        const payload = PAYLOADS[i % PAYLOADS.length]!;
        const copy: Record<string, unknown> = { ...book, tags: [...book.tags, payload] };
        for (const field of ['title', 'series', 'authors', 'text']) if (typeof book[field] === 'string') copy[field] = `${book[field] as string} ${payload}`;
        return copy;
      });
      await browser.context.route('**/data/books.json', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(hostileBooks) }));
      const page = await browser.context.newPage();
      await openHome(page, demo.origin);
      await acceptAll(page);
      await page.waitForFunction(() => document.body?.dataset.picks, undefined, { timeout: 20_000 });
      // Open a few books so there are views, interests and decisions with reasons to show.
      for (let i = 0; i < 3; i++) {
        const card = page.locator('#shelf .card__link').nth(i);
        if (!(await card.count())) break;
        await card.click();
        await page.waitForFunction(() => document.body?.dataset.viewRecorded === 'true', undefined, { timeout: 20_000 });
        await page.goBack();
        await page.waitForFunction(() => document.body?.dataset.picks, undefined, { timeout: 20_000 });
      }
      for (const tab of ['overview', 'decisions', 'interests', 'storage', 'network']) {
        await openPanel(page, tab);
        await expectInert(page);
      }
      const text = await page.evaluate(() => document.body.innerText);
      // The payloads are on screen, as the characters they are.
      expect(PAYLOADS.filter((payload) => text.includes(payload)).length).toBeGreaterThan(0);
      await expectInert(page);
    } finally {
      await browser.context.unroute('**/data/books.json');
      await demo.close();
      rmSync(collectorDir, { recursive: true, force: true });
    }
  });
});
