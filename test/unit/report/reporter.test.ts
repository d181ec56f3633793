import { describe, expect, it } from 'vitest';
import { InsituError } from '../../../worker/errors.js';
import { createReporter, indexCatalog, REPORT_GRACE_MS, reportableItems, type ReporterConfig } from '../../../worker/report/index.js';
import { decodeReport } from '../../../demo/collector/decode.js';
import { createSeededRandom } from '../../../worker/report/seeded-random.js';
import type { PeriodTally } from '../../../worker/report/aggregator.js';
import { DAY, decision, event, GRANTED, manualClock, METRICS_DENIED, METRICS_PENDING, T0 } from './helpers.js';

function setup(config: ReporterConfig = {}) {
  const clock = manualClock();
  const reporter = createReporter({
    random: createSeededRandom(42),
    clock,
    config: { placements: ['home', 'side'], catalog: [{ id: 'a' }, { id: 'b' }, { id: 'c', sensitive: 'health' }], ...config },
  });
  const tally = (): PeriodTally => {
    const state = reporter.exportState();
    return state.periods[0]!;
  };
  return { clock, reporter, tally };
}

const afterPeriod = Date.UTC(2025, 0, 2) + REPORT_GRACE_MS;

describe('aggregation per placement and arm', () => {
  it('counts decisions shown, clicks, conversions and rewards in the decision cell', () => {
    const { reporter, tally } = setup();
    const d1 = decision({ placement: 'home', policy: 'personalized', itemId: 'a' });
    const d2 = decision({ placement: 'home', policy: 'fallback', itemId: 'b' });
    reporter.observeDecision(d1);
    reporter.observeDecision(d2);
    reporter.observeDecision(d1); // the same decision twice is one impression
    reporter.observeEvent(event({ type: 'click', decisionId: d1.decisionId, itemId: 'a' }));
    reporter.observeEvent(event({ type: 'click', decisionId: d1.decisionId, itemId: 'a' })); // one click per decision
    reporter.observeEvent(event({ type: 'convert', decisionId: d1.decisionId, itemId: 'a', value: 3 }));
    reporter.observeReward(d1.decisionId, 7); // clipped to 1
    reporter.observeReward(d1.decisionId, 1); // rewarded once
    const period = tally();
    expect(period.decisions).toBe(2);
    expect(period.cells).toEqual([
      { placement: 'home', arm: 'personalized', impressions: 1, clicks: 1, conversions: 1, reward: 1 },
      { placement: 'home', arm: 'fallback', impressions: 1, clicks: 0, conversions: 0, reward: 0 },
    ]);
    expect(period.engagement).toEqual([{ placement: 'home', state: 'converted' }]);
  });

  it('takes back a withdrawn decision (it answered after the page had shown its fallback)', () => {
    const { reporter, tally } = setup();
    const late = decision({ placement: 'home', policy: 'personalized', itemId: 'a' });
    const shown = decision({ placement: 'home', policy: 'fallback', itemId: 'b' });
    reporter.observeDecision(late);
    reporter.observeDecision(shown);
    reporter.forgetDecision(late.decisionId);
    reporter.forgetDecision('never-made');
    reporter.observeEvent(event({ type: 'click', placement: 'home', itemId: 'a' })); // nothing left to attribute it to
    expect(tally().decisions).toBe(1);
    expect(tally().cells).toEqual([
      { placement: 'home', arm: 'personalized', impressions: 0, clicks: 0, conversions: 0, reward: 0 },
      { placement: 'home', arm: 'fallback', impressions: 1, clicks: 0, conversions: 0, reward: 0 },
    ]);
  });

  it('attributes a click without a decision id to the latest decision showing that item there', () => {
    const { reporter, tally } = setup();
    reporter.observeDecision(decision({ placement: 'side', policy: 'holdout', itemId: 'b' }));
    reporter.observeEvent(event({ type: 'click', placement: 'side', itemId: 'b' }));
    expect(tally().cells[0]).toMatchObject({ placement: 'side', arm: 'holdout', clicks: 1 });
    expect(tally().holdoutSeen).toBe(true);
  });

  it('keeps undeclared placements out of the cells (they still count as health decisions)', () => {
    const { reporter, tally } = setup();
    reporter.observeDecision(decision({ placement: 'secret-page' }));
    expect(tally().cells).toEqual([]);
    expect(tally().engagement).toEqual([]);
    expect(tally().decisions).toBe(1);
  });

  it('tracks engaged items in order, distinct, and ignores impressions', () => {
    const { reporter, tally } = setup();
    for (const [type, itemId] of [['view', 'a'], ['impression', 'z'], ['click', 'b'], ['view', 'a']] as const) {
      reporter.observeEvent(event({ type, itemId }));
    }
    expect(tally().items).toEqual(['b', 'a']);
  });

  it('drops observations for periods already closed', () => {
    const { reporter, clock } = setup();
    reporter.observeDecision(decision());
    clock.set(afterPeriod);
    expect(reporter.buildDueReports(afterPeriod, GRANTED)).toHaveLength(1);
    reporter.observeDecision(decision({ ts: T0 }));
    expect(reporter.exportState().periods).toEqual([]);
  });

  it('health: deadline fallbacks and storage mode land in the current period', () => {
    const { reporter, tally } = setup();
    reporter.observeHealth({ deadlineFallbacks: 2, storageMode: 'kv' });
    reporter.observeHealth({ deadlineFallbacks: Number.NaN, storageMode: 'bogus' as never });
    expect(tally()).toMatchObject({ deadlineFallbacks: 2, storageMode: 'kv' });
  });
});

