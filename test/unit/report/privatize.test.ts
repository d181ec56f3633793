import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cellKey,
  clipCounts,
  clipItems,
  CONTRIBUTION_BOUNDS,
  privatizeReport,
  splitEpsilon,
  type ReportInput,
} from '../../../worker/report/privatize.js';
import { ARMS, CELL_FAMILIES, REPORT_PARTS, type CellFamily, type ReportPart } from '../../../worker/report/report-types.js';
import { createSeededRandom } from '../../../worker/report/seeded-random.js';
import { mean, sd } from './helpers.js';

function input(over: Partial<ReportInput> = {}): ReportInput {
  return {
    periodStart: 0,
    periodEnd: 86_400_000,
    group: 'personalized',
    placements: ['home', 'side'],
    engagement: new Map([['home', 'clicked']]),
    cells: new Map(),
    decisions: 3,
    deadlineFallbacks: 0,
    storageMode: 'indexeddb',
    items: ['a', 'b', 'c'],
    hasCatalog: true,
    ...over,
  };
}

describe('epsilon accounting', () => {
  it('the parts of a report add up to its stated epsilon, for any ε, weights and active parts', () => {
    const part = fc.constantFrom(...REPORT_PARTS);
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 16, noNaN: true }),
        fc.uniqueArray(part, { minLength: 1, maxLength: 5 }),
        fc.record({ engagement: fc.double({ min: 0.01, max: 5, noNaN: true }), items: fc.double({ min: 0.01, max: 5, noNaN: true }) }),
        (epsilon, active, weights) => {
          const split = splitEpsilon(epsilon, new Set<ReportPart>(active), weights);
          const total = REPORT_PARTS.reduce((s, p) => s + split[p], 0);
          expect(Math.abs(total - epsilon)).toBeLessThan(1e-12 * Math.max(1, epsilon));
          for (const p of REPORT_PARTS) {
            if (!active.includes(p)) expect(split[p]).toBe(0);
            else expect(split[p]).toBeGreaterThan(0);
          }
        },
      ),
    );
  });

  it('a report states each share, and the per-placement and per-family shares multiply back to them', () => {
    const report = privatizeReport(input(), { epsilon: 2 }, '0'.repeat(32), createSeededRandom(1));
    const total = REPORT_PARTS.reduce((s, p) => s + report.split[p], 0);
    expect(total).toBeCloseTo(2, 12);
    expect(report.split).toMatchObject({ engagement: 1, counts: 0.2, health: 0.1, items: 0.4 });
    expect(report.engagement!.epsilonEach * 2).toBeCloseTo(report.split.engagement, 12);
    expect(report.counts!.epsilonEach * (CELL_FAMILIES.length + 2)).toBeCloseTo(report.split.counts, 12);
  });

  it('drops parts with nothing to report and gives their share to the others', () => {
    const report = privatizeReport(input({ placements: [], hasCatalog: false }), { epsilon: 1 }, '0'.repeat(32), createSeededRandom(1));
    expect(report.split.engagement).toBe(0);
    expect(report.split.items).toBe(0);
    expect(report.split.counts + report.split.health).toBeCloseTo(1, 12);
    expect(report.items).toBeUndefined();
    expect(report.engagement).toBeUndefined();
  });
});

describe('clipping bounds each device contribution', () => {
  const huge = (): ReportInput => {
    const cells = new Map<string, Record<CellFamily, number>>();
    for (const placement of ['home', 'side']) {
      for (const arm of ARMS) cells.set(cellKey(placement, arm), { impressions: 400, clicks: 300, conversions: 50, reward: 90 });
    }
    return input({ cells, decisions: 10_000, deadlineFallbacks: 999 });
  };

  it('every family sums to at most its bound, conversions are bits per cell', () => {
    const clipped = clipCounts(huge(), ['home', 'side']);
    for (const family of CELL_FAMILIES) {
      const total = clipped.cells[family].reduce((s, v) => s + v, 0);
      expect(total).toBeLessThanOrEqual(CONTRIBUTION_BOUNDS[family] + 1e-9);
    }
    expect(clipped.cells.conversions.every((v) => v <= 1)).toBe(true);
    expect(clipped.decisions).toBe(CONTRIBUTION_BOUNDS.decisions);
    expect(clipped.deadlineFallbacks).toBe(CONTRIBUTION_BOUNDS.deadlineFallbacks);
  });

  it('at most M distinct items (the most recent) and M consecutive pairs', () => {
    const history = Array.from({ length: 30 }, (_, i) => `item-${i % 12}`);
    const { items, pairs } = clipItems(history);
    expect(items.length).toBe(CONTRIBUTION_BOUNDS.items);
    expect(new Set(items).size).toBe(items.length);
    expect(items).toContain(history[history.length - 1]);
    expect(pairs.length).toBeLessThanOrEqual(CONTRIBUTION_BOUNDS.pairs);
    for (const [a, b] of pairs) expect(items.indexOf(b) - items.indexOf(a)).toBe(1);
  });

  it('noised counts average to the clipped values (noise is unbiased, clipping is the only bias)', () => {
    const device = huge();
    const clipped = clipCounts(device, ['home', 'side']);
    const runs = 400;
    const sums: Record<string, number[]> = {};
    for (let seed = 1; seed <= runs; seed++) {
      const report = privatizeReport(device, { epsilon: 8 }, '0'.repeat(32), createSeededRandom(seed));
      for (const cell of report.counts!.cells.filter((c) => c.placement === 'home' && c.arm === 'personalized')) {
        (sums[cell.family] ??= []).push(cell.value);
      }
    }
    CELL_FAMILIES.forEach((family) => {
      const values = sums[family]!;
      const truth = clipped.cells[family][0]!;
      expect(Math.abs(mean(values) - truth)).toBeLessThan((4 * sd(values)) / Math.sqrt(runs));
    });
  });
});
