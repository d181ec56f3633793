/**
 * The worker loads its reporting code by import() after the first decision. Until it arrives the
 * engine decides as always and keeps the reporter's calls waiting; a report that fell due before
 * it loads is still built and sent; an import that fails leaves decisions working, says why in
 * status, and a withdrawal of `metrics` still empties the outbox.
 */
import { describe, expect, it } from 'vitest';
import { composeEngine, REPORTING_FLUSH_WAIT_MS } from '../../../worker/engine.js';
import { REPORTING_RETRY_MS } from '../../../worker/reporting-slot.js';
import { createEngine } from '../../../worker/index.js';
import { createPersonalizer, isInHoldout } from '../../../worker/decide/index.js';
import { createMemoryStore } from '../../../worker/memory-store.js';
import { REPORT_GRACE_MS } from '../../../worker/report/index.js';
import type { AggregatorState } from '../../../worker/report/aggregator.js';
import { createReporting, type ReportingModule } from '../../../worker/reporting.js';
import type { Transport } from '../../../worker/engine-types.js';
import type { CatalogItem, ConsentState, OutboxEntry } from '../../../worker/types.js';
import { manualTime } from '../../support/manual-scheduler.js';

const DAY = 24 * 60 * 60 * 1000;
const DAY1 = Date.UTC(2025, 0, 1, 10);
const ALL_GRANTED: ConsentState = { personalization: 'granted', metrics: 'granted', sensitive: 'denied' };
const CATALOG: CatalogItem[] = ['a', 'b', 'c'].map((id) => ({ id, tags: [`tag-${id}`] }));
const COLLECTOR = 'https://collector.example/v1/metrics';