describe('building reports', () => {
  it('waits for the period to end plus the grace, then builds one valid report and spends ε once', () => {
    const { reporter } = setup();
    reporter.observeDecision(decision());
    expect(reporter.buildDueReports(afterPeriod - 1, GRANTED)).toEqual([]);
    const entries = reporter.buildDueReports(afterPeriod, GRANTED);
    expect(entries).toHaveLength(1);
    const entry = entries[0]!;
    expect(entry).toMatchObject({ attempts: 0, createdAt: afterPeriod, nextAttemptAt: afterPeriod });
    const decoded = decodeReport(entry.body);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) {
      expect(decoded.report.reportId).toBe(entry.id);
      expect(decoded.report.periodStart).toBe(Date.UTC(2025, 0, 1));
      expect(decoded.report.periodEnd).toBe(Date.UTC(2025, 0, 2));
    }
    expect(reporter.buildDueReports(afterPeriod + DAY, GRANTED)).toEqual([]);
    expect(reporter.status(afterPeriod).ledger.spent).toBe(1);
  });

  it('builds nothing without metrics granted, and says why', () => {
    for (const consent of [METRICS_PENDING, METRICS_DENIED]) {
      const { reporter } = setup();
      reporter.observeDecision(decision());
      expect(reporter.buildDueReports(afterPeriod, consent)).toEqual([]);
      const status = reporter.status(afterPeriod);
      expect(status.ledger.spent).toBe(0);
      expect(status.ledger.lastRefusal?.reason).toBe(consent.metrics === 'denied' ? 'consent_denied' : 'consent_pending');
    }
  });

  it('a metrics denial discards what was not yet reported', () => {
    const { reporter } = setup();
    reporter.observeDecision(decision());
    reporter.setConsent(METRICS_DENIED);
    expect(reporter.exportState().periods).toEqual([]);
    expect(reporter.buildDueReports(afterPeriod, GRANTED)).toEqual([]);
  });

  it('does not report an empty period', () => {
    const { reporter } = setup();
    reporter.observeEvent(event({ type: 'scroll' }));
    expect(reporter.buildDueReports(afterPeriod, GRANTED)).toEqual([]);
    expect(reporter.status(afterPeriod).ledger.spent).toBe(0);
  });

  it('refuses past the budget: nothing is built, and the reason is visible', () => {
    const { reporter, clock } = setup({ budgetEpsilon: 3, epsilon: 1 });
    const built: number[] = [];
    for (let day = 0; day < 5; day++) {
      clock.set(T0 + day * DAY);
      reporter.observeDecision(decision({ ts: T0 + day * DAY }));
      built.push(reporter.buildDueReports(T0 + (day + 1) * DAY, GRANTED).length);
    }
    expect(built).toEqual([1, 1, 1, 0, 0]);
    const status = reporter.status(T0 + 5 * DAY);
    expect(status.ledger).toMatchObject({ spent: 3, remaining: 0, exhausted: true });
    expect(status.ledger.lastRefusal).toMatchObject({ reason: 'budget_exhausted', epsilon: 1, remaining: 0 });
  });

  it('reports only catalog items, and sensitive ones only with the sensitive purpose', () => {
    const catalog = indexCatalog([{ id: 'a' }, { id: 'b' }, { id: 'c', sensitive: 'health' }]);
    const seen = ['a', 'not-in-catalog', 'c', 'b'];
    expect(reportableItems(seen, catalog, GRANTED)).toEqual(['a', 'b']);
    expect(reportableItems(seen, catalog, { ...GRANTED, sensitive: 'granted' })).toEqual(['a', 'c', 'b']);
  });

  it('without a catalog, a report carries no item parts', () => {
    const { reporter } = setup({ catalog: [] });
    reporter.observeEvent(event({ type: 'view', itemId: 'a' }));
    const decoded = decodeReport(reporter.buildDueReports(afterPeriod, GRANTED)[0]!.body);
    expect(decoded.ok && decoded.report.items === undefined && decoded.report.split.items === 0).toBe(true);
  });
});

