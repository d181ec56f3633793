/**
 * Issue 4 in real Chromium: what leaves the page. The collector stand-in records every request;
 * nothing is sent while `metrics` is pending, denied or overridden by GPC; after a grant only
 * aggregate report bodies arrive; a withdrawal before the send means nothing arrives; a failed
 * send is retried with the same report id and the reference collector counts it once.
 *
 * Report periods close on the device clock. Playwright's clock controls the page's clock but not a
 * worker's, so these pages run the engine inline (Worker removed before load): the same engine
 * code, the same fetch transport, the real network stack.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { decodeReport, startCollector, type Collector } from '../../demo/collector/index.js';
import { useChromium } from './support/chromium-session.js';
import type { RecordedRequest } from './support/server.js';

const { server, browser, open } = useChromium({ fresh: 'browser' });
const START = new Date('2026-11-02T09:10:00Z');
const HOUR = 3_600_000;

beforeEach(() => {
  server.requests.length = 0;
  server.routes.set('/v1/metrics', () => ({ status: 202, body: '{}' }));
});
afterEach(() => {
  server.routes.clear();
});

type WindowWithInsitu = Window & { insitu: import('../../src/types.js').InsituClient; insituLoaded: Promise<boolean> };

async function openInline(query: string, options: { gpc?: boolean } = {}): Promise<Page> {
  const page = await browser.context.newPage();
  await page.addInitScript((gpc) => {
    Object.defineProperty(window, 'Worker', { value: undefined, configurable: true });
    if (gpc) Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
  }, options.gpc ?? false);
  await page.clock.install({ time: START });
  await open(`/pages/app.html?collector=/v1/metrics&personalization=granted&${query}`, page);
  await page.evaluate(() => (window as unknown as WindowWithInsitu).insituLoaded);
  return page;
}

/** Decisions shown and clicked in the current hour, then the clock moved past the period's end. */
async function useAndCloseThePeriod(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const { insitu } = window as unknown as WindowWithInsitu;
    for (let i = 0; i < 3; i++) {
      const decision = await insitu.decide('hero', { candidates: ['dune', 'emma', 'hobbit'], timeoutMs: 5_000 });
      insitu.track('impression', { itemId: decision.itemId, placement: 'hero', decisionId: decision.decisionId });
      insitu.track('click', { itemId: decision.itemId, placement: 'hero', decisionId: decision.decisionId });
    }
    await insitu.flush();
  });
  await page.clock.fastForward(2 * HOUR);
}

function deliver(page: Page) {
  return page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.deliverReports());
}

const reportRequests = (): RecordedRequest[] => server.requests.filter((r) => r.url === '/v1/metrics');
const otherRequests = (): string[] =>
  server.requests.filter((r) => !r.url.startsWith('/dist/') && !r.url.startsWith('/pages/') && r.url !== '/favicon.ico' && r.url !== '/v1/metrics').map((r) => r.url);

describe('sent home, in Chromium', () => {
  it('sends nothing while metrics is pending, denied, or denied by GPC', async () => {
    for (const [query, gpc] of [
      ['metrics=pending', false],
      ['metrics=denied', false],
      ['metrics=granted', true],
    ] as const) {
      const page = await openInline(query, { gpc });
      await useAndCloseThePeriod(page);
      const result = await deliver(page);
      expect(result.outcomes).toEqual([]);
      const status = await page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.status);
      if (gpc) expect(status.globalPrivacyControl).toBe('respected');
      await page.close();
    }
    expect(reportRequests()).toEqual([]);
    expect(otherRequests()).toEqual([]);
  });

  it('after a grant sends only aggregate reports, which the collector accepts, carrying no identifiers or raw events', async () => {
    const page = await openInline('metrics=granted');
    await useAndCloseThePeriod(page);
    await deliver(page);
    const sent = reportRequests();
    expect(sent.length).toBeGreaterThanOrEqual(1);
    for (const request of sent) {
      expect(request.method).toBe('POST');
      const decoded = decodeReport(JSON.parse(request.body));
      expect(decoded.ok).toBe(true);
      // No event ids, item ids in clear, page paths or the device's ids travel in a report.
      const exported = await page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.exportData());
      for (const event of exported.events) expect(request.body).not.toContain(event.id);
      for (const decision of exported.decisions) expect(request.body).not.toContain(decision.decisionId);
      expect(request.body).not.toContain('/pages/app.html');
    }
    const audit = await page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.exportData());
    expect(audit.sent.map((s) => s.body)).toEqual(sent.map((r) => r.body));
    expect(otherRequests()).toEqual([]);
  });

  it('a withdrawal while a report waits in the outbox means it never arrives', async () => {
    // The collector fails the first attempt, so the built report waits in the outbox for its retry.
    server.routes.set('/v1/metrics', () => ({ status: 503, body: '' }));
    const page = await openInline('metrics=granted');
    await useAndCloseThePeriod(page);
    await deliver(page);
    const attempted = reportRequests().length;
    expect(attempted).toBe(1);
    server.routes.set('/v1/metrics', () => ({ status: 202, body: '{}' }));
    await page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.consent.set({ metrics: 'denied' }));
    await page.clock.fastForward(2 * HOUR);
    const result = await deliver(page);
    expect(result.outcomes).toEqual([]);
    expect(reportRequests()).toHaveLength(attempted);
    const exported = await page.evaluate(() => (window as unknown as WindowWithInsitu).insitu.exportData());
    expect(exported.outbox).toEqual([]);
  });

  it('a failed send is retried with the same report id, and the collector counts it once', async () => {
    let calls = 0;
    server.routes.set('/v1/metrics', () => (++calls === 1 ? { status: 503, body: '' } : { status: 202, body: '{}' }));
    const page = await openInline('metrics=granted');
    await useAndCloseThePeriod(page);
    await deliver(page);
    expect(reportRequests()).toHaveLength(1);
    await page.clock.fastForward(HOUR); // past every retry back-off
    await deliver(page);
    const sent = reportRequests();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.body).toBe(sent[0]!.body);

    // Both bodies reach the reference collector: it de-duplicates by report id.
    const collector: Collector = await startCollector({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'insitu-collector-')) });
    try {
      const statuses: number[] = [];
      for (const request of sent) {
        const response = await fetch(`${collector.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.body });
        statuses.push(response.status);
      }
      expect(statuses[0]).toBeLessThan(300);
      expect(collector.totals().reports).toBe(1);
    } finally {
      await collector.close();
    }
  });
});
