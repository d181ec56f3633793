/**
 * Issue 8, worker faults in real Chromium, through the built SDK. A worker that cannot start (404,
 * refused by CSP, throwing at load) is tried once more and then the engine runs inline; a worker
 * that dies while running (terminated, closed, wedged) is found out by a liveness probe, replaced
 * once, then run inline. In every case: calls settle within their deadline (decide() with the
 * fallback), `status.worker` says what happened, no event is lost or doubled, and nothing is
 * thrown into the page.
 *
 * One Chromium for the file (a launch costs ~3 s); each test starts on a wiped origin.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CALL_TIMEOUT_MS } from '../../src/client.js';
import { LIVENESS_TIMEOUT_MS, PROBE_AFTER_MS } from '../../src/engine-supervisor.js';
import { WORKER_ATTEMPTS } from '../../src/worker-client.js';
import { useChromium } from './support/chromium-session.js';
import { installGuards, readGuards, recordWorkerStates, type GuardedWindow } from './support/page-guards.js';

const { server, browser, open } = useChromium({ fresh: 'origin' });

const JS = { 'content-type': 'text/javascript' };
/**
 * The real worker with a test-only trigger: on `{ insituTest: 'close' }` it closes itself; on
 * `'wedge'` it spins forever; on `'stall'` it is busy for `ms` and then carries on.
 */
const TRIGGERED_WORKER = `import '/dist/insitu-worker.js';
self.addEventListener('message', (event) => {
  if (event.data?.insituTest === 'close') self.close();
  if (event.data?.insituTest === 'wedge') for (;;) {}
  if (event.data?.insituTest === 'stall') for (const until = performance.now() + event.data.ms; performance.now() < until; ) {}
});`;

beforeEach(() => {
  server.requests.length = 0;
  server.headers.clear();
  server.routes.clear();
});

async function openApp(query: string): Promise<Page> {
  const page = await browser.context.newPage();
  await installGuards(page);
  await open(`/pages/app.html?${query}`, page);
  await page.evaluate(() => (window as unknown as GuardedWindow).insituLoaded);
  await recordWorkerStates(page);
  return page;
}

/** Track `count` views named `prefix-i`, then flush; returns how long the flush took. */
async function trackAndFlush(page: Page, prefix: string, count: number): Promise<number> {
  return page.evaluate(
    async ({ prefix, count }) => {
      const { insitu } = window as unknown as GuardedWindow;
      for (let i = 0; i < count; i++) insitu.track('view', { itemId: `${prefix}-${i}` });
      const started = performance.now();
      await insitu.flush();
      return performance.now() - started;
    },
    { prefix, count },
  );
}

async function storedItemIds(page: Page): Promise<string[]> {
  const exported = await page.evaluate(() => (window as unknown as GuardedWindow).insitu.exportData());
  return [...exported.events, ...exported.memory.events].map((e) => e.itemId ?? '').sort();
}

function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

function workerRequests(path: string): number {
  return server.requests.filter((r) => r.url === path).length;
}

/** A worker that never starts: the SDK tries WORKER_ATTEMPTS times, then runs inline and works. */
async function expectInlineAfterFailedStarts(page: Page): Promise<void> {
  const state = await page.evaluate(async () => {
    const { insitu } = window as unknown as GuardedWindow;
    const started = performance.now();
    const decision = await insitu.decide('hero', { candidates: ['dune', 'emma', 'hobbit'], timeoutMs: 500 });
    return { worker: insitu.status.worker, policy: decision.policy, decidedIn: performance.now() - started };
  });
  expect(state.worker).toBe('inline');
  // The inline engine answers the decision itself, well within its deadline.
  expect(state.policy).not.toBe('fallback');
  expect(state.decidedIn).toBeLessThan(500);
  await trackAndFlush(page, 'inline', 6);
  expect(await storedItemIds(page)).toEqual(names('inline', 6));
  const guards = await readGuards(page);
  expect(guards.unhandled).toEqual([]);
  expect(guards.uncaught).toEqual([]);
}

