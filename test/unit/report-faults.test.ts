/**
 * Issue 8, the network faults of sending home, through the engine (createEngine with its
 * scheduler, clock and transport ports) to the reference collector over real HTTP. The delivery
 * rules alone are in report/delivery.test.ts; here the engine lives through them: offline, 500s,
 * 429 with Retry-After, a request that hangs, a collector that accepts and whose answer is lost,
 * pages that close or crash between building and sending. Each report is counted once at the
 * collector in the end, or dropped by a stated rule, never counted twice.
 */
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDBFactory as FakeIDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCollector, type Collector } from '../../demo/collector/server.js';
import { createEngine } from '../../worker/index.js';
import { decodeReport } from '../../demo/collector/decode.js';
import { createFetchTransport } from '../../worker/fetch-transport.js';
import { MAX_DELIVERY_ATTEMPTS } from '../../worker/report/delivery.js';
import { openIdbStore } from '../../worker/idb-store.js';
import { SEND_TIMEOUT_MS } from '../../worker/report-loop.js';
import { REPORT_GRACE_MS } from '../../worker/report/index.js';
import { createSeededRandom } from '../../worker/seeded-random.js';
import type { Engine, SentReport, Transport } from '../../worker/engine-types.js';
import type { CatalogItem, ConsentState } from '../../worker/types.js';
import { crashablePage, createInFlight, type CrashablePage, type InFlight } from '../support/crashable-page.js';
import { manualTime, type ManualTime } from '../support/manual-scheduler.js';

const DAY = 24 * 60 * 60 * 1000;
const DAY1 = Date.UTC(2025, 0, 1);
const GRANTED: ConsentState = { personalization: 'granted', metrics: 'granted', sensitive: 'denied' };
const CATALOG: CatalogItem[] = ['a', 'b', 'c', 'd'].map((id) => ({ id, title: `Item ${id}`, tags: [`tag-${id}`] }));

export type Fault = 'ok' | 'offline' | 'server_error' | 'rate_limited' | 'hang' | 'lost_response';
/** What a 429 asks for: ten minutes. */
const RETRY_AFTER_S = 600;

interface Call {
  key: string;
  fault: Fault;
  at: number;
}

/**
 * A transport to the real collector that misbehaves on cue. `server_error` and `rate_limited`
 * are answered by the collector itself (its fault hook, before it reads the report); `hang` and
 * `lost_response` deliver the report and then never answer, or lose the answer.
 */
function chaosTransport(device: { time: ManualTime; inFlight: InFlight }, collectorFaults: Array<{ status: number; retryAfterSeconds?: number }>, pick: () => Fault) {
  const { time, inFlight } = device;
  const fetchTransport = createFetchTransport({ now: () => time.now() });
  // The request itself is in flight (the clock waits for its answer); a hang after it is not.
  const real: Transport = { send: (url, body, options) => inFlight.track(fetchTransport.send(url, body, options)) };
  const calls: Call[] = [];
  const transport: Transport = {
    async send(url, body, options) {
      const fault = pick();
      calls.push({ key: options.idempotencyKey, fault, at: time.now() });
      switch (fault) {
        case 'offline':
          throw new TypeError('Failed to fetch');
        case 'server_error':
          collectorFaults.push({ status: 500 });
          return real.send(url, body, options);
        case 'rate_limited':
          collectorFaults.push({ status: 429, retryAfterSeconds: RETRY_AFTER_S });
          return real.send(url, body, options);
        case 'hang':
          await real.send(url, body, options);
          return new Promise<never>(() => undefined);
        case 'lost_response':
          await real.send(url, body, options);
          throw new TypeError('network connection was lost');
        default:
          return real.send(url, body, options);
      }
    },
  };
  return { transport, calls };
}

