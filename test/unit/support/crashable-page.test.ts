/**
 * The crash a test page simulates (test/support/crashable-page.ts) must be one a browser page can
 * have: after it, the page writes nothing and sends nothing, and what it had handed to storage has
 * settled before the next page opens the database. Killing only a page's timers let a write in
 * flight store an older reporter state after the next page had built that period's report, and
 * the page after that built it again (the 'weeks of faults' flake in report-faults.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../worker/index.js';
import type { Transport } from '../../../worker/engine-types.js';
import { crashablePage, createInFlight } from '../../support/crashable-page.js';
import { manualTime, settle } from '../../support/manual-scheduler.js';

/** Whether `promise` has settled after real timers of the moment ran. */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await settle(20);
  return settled;
}

describe('a crashable page', () => {
  it('a write in flight settles before crash() resolves; after it, no call reaches the store', async () => {
    const inFlight = createInFlight();
    const time = manualTime(0, { settle: inFlight.idle });
    const page = crashablePage(time, inFlight);
    const memory = createMemoryStore();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const store = await page.openStore(async () => ({
      ...memory,
      status: memory.status,
      putState: async (key, value) => {
        await held;
        await memory.putState(key, value);
      },
    }));

    const write = store.putState('reporter', { closedThrough: 1 });
    const crashed = page.crash();
    expect(await settledSoon(crashed)).toBe(false);
    release();
    await crashed;
    await write;
    expect(await memory.getState('reporter')).toEqual({ closedThrough: 1 });

    const late = store.putState('reporter', { closedThrough: 0 });
    expect(await settledSoon(late)).toBe(false);
    expect(await memory.getState('reporter')).toEqual({ closedThrough: 1 });
  });

  it('its timers die and it sends nothing more', async () => {
    const inFlight = createInFlight();
    const time = manualTime(0, { settle: inFlight.idle });
    const page = crashablePage(time, inFlight);
    const urls: string[] = [];
    const transport = page.transport({ send: async (url) => (urls.push(url), { status: 200 }) } satisfies Transport);
    let ran = 0;
    page.scheduler.defer(() => ran++, 1_000);
    await transport.send('before', '{}', { keepalive: true, idempotencyKey: 'k' });
    await page.crash();
    page.scheduler.defer(() => ran++, 0);
    const late = transport.send('after', '{}', { keepalive: true, idempotencyKey: 'k' });
    await time.advance(5_000);
    expect(ran).toBe(0);
    expect(urls).toEqual(['before']);
    expect(await settledSoon(late)).toBe(false);
  });

  it('the clock waits for work in flight, so what that work schedules runs in the same advance however slow the machine', async () => {
    const inFlight = createInFlight();
    const time = manualTime(0, { settle: inFlight.idle });
    const ranAt: number[] = [];
    time.defer(() => {
      // Real work slower than the clock's own pause (a loaded machine), then a follow-up 500 ms later.
      void inFlight.track(settle(30)).then(() => time.defer(() => ranAt.push(time.now()), 500));
    }, 100);
    await time.advance(1_000);
    expect(ranAt).toEqual([600]);
  });
});
