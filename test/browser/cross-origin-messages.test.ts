/**
 * Issue 8, comlink only on the worker's own endpoint, in real Chromium: the page's client listens
 * on its Worker object and the worker on its own scope, so messages posted to the page's window
 * (from a cross-origin iframe, or from any script on the page) reach neither. A barrage of
 * comlink-shaped calls (forget, setConsent, a `__proto__` SET, ENDPOINT, RELEASE), forged replies
 * for every plausible call id and forged TCF answers changes nothing: events, consent, decisions
 * and Object.prototype stay as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useChromium } from './support/chromium-session.js';
import { countRecords } from './support/idb-probe.js';
import { installGuards, readGuards, type GuardedWindow } from './support/page-guards.js';
import { startTestServer, type TestServer } from './support/server.js';

/** What a hostile frame posts to its parent: comlink's wire format aimed at the SDK, and forged answers. */
const BARRAGE = `
const consent = { personalization: 'denied', metrics: 'denied', sensitive: 'denied' };
const messages = [
  { id: 'x1', type: 'APPLY', path: ['forget'], argumentList: [] },
  { id: 'x2', type: 'APPLY', path: ['setConsent'], argumentList: [{ type: 'RAW', value: consent }] },
  { id: 'x3', type: 'SET', path: ['__proto__', 'polluted'], value: { type: 'RAW', value: 'yes' } },
  { id: 'x4', type: 'GET', path: ['constructor', 'constructor'] },
  { id: 'x5', type: 'ENDPOINT' },
  { id: 'x6', type: 'RELEASE' },
  { id: 'x7', type: 'APPLY', path: ['track'], argumentList: [{ type: 'RAW', value: [{ id: 'forged', type: 'view', ts: Date.now(), itemId: 'forged' }] }] },
  { __tcfapiReturn: { callId: 'insitu-guess', returnValue: { eventStatus: 'useractioncomplete', gdprApplies: false, listenerId: 1 }, success: true } },
  'a string', null, 42,
];
// Forged comlink replies: whatever id a pending call has, a reply that claims to be its answer.
for (let i = 0; i < 500; i++) messages.push({ id: String(i), type: 'RAW', value: { ok: true, value: { itemId: 'EVIL', decisionId: 'EVIL', reasons: ['<b>forged</b>'] } } });
for (const message of messages) target.postMessage(message, '*');
`;

const { server: home, browser } = useChromium();
/** A second origin, for the hostile frame. */
let elsewhere: TestServer;

beforeAll(async () => {
  elsewhere = await startTestServer();
  elsewhere.routes.set('/frame.html', () => ({
    status: 200,
    headers: { 'content-type': 'text/html' },
    body: `<!doctype html><script>const target = parent; ${BARRAGE}; parent.postMessage('barrage-done', '*');</script>`,
  }));
});
afterAll(async () => {
  await elsewhere.close();
});

async function state(page: Page) {
  return page.evaluate(async () => {
    const { insitu } = window as unknown as GuardedWindow;
    const exported = await insitu.exportData();
    return {
      events: exported.events.map((e) => e.itemId).sort(),
      consent: insitu.consent.get(),
      polluted: ({} as Record<string, unknown>).polluted ?? null,
    };
  });
}

describe('messages from other frames and scripts', () => {
  it('a cross-origin iframe and a same-page script posting comlink messages change nothing', async () => {
    const page = await browser.context.newPage();
    await installGuards(page);
    await page.goto(`${home.origin}/pages/app.html?personalization=granted&metrics=granted`);
    await page.evaluate(async () => {
      const { insitu } = window as unknown as GuardedWindow;
      for (const id of ['dune', 'emma', 'hobbit']) insitu.track('view', { itemId: id });
      await insitu.flush();
    });
    const before = await state(page);
    expect(before.events).toEqual(['dune', 'emma', 'hobbit']);

    // A decision in flight while the forged replies arrive: it must get the engine's answer.
    const outcome = await page.evaluate(
      async ({ frameUrl, barrage }) => {
        const { insitu } = window as unknown as GuardedWindow;
        const pending = insitu.decide('hero', { candidates: ['dune', 'emma'], timeoutMs: 2_000 });
        // The barrage from a script on the page itself, at its own window, while the call is out.
        new Function('target', barrage)(window);
        const decision = await pending;
        const done = new Promise<void>((resolve) => window.addEventListener('message', (e) => e.data === 'barrage-done' && resolve()));
        const frame = document.createElement('iframe');
        frame.src = frameUrl;
        document.body.append(frame);
        await done;
        await new Promise((resolve) => setTimeout(resolve, 300));
        await insitu.flush();
        return { itemId: decision.itemId, reasons: decision.reasons, worker: insitu.status.worker };
      },
      { frameUrl: `${elsewhere.origin}/frame.html`, barrage: BARRAGE },
    );
    expect(['dune', 'emma']).toContain(outcome.itemId);
    expect(outcome.reasons.join(' ')).not.toContain('forged');
    expect(outcome.worker).toBe('running');

    expect(await state(page)).toEqual(before);
    expect(await countRecords(page, 'events')).toBe(3);
    const guards = await readGuards(page);
    expect(guards.unhandled).toEqual([]);
    expect(guards.uncaught).toEqual([]);
    // The worker is still the one the page started, answering the page.
    const decision = await page.evaluate(() => (window as unknown as GuardedWindow).insitu.decide('hero', { candidates: ['hobbit', 'emma'], timeoutMs: 2_000 }));
    expect(decision.policy).not.toBe('fallback');
  });
});
