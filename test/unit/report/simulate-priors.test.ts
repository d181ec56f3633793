import { describe, expect, it } from 'vitest';
import { simulatePriorsFromHistories } from '../../../demo/collector/simulate.js';
import { createSeededRandom } from '../../../worker/report/seeded-random.js';

/** 60 items in 4 clusters; each device engages with items of one cluster, popular ones more often. */
function plantedHistories(devices: number, seed: number) {
  const random = createSeededRandom(seed);
  const catalog = Array.from({ length: 60 }, (_, i) => `m${i}`);
  const clusterOf = (id: string) => Number(id.slice(1)) % 4;
  const histories = Array.from({ length: devices }, () => {
    const cluster = Math.floor(random.next() * 4);
    const members = catalog.filter((id) => clusterOf(id) === cluster);
    return Array.from({ length: 8 + Math.floor(random.next() * 16) }, () => members[Math.floor(members.length * random.next() ** 2)]!);
  });
  return { catalog, histories, clusterOf };
}

function truePopularity(histories: string[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const h of histories) for (const id of new Set(h)) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

function spearman(a: number[], b: number[]): number {
  const rank = (v: number[]) => {
    const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    order.forEach(([, i], k) => (r[i] = k));
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const n = a.length;
  const d2 = ra.reduce((s, r, i) => s + (r - rb[i]!) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe('priors from simulated reports', () => {
  const { catalog, histories, clusterOf } = plantedHistories(4000, 5);
  const truth = truePopularity(histories);

  it('at ε = ∞ (clipping only) recovers popularity order and in-cluster neighbours', () => {
    const priors = simulatePriorsFromHistories(histories, catalog, Number.POSITIVE_INFINITY, 1);
    expect(priors.version).toBe(1);
    expect(spearman(catalog.map((id) => truth.get(id) ?? 0), catalog.map((id) => priors.popularity[id] ?? 0))).toBeGreaterThan(0.95);
    const pairs = Object.entries(priors.neighbours).flatMap(([id, list]) => list.map(([other]) => [id, other] as const));
    expect(pairs.length).toBeGreaterThan(100);
    const inCluster = pairs.filter(([a, b]) => clusterOf(a) === clusterOf(b)).length / pairs.length;
    expect(inCluster).toBeGreaterThan(0.99);
    for (const list of Object.values(priors.neighbours)) {
      expect(list.length).toBeLessThanOrEqual(20);
      for (let i = 1; i < list.length; i++) expect(list[i]![1]).toBeLessThanOrEqual(list[i - 1]![1]);
    }
  });

  it('under noise: at ε = 8 an items-focused split recovers popularity and neighbours from 40,000 devices; ε = 1 is weaker', () => {
    const fleet = plantedHistories(40_000, 6);
    const fleetTruth = truePopularity(fleet.histories);
    const itemsOnly = { split: { engagement: 0, counts: 0, health: 0, items: 0.5, pairs: 0.5 } };
    const quality = (epsilon: number) => {
      const priors = simulatePriorsFromHistories(fleet.histories, fleet.catalog, epsilon, 2, itemsOnly);
      const rho = spearman(fleet.catalog.map((id) => fleetTruth.get(id) ?? 0), fleet.catalog.map((id) => priors.popularity[id] ?? 0));
      const pairs = Object.entries(priors.neighbours).flatMap(([id, list]) => list.map(([other]) => [id, other] as const));
      const precision = pairs.filter(([a, b]) => fleet.clusterOf(a) === fleet.clusterOf(b)).length / Math.max(1, pairs.length);
      return { rho, pairs: pairs.length, precision };
    };
    const at8 = quality(8);
    const at1 = quality(1);
    console.info(`[priors] 40000 devices, 60 items, items-focused split: ε=8 rank correlation ${at8.rho.toFixed(3)}, ${at8.pairs} neighbour links, ${(100 * at8.precision).toFixed(0)}% in-cluster; ε=1 rank correlation ${at1.rho.toFixed(3)}, ${at1.pairs} links`);
    expect(at8.rho).toBeGreaterThan(0.75);
    expect(at8.pairs).toBeGreaterThan(30);
    // A random link is in-cluster 24% of the time.
    expect(at8.precision).toBeGreaterThan(0.9);
    expect(at1.rho).toBeLessThan(at8.rho);
  });

  it('is deterministic for a seed, and uses only catalog ids', () => {
    const a = simulatePriorsFromHistories(histories.slice(0, 500), catalog, 2, 9);
    const b = simulatePriorsFromHistories(histories.slice(0, 500), catalog, 2, 9);
    expect(a).toEqual(b);
    const withStrangers = simulatePriorsFromHistories([['m1', 'stranger', 'm5']], catalog, Number.POSITIVE_INFINITY, 1);
    expect(Object.keys(withStrangers.popularity)).not.toContain('stranger');
    expect(() => simulatePriorsFromHistories([], catalog, 0, 1)).toThrow(RangeError);
  });
});
