import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeReport } from '../../../demo/collector/decode.js';
import { createReporter, REPORT_GRACE_MS } from '../../../worker/report/index.js';
import { encodeReport, unixNano } from '../../../worker/report/otlp.js';
import { MAX_REPORT_EPSILON, MAX_REPORT_PLACEMENTS, privatizeReport } from '../../../worker/report/privatize.js';
import { MAX_BODY_BYTES } from '../../../demo/collector/server.js';
import { createSeededRandom } from '../../../worker/report/seeded-random.js';
import type { DecisionPolicy } from '../../../worker/types.js';
import { GOLDEN_REPORT } from './fixtures/report.js';
import { GRANTED, T0 } from './helpers.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/report.otlp.json', import.meta.url), 'utf8'));

describe('OTLP/HTTP JSON encoding', () => {
  it('matches the shared golden fixture exactly', () => {
    expect(JSON.parse(JSON.stringify(encodeReport(GOLDEN_REPORT)))).toEqual(golden);
  });

  it('has the OTLP JSON shape, field by field', () => {
    const body = encodeReport(GOLDEN_REPORT);
    expect(Object.keys(body)).toEqual(['resourceMetrics']);
    expect(body.resourceMetrics).toHaveLength(1);
    const rm = body.resourceMetrics[0]!;
    expect(rm.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'insitu' } },
      // int64 values are decimal strings in OTLP JSON.
      { key: 'insitu.schema_version', value: { intValue: '1' } },
      { key: 'insitu.report.id', value: { stringValue: '0123456789abcdef0123456789abcdef' } },
      { key: 'insitu.group', value: { stringValue: 'holdout' } },
    ]);
    const sm = rm.scopeMetrics[0]!;
    expect(sm.scope.name).toBe('insitu.report');
    expect(sm.scope.version).toBe('1');
    const scope = new Map(sm.scope.attributes.map((kv) => [kv.key, kv.value]));
    expect(scope.get('insitu.epsilon')).toEqual({ doubleValue: 1 });
    expect(scope.get('insitu.epsilon.engagement')).toEqual({ doubleValue: 0.5 });
    expect(scope.get('insitu.bound.impressions')).toEqual({ intValue: '20' });
    expect(scope.get('insitu.items.rows')).toEqual({ intValue: '1024' });
    expect(String((scope.get('insitu.mechanism') as { stringValue: string }).stringValue)).toMatch(/randomized response/);

    expect(sm.metrics.map((m) => m.name)).toEqual([
      'insitu.engagement',
      'insitu.impressions',
      'insitu.clicks',
      'insitu.conversions',
      'insitu.reward',
      'insitu.decisions',
      'insitu.deadline_fallbacks',
      'insitu.storage_mode',
      'insitu.items.sketch',
      'insitu.pairs.sketch',
    ]);
    for (const metric of sm.metrics) {
      expect(metric.unit).toBe('1');
      // Enums are integers in OTLP JSON: 1 = AGGREGATION_TEMPORALITY_DELTA.
      expect(metric.sum.aggregationTemporality).toBe(1);
      expect(metric.sum.isMonotonic).toBe(false);
      for (const point of metric.sum.dataPoints) {
        expect(point.startTimeUnixNano).toBe('1735689600000000000');
        expect(point.timeUnixNano).toBe('1735776000000000000');
        if (metric.name === 'insitu.reward') {
          expect(typeof point.asDouble).toBe('number');
          expect(point.asInt).toBeUndefined();
        } else {
          expect(point.asInt).toMatch(/^-?\d+$/);
          expect(point.asDouble).toBeUndefined();
        }
      }
    }
    const byName = new Map(sm.metrics.map((m) => [m.name, m.sum.dataPoints]));
    expect(byName.get('insitu.engagement')).toEqual([
      {
        attributes: [
          { key: 'insitu.placement', value: { stringValue: 'home' } },
          { key: 'insitu.state', value: { stringValue: 'clicked' } },
        ],
        startTimeUnixNano: '1735689600000000000',
        timeUnixNano: '1735776000000000000',
        asInt: '1',
      },
    ]);
    expect(byName.get('insitu.impressions')).toHaveLength(5);
    expect(byName.get('insitu.impressions')![0]!.asInt).toBe('-3');
    expect(byName.get('insitu.reward')![0]!.asDouble).toBe(-0.5);
    expect(byName.get('insitu.deadline_fallbacks')![0]!.asInt).toBe('-4');
    expect(byName.get('insitu.items.sketch')![0]!.attributes).toEqual([
      { key: 'insitu.sketch.row', value: { intValue: '17' } },
      { key: 'insitu.sketch.bucket', value: { intValue: '1' } },
    ]);
  });

  it('the largest possible report fits the collector limit and a keepalive request (64 KB)', () => {
    const placements = Array.from({ length: MAX_REPORT_PLACEMENTS }, (_, i) => `${String(i)}${'p'.repeat(63)}`);
    const reporter = createReporter({
      random: createSeededRandom(1),
      clock: { now: () => T0 },
      config: { placements, catalog: [{ id: 'a' }], epsilon: MAX_REPORT_EPSILON, budgetEpsilon: MAX_REPORT_EPSILON },
    });
    reporter.observeEvent({ id: 'e', type: 'view', itemId: 'a', ts: T0 });
    const body = JSON.stringify(reporter.buildDueReports(Date.UTC(2025, 0, 2) + REPORT_GRACE_MS, GRANTED)[0]!.body);
    const bytes = new TextEncoder().encode(body).length;
    expect(bytes).toBeGreaterThan(30_000);
    expect(bytes).toBeLessThan(MAX_BODY_BYTES);
  });

  it('nanosecond times are exact (no float rounding)', () => {
    expect(unixNano(Date.UTC(2025, 0, 1))).toBe('1735689600000000000');
    expect(unixNano(8.64e15)).toBe('8640000000000000000000');
  });

  it('a report carrying only some parts (zero-weight parts are left out) round-trips', () => {
    const report = privatizeReport(
      {
        periodStart: Date.UTC(2025, 0, 1), periodEnd: Date.UTC(2025, 0, 2), group: 'personalized', placements: ['home'],
        engagement: new Map(), cells: new Map(), decisions: 1, deadlineFallbacks: 0, storageMode: 'kv', items: ['a', 'b'], hasCatalog: true,
      },
      { epsilon: 2, split: { engagement: 0, counts: 0, health: 0 } },
      'ab'.repeat(16),
      createSeededRandom(4),
    );
    expect(Object.keys(report).filter((k) => ['engagement', 'counts', 'health'].includes(k))).toEqual([]);
    expect(report.split.items + report.split.pairs).toBeCloseTo(2, 12);
    const body = encodeReport(report);
    expect(body.resourceMetrics[0]!.scopeMetrics[0]!.metrics.map((m) => m.name)).toEqual(['insitu.items.sketch', 'insitu.pairs.sketch']);
    expect(decodeReport(JSON.parse(JSON.stringify(body)))).toEqual({ ok: true, report });
  });

  it('the collector decodes it back to the same report', () => {
    const decoded = decodeReport(JSON.parse(JSON.stringify(encodeReport(GOLDEN_REPORT))));
    expect(decoded).toEqual({ ok: true, report: GOLDEN_REPORT });
  });
});

