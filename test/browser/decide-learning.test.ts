/**
 * Issue 3 in real Chromium: a decision in the worker, a click on what it showed, and the next
 * decision has learned from it; the learning survives a reload (model state in IndexedDB).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useChromium } from './support/chromium-session.js';

const { server, open } = useChromium({ fresh: 'browser' });
beforeEach(() => {
  server.requests.length = 0;
});

type WindowWithInsitu = Window & { insitu: import('../../src/types.js').InsituClient; insituLoaded: Promise<boolean> };
const CANDIDATES = ['foundation', 'hyperion', 'emma', 'persuasion', 'outlander', 'gone-girl'];
const SCIENCE_FICTION = new Set(['foundation', 'hyperion']);

async function openApp(page?: Page): Promise<Page> {
  // No holdout arm: a device in it would get the non-personalized default and learning could not show.
  const target = await open('/pages/app.html?personalization=granted&holdout=0', page);
  await target.waitForFunction(() => (window as unknown as WindowWithInsitu).insituLoaded);
  await target.evaluate(() => (window as unknown as WindowWithInsitu).insituLoaded);
  return target;
}

/** Mean score of the science-fiction candidates minus the others', from explain() of a fresh decision. */
async function scienceFictionLead(page: Page): Promise<{ lead: number; policy: string; worker: string }> {
  const { alternatives, policy, worker } = await page.evaluate(async (candidates) => {
    const { insitu } = window as unknown as WindowWithInsitu;
    const decision = await insitu.decide('hero', { candidates, timeoutMs: 5_000 });
    const explanation = await insitu.explain(decision.decisionId);
    return { alternatives: explanation?.alternatives ?? [], policy: decision.policy, worker: insitu.status.worker };
  }, CANDIDATES);
  expect(alternatives).toHaveLength(CANDIDATES.length);
  const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
  const sf = alternatives.filter((a) => SCIENCE_FICTION.has(a.itemId)).map((a) => a.score);
  const rest = alternatives.filter((a) => !SCIENCE_FICTION.has(a.itemId)).map((a) => a.score);
  return { lead: mean(sf) - mean(rest), policy, worker };
}

describe('decisions learn in the worker', () => {
  it('a click on a shown science-fiction title raises science fiction in the next decision, and that survives a reload', async () => {
    const page = await openApp();
    const before = await scienceFictionLead(page);
    expect(before.worker).toBe('running');
    expect(before.policy).toBe('personalized');

    await page.evaluate(async () => {
      const { insitu } = window as unknown as WindowWithInsitu;
      const shown = await insitu.decide('hero', { candidates: ['dune', 'emma'], timeoutMs: 5_000 });
      // The person clicks the science-fiction title; when the decision showed it, the click rewards it.
      insitu.track('click', { itemId: 'dune', ...(shown.itemId === 'dune' ? { decisionId: shown.decisionId } : {}) });
      insitu.track('convert', { itemId: 'dune', value: 1 });
      await insitu.flush();
    });
    const after = await scienceFictionLead(page);
    expect(after.lead).toBeGreaterThan(before.lead);

    await page.reload();
    await openApp(page);
    const reloaded = await scienceFictionLead(page);
    expect(reloaded.policy).toBe('personalized');
    expect(reloaded.lead).toBeGreaterThan(before.lead);
    expect(server.requests.filter((r) => !r.url.startsWith('/dist/') && !r.url.startsWith('/pages/') && r.url !== '/favicon.ico')).toEqual([]);
  });
});