let dir = '';
let collector: Collector;
const collectorFaults: Array<{ status: number; retryAfterSeconds?: number }> = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'insitu-report-faults-'));
  collectorFaults.length = 0;
  collector = await startCollector({ dataDir: dir, k: 1, faultInjector: () => collectorFaults.shift() });
});
afterEach(async () => {
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Device {
  time: ManualTime;
  /** Every storage call and request of the device's pages: the clock moves only when none is pending. */
  inFlight: InFlight;
  factory: IDBFactory;
  transport: Transport;
  seed: number;
}

/** A device's clock, moved by hand and only while nothing real (storage, HTTP) is pending. */
function deviceTime(start: number): { time: ManualTime; inFlight: InFlight } {
  const inFlight = createInFlight();
  return { time: manualTime(start, { settle: inFlight.idle }), inFlight };
}

/** One page's engine on the device's profile; its timers, storage and network die with it (page.crash()). */
function session(device: Device): { engine: Engine; page: CrashablePage } {
  const page = crashablePage(device.time, device.inFlight);
  const engine = createEngine({
    catalog: CATALOG,
    consent: GRANTED,
    clock: device.time,
    scheduler: page.scheduler,
    seed: device.seed,
    reportRandom: createSeededRandom(device.seed * 7919 + device.time.now()),
    transport: page.transport(device.transport),
    collectorUrl: `${collector.url}/v1/metrics`,
    openStore: () => page.openStore(() => openIdbStore({ factory: device.factory })),
    // ε 0.5 a report: three weeks of daily reports fit in the 30-day budget of 10.
    report: { placements: ['home'], epsilon: 0.5 },
  });
  return { engine, page };
}

/** A day's activity on placement `home`: decisions and clicks on what was shown. */
function activity(engine: Engine, time: ManualTime, decisions = 4): void {
  for (let i = 0; i < decisions; i++) {
    const decision = engine.decide({ placement: 'home', candidates: CATALOG.map((item) => item.id) });
    if (i % 2 === 0) engine.track([{ id: `click-${time.now()}-${i}`, type: 'click', itemId: decision.itemId, decisionId: decision.decisionId, ts: time.now() }]);
    time.jump(60_000);
  }
}

/** deliverReports(), moving the clock on while it waits (a hung request ends at its deadline). */
async function deliver(engine: Engine, time: ManualTime): Promise<void> {
  let settled = false;
  const done = engine.deliverReports().finally(() => (settled = true));
  // Up to twice the send timeout: a send that hangs ends SEND_TIMEOUT_MS after it started, and it
  // starts after the round's storage writes (the clock waits for those: see deviceTime).
  for (let waited = 0; !settled && waited <= 2 * SEND_TIMEOUT_MS; waited += 1_000) await time.advance(1_000);
  await done;
}

/** Build and deliver, then again whenever the outbox has something due, until it is empty (or `rounds` run out). */
async function deliverUntilEmpty(engine: Engine, time: ManualTime, rounds = 20): Promise<void> {
  await deliver(engine, time);
  for (let round = 0; round < rounds; round++) {
    const { outbox } = await engine.exportData();
    if (outbox.length === 0) return;
    const due = Math.min(...outbox.map((entry) => entry.nextAttemptAt));
    if (due > time.now()) time.jump(due - time.now());
    await deliver(engine, time);
  }
}

function acceptedAtCollector(): string[] {
  return collector.requests().requests.filter((r) => r.outcome === 'accepted').map((r) => r.idempotencyKey ?? '');
}

/** The period of each report the collector accepted (-1 for one that does not decode). */
function acceptedPeriods(): number[] {
  return collector
    .requests()
    .requests.filter((r) => r.outcome === 'accepted')
    .map((r) => {
      const decoded = decodeReport(JSON.parse(r.body));
      return decoded.ok ? decoded.report.periodStart : -1;
    });
}

describe('one report through every network fault', () => {
  it('offline, 500, 429 + Retry-After, a hung request, a lost answer: sent with one id, counted once', async () => {
    const clock = deviceTime(DAY1 + 10 * 60 * 60 * 1000);
    const { time } = clock;
    const script: Fault[] = ['offline', 'server_error', 'rate_limited', 'hang', 'lost_response', 'ok'];
    const { transport, calls } = chaosTransport(clock, collectorFaults, () => script.shift() ?? 'ok');
    const { engine } = session({ ...clock, factory: new FakeIDBFactory(), transport, seed: 1 });
    await engine.ready;
    activity(engine, time);
    time.jump(DAY1 + DAY + REPORT_GRACE_MS + 1 - time.now());
    await deliverUntilEmpty(engine, time);

    expect(calls.map((c) => c.fault)).toEqual(['offline', 'server_error', 'rate_limited', 'hang', 'lost_response', 'ok']);
    expect(new Set(calls.map((c) => c.key)).size).toBe(1);
    // The retry after the 429 waited at least as long as the collector asked.
    expect(calls[3]!.at - calls[2]!.at).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000);
    expect(collector.totals().reports).toBe(1);
    const posts = collector.requests().requests.filter((r) => r.method === 'POST').map((r) => r.outcome);
    expect(posts).toEqual(['fault injected', 'fault injected', 'accepted', 'duplicate: already counted', 'duplicate: already counted']);
    const exported = await engine.exportData();
    expect(exported.outbox).toEqual([]);
    expect(exported.sent.map((s: SentReport) => s.status)).toEqual([0, 500, 429, 0, 0, 200]);
    await engine.close();
  });

  it('a hung request does not stop reporting: later reports still go, and the engine closes', async () => {
    const clock = deviceTime(DAY1 + 10 * 60 * 60 * 1000);
    const { time } = clock;
    const script: Fault[] = ['hang'];
    const { transport } = chaosTransport(clock, collectorFaults, () => script.shift() ?? 'ok');
    const { engine } = session({ ...clock, factory: new FakeIDBFactory(), transport, seed: 2 });
    await engine.ready;
    activity(engine, time);
    time.jump(DAY1 + DAY + REPORT_GRACE_MS + 1 - time.now());
    await deliver(engine, time);
    activity(engine, time);
    time.jump(DAY1 + 2 * DAY + REPORT_GRACE_MS + 1 - time.now());
    await deliverUntilEmpty(engine, time);
    expect(collector.totals().reports).toBe(2);
    await engine.close();
  });
});

describe('reports across page loads', () => {
  it('activity in a page that closed before its period ended is reported by a later page', async () => {
    const clock = deviceTime(DAY1 + 10 * 60 * 60 * 1000);
    const { time } = clock;
    const device: Device = { ...clock, factory: new FakeIDBFactory(), transport: chaosTransport(clock, collectorFaults, () => 'ok').transport, seed: 3 };
    const first = session(device);
    await first.engine.ready;
    activity(first.engine, time);
    await first.engine.close();

    time.jump(DAY1 + DAY + REPORT_GRACE_MS + 1 - time.now());
    const second = session(device);
    await second.engine.ready;
    await deliverUntilEmpty(second.engine, time);
    expect(collector.totals().reports).toBe(1);
    await second.engine.close();
  });

  it('a page that crashes right after building a report never leads to a second report for that period', async () => {
    const clock = deviceTime(DAY1 + 10 * 60 * 60 * 1000);
    const { time } = clock;
    const script: Fault[] = ['offline'];
    const device: Device = { ...clock, factory: new FakeIDBFactory(), transport: chaosTransport(clock, collectorFaults, () => script.shift() ?? 'ok').transport, seed: 4 };
    const first = session(device);
    await first.engine.ready;
    activity(first.engine, time);
    await first.engine.flush();
    time.jump(DAY1 + DAY + REPORT_GRACE_MS + 1 - time.now());
    // Built, stored, sent and failed (offline); then the page dies before any deferred write runs.
    await first.engine.deliverReports();
    await first.page.crash();

    const second = session(device);
    await second.engine.ready;
    await deliverUntilEmpty(second.engine, time);
    // The period's state was stored before its report entered the outbox, so the next page sends
    // the stored report and builds none of its own.
    const keys = (await second.engine.exportData()).sent.map((s: SentReport) => s.idempotencyKey);
    expect(new Set(keys).size).toBe(1);
    expect(collector.totals().reports).toBe(1);
    expect(acceptedAtCollector()).toEqual([keys[0]]);
    await second.engine.close();
  });
});

describe('two tabs', () => {
  it('two tabs open when a period ends build its report once: one report reaches the collector, one spend in the ledger', async () => {
    const clock = deviceTime(DAY1 + 10 * 60 * 60 * 1000);
    const { time } = clock;
    const device: Device = { ...clock, factory: new FakeIDBFactory(), transport: chaosTransport(clock, collectorFaults, () => 'ok').transport, seed: 6 };
    // Each tab has its own worker: its own copy of the tallies and the ledger, over one database.
    const first = session(device);
    await first.engine.ready;
    // Its own random source too (a seed shared with the first tab would draw the same report id).
    const second = session({ ...device, seed: 7 });
    await second.engine.ready;
    activity(first.engine, time);
    activity(second.engine, time);
    await first.engine.flush();
    await second.engine.flush();

    time.jump(DAY1 + DAY + REPORT_GRACE_MS + 1 - time.now());
    await deliverUntilEmpty(first.engine, time);
    // The second tab still holds yesterday as pending, and writes what it holds before its own round.
    await second.engine.flush();
    await deliverUntilEmpty(second.engine, time);
    // A page loaded later reads whatever the two tabs left behind.
    const third = session(device);
    await third.engine.ready;
    await deliverUntilEmpty(third.engine, time);

    expect(acceptedPeriods()).toEqual([DAY1]);
    const ledger = (await third.engine.exportData()).state.ledger as { entries: Array<{ periodStart: number }> };
    expect(ledger.entries.map((e) => e.periodStart)).toEqual([DAY1]);
    await Promise.all([first.engine.close(), second.engine.close(), third.engine.close()]);
  });
});

describe('weeks of faults', () => {
  /** Seeded, so a failure replays exactly; each send draws its fault. */
  const CHAOS_DAYS = 14;
  const FAULT_MIX: Array<[Fault, number]> = [['ok', 0.4], ['offline', 0.15], ['server_error', 0.1], ['rate_limited', 0.1], ['lost_response', 0.15], ['hang', 0.1]];

  it(`${CHAOS_DAYS} days of page loads, crashes and a faulty network: every report counted once or dropped by a stated rule`, { timeout: 60_000 }, async () => {
    const clock = deviceTime(DAY1 + 9 * 60 * 60 * 1000);
    const { time } = clock;
    const dice = createSeededRandom(2025);
    const pick = (): Fault => {
      let roll = dice.next();
      for (const [fault, p] of FAULT_MIX) if ((roll -= p) < 0) return fault;
      return 'ok';
    };
    const chaos = chaosTransport(clock, collectorFaults, pick);
    const device: Device = { ...clock, factory: new FakeIDBFactory(), transport: chaos.transport, seed: 5 };
    let crashes = 0;
    for (let day = 0; day < CHAOS_DAYS; day++) {
      // Two page loads a day; each ends cleanly or, one time in four, dies without a goodbye.
      for (const hour of [9, 20]) {
        time.jump(Math.max(0, DAY1 + day * DAY + hour * 60 * 60 * 1000 - time.now()));
        const { engine, page } = session(device);
        await engine.ready;
        activity(engine, time, 3);
        await deliver(engine, time);
        if (dice.next() < 0.25) {
          crashes++;
          await page.crash();
        } else {
          await engine.close();
        }
      }
    }
    // Then the network heals and one last page stays until its outbox is empty.
    const last = session({ ...device, transport: chaosTransport(clock, collectorFaults, () => 'ok').transport });
    await last.engine.ready;
    time.jump(DAY * 2);
    await deliverUntilEmpty(last.engine, time, 40);
    expect((await last.engine.exportData()).outbox).toEqual([]);

    const sentKeys = new Set(chaos.calls.map((c) => c.key));
    const attemptsByKey = new Map<string, number>();
    for (const call of chaos.calls) attemptsByKey.set(call.key, (attemptsByKey.get(call.key) ?? 0) + 1);
    const accepted = acceptedAtCollector();
    const droppedByRule = [...sentKeys].filter((key) => !accepted.includes(key));
    // Dropped only after MAX_DELIVERY_ATTEMPTS failed sends (no 4xx, no expiry in this mix).
    for (const key of droppedByRule) expect(attemptsByKey.get(key)).toBeGreaterThanOrEqual(MAX_DELIVERY_ATTEMPTS);
    expect(new Set(accepted).size).toBe(accepted.length);
    expect(collector.totals().reports).toBe(accepted.length);
    // At most one report per period ever reached the collector, whatever crashed when.
    const periods = acceptedPeriods();
    expect(new Set(periods).size).toBe(periods.length);
    expect(periods).not.toContain(-1);
    // Most days got through: the faults delay reports, they do not erase them.
    expect(accepted.length).toBeGreaterThanOrEqual(CHAOS_DAYS - 3);
    expect(crashes).toBeGreaterThan(0);
    reportChaos({ days: CHAOS_DAYS, sends: chaos.calls.length, faults: chaos.calls.filter((c) => c.fault !== 'ok').length, crashes, accepted: accepted.length, dropped: droppedByRule.length });
    await last.engine.close();
  });
});

/** The figures for the closing note (vitest prints them with the test output). */
function reportChaos(figures: Record<string, number>): void {
  console.info(`report chaos: ${JSON.stringify(figures)}`);
}