describe('what a report never carries', () => {
  const PERIOD_START = Date.UTC(2025, 0, 1);
  const PERIOD_END = PERIOD_START + 86_400_000;
  const policy = fc.constantFrom<DecisionPolicy>('personalized', 'holdout', 'fallback', 'default', 'pinned');
  const ts = fc.integer({ min: PERIOD_START + 1, max: PERIOD_END - 1 });
  const secret = fc.string({ minLength: 1, maxLength: 20 }).map((s) => `secret:${s}`);
  const item = fc.uuid().map((u) => `item:${u}`);
  const observation = fc.oneof(
    fc.record({ kind: fc.constant('decision' as const), id: fc.uuid(), placement: fc.oneof(fc.constantFrom('home', 'side'), secret), item, policy, ts }),
    fc.record({
      kind: fc.constant('event' as const),
      id: fc.uuid(),
      type: fc.constantFrom('view', 'click', 'convert', 'dwell', 'impression', 'scroll', 'custom.thing'),
      item,
      decisionId: fc.option(fc.uuid(), { nil: undefined }),
      page: secret,
      props: fc.dictionary(fc.string({ maxLength: 8 }), secret, { maxKeys: 3 }),
      value: fc.option(fc.double({ noNaN: true }), { nil: undefined }),
      ts,
    }),
  );

  it('no event or decision id, no props or page text, no item id, no undeclared placement, no time inside the period', () => {
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 30 }), fc.array(item, { maxLength: 3 }), (observations, catalogIds) => {
        const allItems = [...catalogIds, ...observations.map((o) => o.item)];
        const reporter = createReporter({
          random: createSeededRandom(1),
          clock: { now: () => T0 },
          config: { placements: ['home', 'side'], catalog: allItems.map((id) => ({ id })) },
        });
        for (const o of observations) {
          if (o.kind === 'decision') {
            reporter.observeDecision({
              decisionId: o.id, placement: o.placement, itemId: o.item, policy: o.policy, ts: o.ts,
              propensity: 1, exploring: false, reasons: ['secret:reason'], candidates: [o.item], scores: [1], probabilities: [1],
            });
          } else {
            reporter.observeEvent({ id: o.id, type: o.type, itemId: o.item, ts: o.ts, page: o.page, props: o.props, ...(o.decisionId ? { decisionId: o.decisionId } : {}), ...(o.value !== undefined ? { value: o.value } : {}) });
          }
        }
        reporter.observeHealth({ deadlineFallbacks: 1, storageMode: 'memory' });
        for (const entry of reporter.buildDueReports(PERIOD_END + REPORT_GRACE_MS, GRANTED)) {
          const body = JSON.stringify(entry.body);
          expect(body).not.toContain('secret:');
          expect(body).not.toContain('item:');
          for (const o of observations) {
            expect(body).not.toContain(o.id);
            if (o.kind === 'event' && o.decisionId) expect(body).not.toContain(o.decisionId);
            expect(body).not.toContain(String(o.ts));
          }
          const times = new Set([...body.matchAll(/"(?:start)?[tT]imeUnixNano":"(\d+)"/g)].map((m) => m[1]));
          expect([...times].sort()).toEqual([unixNano(PERIOD_START), unixNano(PERIOD_END)].sort());
          const placements = new Set([...body.matchAll(/"insitu\.placement","value":\{"stringValue":"([^"]*)"/g)].map((m) => m[1]));
          for (const p of placements) expect(['home', 'side']).toContain(p);
        }
      }),
      { numRuns: 60 },
    );
  });
});