function recordingTransport(): Transport & { bodies: string[] } {
  const bodies: string[] = [];
  return { bodies, send: async (_url, body) => (bodies.push(body), { status: 200 }) };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('reporting loaded after the first decision', () => {
  it('decides before the code arrives, replays what it missed, and sends a report that fell due before it loaded', async () => {
    const store = createMemoryStore();
    const time = manualTime(DAY1);
    const options = { catalog: CATALOG, clock: time, scheduler: time, consent: ALL_GRANTED, holdoutFraction: 0, openStore: async () => store, collectorUrl: COLLECTOR, report: { placements: ['home'] } };

    // Yesterday's visit, with the reporting code at hand: one decision and a click, stored.
    const yesterdaysPage = time.scope();
    const yesterday = createEngine({ ...options, scheduler: yesterdaysPage, transport: recordingTransport(), seed: 1 });
    await yesterday.ready;
    const shown = yesterday.decide({ placement: 'home', candidates: ['a', 'b'] });
    yesterday.track([{ id: 'e1', type: 'click', itemId: shown.itemId, decisionId: shown.decisionId, ts: time.now() }]);
    await yesterday.flush();
    yesterdaysPage.kill();

    // Today, after yesterday's period and its grace: the code is still on its way.
    time.jump(DAY + REPORT_GRACE_MS);
    const transport = recordingTransport();
    const code = deferred<ReportingModule>();
    const engine = composeEngine({ ...options, transport, seed: 2 }, { createPersonalizer, isInHoldout, reporting: () => code.promise });
    await engine.ready;
    const today = engine.decide({ placement: 'home', candidates: ['a', 'b', 'c'] });
    expect(today.policy).toBe('personalized');
    engine.track([{ id: 'e2', type: 'view', itemId: 'c', ts: time.now() }]);
    await time.advance(0);
    expect(engine.status().reporting).toEqual({ state: 'loading' });
    expect(transport.bodies).toEqual([]);

    code.resolve({ createReporting });
    const delivered = await engine.deliverReports();
    expect(delivered.outcomes.map((o) => o.outcome)).toEqual(['sent']);
    expect(transport.bodies).toHaveLength(1);
    expect(engine.status().reporting).toEqual({ state: 'ready' });

    // Today's decision, made before the code arrived, is in today's tally.
    await engine.flush();
    const tallies = (await engine.exportData()).state.reporter as AggregatorState;
    expect(tallies.periods.map((p) => [p.start, p.decisions])).toEqual([[Date.UTC(2025, 0, 2), 1]]);
  });

  it('leaves the stored tallies alone while the code has not loaded', async () => {
    const store = createMemoryStore();
    const time = manualTime(DAY1);
    const options = { catalog: CATALOG, clock: time, scheduler: time, consent: ALL_GRANTED, holdoutFraction: 0, openStore: async () => store };
    const first = createEngine(options);
    await first.ready;
    first.decide({ placement: 'home', candidates: ['a', 'b'] });
    await first.flush();
    const stored = await store.getState('reporter');
    expect(stored).toBeDefined();

    const engine = composeEngine(options, { createPersonalizer, isInHoldout, reporting: () => new Promise<ReportingModule>(() => undefined) });
    await engine.ready;
    engine.decide({ placement: 'home', candidates: ['a', 'b'] });
    const model = await store.getState('model');
    await time.advance(5_000);
    expect(engine.status().reporting).toEqual({ state: 'loading' });
    // The engine's own state was written meanwhile; the reporter's was not replaced.
    expect(await store.getState('model')).not.toEqual(model);
    expect(await store.getState('reporter')).toEqual(stored);
  });

  it('decides on when the import fails, says why in status, refuses delivery, and still empties the outbox on withdrawal', async () => {
    const store = createMemoryStore();
    const time = manualTime(DAY1);
    const waiting: OutboxEntry = { id: 'r1', createdAt: DAY1, attempts: 0, nextAttemptAt: DAY1, body: '{}' };
    await store.putOutbox([waiting]);
    const offline = () => Promise.reject(new TypeError('Failed to fetch dynamically imported module'));
    const transport = recordingTransport();
    const engine = composeEngine(
      { catalog: CATALOG, clock: time, scheduler: time, consent: ALL_GRANTED, openStore: async () => store, transport, collectorUrl: COLLECTOR },
      { createPersonalizer, isInHoldout, reporting: offline },
    );
    await engine.ready;
    expect(engine.decide({ placement: 'home', candidates: ['a', 'b'] }).itemId).toMatch(/^[ab]$/);
    await time.advance(0);

    const status = engine.status().reporting;
    expect(status.state).toBe('failed');
    expect(status.reason).toMatch(/reporting code could not load \(Failed to fetch dynamically imported module\)/);
    expect(engine.errors().map((e) => e.code)).toContain('network_error');
    await expect(engine.deliverReports()).rejects.toMatchObject({ code: 'network_error' });
    expect(engine.decide({ placement: 'home', candidates: ['b', 'c'] }).itemId).toMatch(/^[bc]$/);

    await engine.setConsent({ ...ALL_GRANTED, metrics: 'denied' });
    expect(await store.getOutbox()).toEqual([]);
    expect(transport.bodies).toEqual([]);
  });

  it('tries a failed import again after REPORTING_RETRY_MS, and replays what happened meanwhile', async () => {
    const store = createMemoryStore();
    const time = manualTime(DAY1);
    let online = false;
    let attempts = 0;
    const source = () => (attempts++, online ? Promise.resolve({ createReporting }) : Promise.reject(new TypeError('Failed to fetch dynamically imported module')));
    const engine = composeEngine(
      { catalog: CATALOG, clock: time, scheduler: time, consent: ALL_GRANTED, holdoutFraction: 0, openStore: async () => store, report: { placements: ['home'] } },
      { createPersonalizer, isInHoldout, reporting: source },
    );
    await engine.ready;
    engine.decide({ placement: 'home', candidates: ['a', 'b'] });
    await time.advance(0);
    expect(engine.status().reporting.state).toBe('failed');
    engine.decide({ placement: 'home', candidates: ['b', 'c'] });
    // Too soon: a flush does not try again.
    await engine.flush();
    expect(attempts).toBe(1);

    online = true;
    await time.advance(REPORTING_RETRY_MS);
    await engine.flush();
    expect(attempts).toBe(2);
    expect(engine.status().reporting).toEqual({ state: 'ready' });
    const tallies = (await engine.exportData()).state.reporter as AggregatorState;
    expect(tallies.periods.map((p) => p.decisions)).toEqual([2]);
  });

  it(`flush() waits at most ${REPORTING_FLUSH_WAIT_MS} ms for an import that hangs, and writes the rest`, async () => {
    const store = createMemoryStore();
    const time = manualTime(DAY1);
    const engine = composeEngine(
      { catalog: CATALOG, clock: time, scheduler: time, consent: ALL_GRANTED, openStore: async () => store },
      { createPersonalizer, isInHoldout, reporting: () => new Promise<ReportingModule>(() => undefined) },
    );
    await engine.ready;
    engine.track([{ id: 'e1', type: 'view', itemId: 'a', ts: time.now() }]);
    engine.decide({ placement: 'home', candidates: ['a', 'b'] });
    let flushed = false;
    const flushing = engine.flush().then(() => (flushed = true));
    await time.advance(REPORTING_FLUSH_WAIT_MS - 1);
    expect(flushed).toBe(false);
    await time.advance(1);
    await flushing;
    expect(await store.countEvents()).toBe(1);
    expect(await store.getDecisions()).toHaveLength(1);
    expect(engine.status().reporting.state).toBe('loading');
  });
});