describe('a worker that cannot start', () => {
  it('404: tried twice, then the engine runs inline', async () => {
    const page = await openApp('personalization=granted&worker=/pages/no-such-worker.js');
    expect(workerRequests('/pages/no-such-worker.js')).toBe(WORKER_ATTEMPTS);
    await expectInlineAfterFailedStarts(page);
  });

  it("refused by CSP (worker-src 'none'): runs inline, and the only violation is the worker's", async () => {
    server.headers.set('/pages/app.html', {
      'content-security-policy': "default-src 'self'; script-src 'self'; worker-src 'none'; connect-src 'self'; style-src 'self'",
    });
    const page = await openApp('personalization=granted');
    await expectInlineAfterFailedStarts(page);
    const violations = await page.evaluate(() => (window as unknown as GuardedWindow).cspViolations);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.every((v) => v.startsWith('worker-src'))).toBe(true);
    // The browser refused before fetching: the worker file was never requested.
    expect(workerRequests('/dist/insitu-worker.js')).toBe(0);
  });

  it('throwing while its module loads: tried twice, then inline', async () => {
    server.routes.set('/pages/throwing-worker.js', () => ({ status: 200, headers: JS, body: "throw new Error('broken build');" }));
    const page = await openApp('personalization=granted&worker=/pages/throwing-worker.js');
    expect(workerRequests('/pages/throwing-worker.js')).toBe(WORKER_ATTEMPTS);
    await expectInlineAfterFailedStarts(page);
  });
});