describe('state', () => {
  it('round-trips through JSON and rejects tampered state, leaving a clean start', () => {
    const { reporter } = setup();
    reporter.observeDecision(decision({ placement: 'home' }));
    reporter.observeEvent(event({ type: 'view', itemId: '__proto__' }));
    const saved = JSON.parse(JSON.stringify(reporter.exportState()));
    const { reporter: restored } = setup();
    restored.importState(saved);
    expect(restored.exportState()).toEqual(reporter.exportState());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const tampered = { ...saved, periods: [{ ...saved.periods[0], decisions: -1 }] };
    expect(() => restored.importState(tampered)).toThrow(InsituError);
    expect(restored.exportState().periods).toEqual([]);
    expect(() => restored.importState(JSON.parse('{"__proto__":{"polluted":1}}'))).toThrow(InsituError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('ledger state survives a restart, so a restart cannot reset the budget', () => {
    const { reporter } = setup({ budgetEpsilon: 1 });
    reporter.observeDecision(decision());
    expect(reporter.buildDueReports(afterPeriod, GRANTED)).toHaveLength(1);
    const { reporter: next, clock } = setup({ budgetEpsilon: 1 });
    next.importLedger(JSON.parse(JSON.stringify(reporter.exportLedger())));
    clock.set(T0 + DAY);
    next.observeDecision(decision({ ts: T0 + DAY }));
    expect(next.buildDueReports(afterPeriod + DAY, GRANTED)).toEqual([]);
    expect(next.status(afterPeriod + DAY).ledger.lastRefusal?.reason).toBe('budget_exhausted');
  });

  it('rejects a bad configuration', () => {
    expect(() => setup({ epsilon: 0 })).toThrow(InsituError);
    expect(() => setup({ epsilon: Number.POSITIVE_INFINITY })).toThrow(InsituError);
    expect(() => setup({ placements: ['has space'] })).toThrow(InsituError);
    expect(() => setup({ periodMs: 1000 })).toThrow(InsituError);
  });
});
