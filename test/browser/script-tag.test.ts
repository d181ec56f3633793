/**
 * Issue 6 in real Chromium: the script tag. The stub keeps calls made before the SDK loads and the
 * runtime replays them in order; slots wait at most until their deadline and are never left
 * hidden; it all works under a strict CSP with Trusted Types; the published SRI hash is the file's.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useChromium } from './support/chromium-session.js';
import { STRICT_CSP } from './support/server.js';

const DIST = resolve(import.meta.dirname, '../../dist');
const { server, browser, open } = useChromium({ fresh: 'browser' });
beforeEach(() => {
  server.requests.length = 0;
});
afterEach(() => {
  server.headers.clear();
  server.routes.clear();
});

type StubWindow = Window & {
  insitu: { client?: import('../../src/types.js').InsituClient; exportData(): Promise<import('../../worker/engine-types.js').EngineExport> };
  earlyDecision: Promise<import('../../worker/types.js').Decision>;
  violations: string[];
};

function sentHome(): string[] {
  return server.requests.filter((r) => !r.url.startsWith('/dist/') && !r.url.startsWith('/pages/') && r.url !== '/favicon.ico').map((r) => r.url);
}

describe('script tag', () => {
  it('replays calls queued before load, in order, under a strict CSP with Trusted Types', async () => {
    server.headers.set('/pages/script-tag.html', { 'content-security-policy': `${STRICT_CSP}; require-trusted-types-for 'script'; trusted-types insitu` });
    const page = await open(`/pages/script-tag.html`);
    const decision = await page.evaluate(() => (window as unknown as StubWindow).earlyDecision);
    expect(['dune', 'emma', 'hobbit']).toContain(decision.itemId);
    const exported = await page.evaluate(async () => {
      const { insitu } = window as unknown as StubWindow;
      await insitu.client!.flush();
      return insitu.exportData();
    });
    expect(exported.consent.personalization).toBe('granted');
    expect(exported.events.map((e) => [e.type, e.itemId])).toEqual([
      ['view', 'dune'],
      ['click', 'emma'],
    ]);
    const state = await page.evaluate(() => ({
      violations: (window as unknown as StubWindow).violations,
      worker: (window as unknown as StubWindow).insitu.client!.status.worker,
      heroReady: document.getElementById('hero')!.hasAttribute('data-insitu-ready'),
      visible: [...document.querySelectorAll<HTMLElement>('#hero [data-insitu-item]')].filter((el) => !el.hidden).map((el) => el.dataset.insituItem),
    }));
    expect(state.violations).toEqual([]);
    expect(state.worker).toBe('running');
    expect(state.heroReady).toBe(true);
    expect(state.visible).toHaveLength(1);
    expect(sentHome()).toEqual([]);
  });

  it('never leaves a slot hidden: with the runtime unreachable the fallback shows at the deadline', async () => {
    server.routes.set('/dist/insitu-runtime.js', () => ({ status: 404 }));
    const page = await browser.context.newPage();
    const started = Date.now();
    await page.goto(`${server.origin}/pages/script-tag.html`);
    await page.waitForFunction(() => document.getElementById('hero')!.hasAttribute('data-insitu-ready'), undefined, { timeout: 5_000 });
    const revealedAfter = Date.now() - started;
    const hero = await page.evaluate(() => {
      const slot = document.getElementById('hero')!;
      return {
        visibility: getComputedStyle(slot).visibility,
        shown: [...slot.querySelectorAll<HTMLElement>('[data-insitu-item]')].filter((el) => !el.hidden).map((el) => el.dataset.insituItem),
      };
    });
    expect(hero).toEqual({ visibility: 'visible', shown: ['dune'] });
    // The deadline is 100 ms from the stub; page load and the browser's own start add the rest.
    expect(revealedAfter).toBeLessThan(3_000);
  });

  it('publishes an SRI hash that matches the loader, and integrity= loads it', async () => {
    const sri = JSON.parse(readFileSync(resolve(DIST, 'insitu.sri.json'), 'utf8')) as Record<string, string>;
    const expected = `sha384-${createHash('sha384').update(readFileSync(resolve(DIST, 'insitu.js'))).digest('base64')}`;
    expect(sri['insitu.js']).toBe(expected);
    const versioned = Object.keys(sri).find((name) => /^insitu\.\d+\.\d+\.\d+\.js$/.test(name));
    expect(versioned).toBeDefined();
    expect(readFileSync(resolve(DIST, versioned!))).toEqual(readFileSync(resolve(DIST, 'insitu.js')));

    const page = await open(`/pages/app.html?autocapture=0`);
    const loaded = await page.evaluate(
      (integrity) =>
        new Promise<boolean>((done) => {
          const script = document.createElement('script');
          script.src = '/dist/insitu.js';
          script.integrity = integrity;
          script.crossOrigin = 'anonymous';
          script.onload = () => done(true);
          script.onerror = () => done(false);
          document.head.append(script);
        }),
      expected,
    );
    expect(loaded).toBe(true);
  });
});