describe('a worker that dies while running', () => {
  it('terminated mid-call: decide() falls back at its deadline, the worker is restarted once, then the engine runs inline; no event lost or doubled', async () => {
    const page = await openApp('personalization=granted');
    await trackAndFlush(page, 'before', 10);

    const killFirst = await page.evaluate(async () => {
      const { insitu, guards } = window as unknown as GuardedWindow;
      // Events in the queue and a decision in flight when the worker is killed.
      for (let i = 0; i < 5; i++) insitu.track('view', { itemId: `during-${i}` });
      const started = performance.now();
      const pending = insitu.decide('hero', { candidates: ['dune', 'emma'], timeoutMs: 200 });
      guards.workers[0]!.terminate();
      const decision = await pending;
      const decidedIn = performance.now() - started;
      const flushStarted = performance.now();
      await insitu.flush();
      return { policy: decision.policy, itemId: decision.itemId, decidedIn, flushedIn: performance.now() - flushStarted, worker: insitu.status.worker, workers: guards.workers.length };
    });
    expect(killFirst.policy).toBe('fallback');
    expect(killFirst.itemId).toBe('dune');
    expect(killFirst.decidedIn).toBeLessThan(200 + 150);
    // Found dead by the probe, replaced, and the waiting batch delivered to the replacement.
    expect(killFirst.flushedIn).toBeLessThan(CALL_TIMEOUT_MS);
    expect(killFirst.worker).toBe('running');
    expect(killFirst.workers).toBe(2);
    expect(await storedItemIds(page)).toEqual([...names('before', 10), ...names('during', 5)].sort());

    // The one restart is spent: the next death moves the engine inline.
    const killSecond = await page.evaluate(async () => {
      const { insitu, guards } = window as unknown as GuardedWindow;
      guards.workers[1]!.terminate();
      for (let i = 0; i < 5; i++) insitu.track('view', { itemId: `after-${i}` });
      const started = performance.now();
      await insitu.flush();
      return { flushedIn: performance.now() - started, worker: insitu.status.worker, workers: guards.workers.length };
    });
    expect(killSecond.worker).toBe('inline');
    expect(killSecond.workers).toBe(2);
    expect(killSecond.flushedIn).toBeLessThan(CALL_TIMEOUT_MS);
    expect(await storedItemIds(page)).toEqual([...names('before', 10), ...names('during', 5), ...names('after', 5)].sort());

    const guards = await readGuards(page);
    expect(guards.workerStates).toEqual(['running', 'restarting', 'running', 'restarting', 'inline']);
    expect(guards.unhandled).toEqual([]);
    expect(guards.uncaught).toEqual([]);
  });

  it('closing itself (self.close()) after start: replaced, every event kept', async () => {
    server.routes.set('/pages/triggered-worker.js', () => ({ status: 200, headers: JS, body: TRIGGERED_WORKER }));
    const page = await openApp('personalization=granted&worker=/pages/triggered-worker.js');
    await trackAndFlush(page, 'before', 3);
    const result = await page.evaluate(async () => {
      const { insitu, guards } = window as unknown as GuardedWindow;
      guards.workers[0]!.postMessage({ insituTest: 'close' });
      for (let i = 0; i < 4; i++) insitu.track('click', { itemId: `after-${i}` });
      await insitu.flush();
      return { worker: insitu.status.worker, workers: guards.workers.length };
    });
    expect(result).toEqual({ worker: 'running', workers: 2 });
    expect(await storedItemIds(page)).toEqual([...names('before', 3), ...names('after', 4)].sort());
    expect((await readGuards(page)).unhandled).toEqual([]);
  });

  it('busy past the deadline: the page shows its fallback, and the decision that answers late is withdrawn, so the call is logged once, as shown', async () => {
    server.routes.set('/pages/triggered-worker.js', () => ({ status: 200, headers: JS, body: TRIGGERED_WORKER }));
    const page = await openApp('personalization=granted&worker=/pages/triggered-worker.js');
    const result = await page.evaluate(async () => {
      const { insitu, guards } = window as unknown as GuardedWindow;
      const inTime = await insitu.decide('hero', { candidates: ['emma', 'dune'], timeoutMs: 2_000 });
      // The worker takes the decide() message only after 400 ms of other work: it decides, and answers, late.
      guards.workers[0]!.postMessage({ insituTest: 'stall', ms: 400 });
      const late = await insitu.decide('hero', { candidates: ['emma', 'dune'], timeoutMs: 50 });
      // Let the late answer arrive and its withdrawal land, then write everything.
      await new Promise((r) => setTimeout(r, 600));
      await insitu.flush();
      const exported = await insitu.exportData();
      return { inTime, late, logged: exported.decisions.map((d) => ({ decisionId: d.decisionId, policy: d.policy })), workers: guards.workers.length };
    });
    expect(result.inTime.policy).not.toBe('fallback');
    expect(result.late.policy).toBe('fallback');
    expect(result.workers).toBe(1);
    expect(result.logged).toEqual([
      { decisionId: result.inTime.decisionId, policy: result.inTime.policy },
      { decisionId: result.late.decisionId, policy: 'fallback' },
    ]);
    expect((await readGuards(page)).unhandled).toEqual([]);
  });

  it('wedged in an endless loop: decide() still answers at its deadline; the probe gives up on it and it is replaced', async () => {
    server.routes.set('/pages/triggered-worker.js', () => ({ status: 200, headers: JS, body: TRIGGERED_WORKER }));
    const page = await openApp('personalization=granted&worker=/pages/triggered-worker.js');
    const result = await page.evaluate(async () => {
      const { insitu, guards } = window as unknown as GuardedWindow;
      guards.workers[0]!.postMessage({ insituTest: 'wedge' });
      const started = performance.now();
      const decision = await insitu.decide('hero', { candidates: ['emma', 'dune'], timeoutMs: 100 });
      const decidedIn = performance.now() - started;
      const replacedStarted = performance.now();
      while (insitu.status.worker !== 'running' || guards.workers.length < 2) await new Promise((r) => setTimeout(r, 20));
      const second = await insitu.decide('hero', { candidates: ['emma', 'dune'], timeoutMs: 500 });
      return { first: decision.policy, decidedIn, replacedIn: performance.now() - replacedStarted, second: second.policy };
    });
    expect(result.first).toBe('fallback');
    expect(result.decidedIn).toBeLessThan(100 + 150);
    // The missed deadline starts a probe; silence for LIVENESS_TIMEOUT_MS ends the worker.
    expect(result.replacedIn).toBeLessThan(LIVENESS_TIMEOUT_MS + PROBE_AFTER_MS + 2_000);
    expect(result.second).not.toBe('fallback');
    expect((await readGuards(page)).unhandled).toEqual([]);
  });
});
