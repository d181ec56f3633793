/**
 * Open Bandit Dataset sample (ZOZOTOWN, men and women campaigns): evaluate the Bernoulli-TS
 * policy off-policy from the uniform-random log, and check it against what Bernoulli-TS actually
 * earned in its own log. Each row is one impression: an item at one of three positions.
 */
import { describe, expect, it } from 'vitest';
import { Z_95, ipsEstimate, snipsEstimate, type TargetPolicy } from '../../worker/off-policy.js';
import { createSeededRandom } from '../../worker/seeded-random.js';
import type { DecisionRecord } from '../../worker/types.js';
import {
  OBD_CAMPAIGNS,
  OBD_DIR,
  OBD_POSITIONS,
  btsActionDistribution,
  obdAvailable,
  readBtsPriors,
  readObdLog,
  type ObdRow,
} from './support/obd-sample.js';

const available = obdAvailable();
if (!available) console.warn(`obd.test.ts: skipped, data set missing: obd-sample (expected at ${OBD_DIR})`);

/** Monte Carlo draws for the prior-based BTS distribution: about ±0.002 on a probability of 0.1. */
const BTS_SIMULATIONS = 20_000;

/** The random log as DecisionRecords: every item a candidate; the position is the placement. */
function toDecisionRecords(rows: ObdRow[], items: number): DecisionRecord[] {
  const candidates = Array.from({ length: items }, (_, i) => String(i));
  const uniform = candidates.map(() => 1 / items);
  return rows.map((row, index) => ({
    decisionId: `obd-${index}`,
    placement: `position-${row.position}`,
    itemId: String(row.itemId),
    propensity: row.pscore,
    exploring: true,
    policy: 'default',
    reasons: [],
    ts: index,
    candidates,
    scores: candidates.map(() => 0),
    probabilities: uniform,
    reward: row.click,
  }));
}

/** A position-dependent, context-free target: `byPosition[p][i]`. */
function positionPolicy(byPosition: ArrayLike<number>[]): TargetPolicy {
  return (record) => byPosition[Number(record.placement.slice('position-'.length))] as ArrayLike<number>;
}

/**
 * The action distribution Bernoulli-TS actually ran during the logged week: per position, the
 * share of its impressions that went to each item. Unbiased for the time-averaged policy (the
 * production posterior kept moving during the week; see the prior-based check below).
 */
function empiricalDistribution(rows: ObdRow[], items: number): Float64Array[] {
  const counts = Array.from({ length: OBD_POSITIONS }, () => new Float64Array(items));
  const totals = new Float64Array(OBD_POSITIONS);
  for (const row of rows) {
    (counts[row.position] as Float64Array)[row.itemId]! += 1;
    totals[row.position]! += 1;
  }
  counts.forEach((row, p) => row.forEach((c, i) => (row[i] = c / (totals[p] as number))));
  return counts;
}

/**
 * The independent computation: IPS grouped by (item, position) cell rather than summed row by
 * row, with the variance from first and second moments: Σ clicks·π/μ over cells, divided by n.
 */
function ipsByCells(rows: ObdRow[], target: ArrayLike<number>[]): { value: number; stdError: number } {
  const clicks = new Map<string, { clicks: number; ratio: number }>();
  for (const row of rows) {
    const key = `${row.itemId}@${row.position}`;
    const cell = clicks.get(key) ?? { clicks: 0, ratio: (target[row.position]?.[row.itemId] ?? 0) / row.pscore };
    cell.clicks += row.click;
    clicks.set(key, cell);
  }
  let sum = 0;
  let sumSquares = 0;
  for (const cell of clicks.values()) {
    sum += cell.clicks * cell.ratio;
    sumSquares += cell.clicks * cell.ratio * cell.ratio; // click is 0/1, so click² = click
  }
  const n = rows.length;
  const mean = sum / n;
  const variance = (sumSquares - n * mean * mean) / (n - 1);
  return { value: mean, stdError: Math.sqrt(variance / n) };
}

describe.skipIf(!available)('Open Bandit Dataset sample: Bernoulli-TS evaluated from the random log', () => {
  for (const campaign of OBD_CAMPAIGNS) {
    describe(campaign, () => {
      const random = available ? readObdLog('random', campaign) : [];
      const bts = available ? readObdLog('bts', campaign) : [];
      const items = available ? readBtsPriors(campaign).alpha.length : 0;
      const onPolicyCtr = bts.reduce((sum, row) => sum + row.click, 0) / bts.length;

      it('the random log is uniform over the items at each position', () => {
        expect(random.length).toBe(10_000);
        for (const row of random) expect(row.pscore).toBeCloseTo(1 / items, 12);
        expect(Math.max(...random.map((r) => r.itemId))).toBe(items - 1);
      });

      it('IPS of the policy BTS ran matches an independent computation and its interval covers the on-policy CTR', () => {
        const target = empiricalDistribution(bts, items);
        const estimate = ipsEstimate(toDecisionRecords(random, items), positionPolicy(target));
        const independent = ipsByCells(random, target);
        expect(estimate.value).toBeCloseTo(independent.value, 12);
        expect(estimate.stdError).toBeCloseTo(independent.stdError, 12);
        expect(estimate.lo).toBeCloseTo(independent.value - Z_95 * independent.stdError, 12);
        expect(estimate.lo).toBeLessThanOrEqual(onPolicyCtr);
        expect(estimate.hi).toBeGreaterThanOrEqual(onPolicyCtr);
        const snips = snipsEstimate(toDecisionRecords(random, items), positionPolicy(target));
        expect(snips.lo).toBeLessThanOrEqual(onPolicyCtr);
        expect(snips.hi).toBeGreaterThanOrEqual(onPolicyCtr);
        console.info(
          `obd ${campaign}: on-policy BTS CTR ${onPolicyCtr.toFixed(4)}; IPS from random log ${estimate.value.toFixed(4)} ` +
            `[${estimate.lo.toFixed(4)}, ${estimate.hi.toFixed(4)}], SNIPS ${snips.value.toFixed(4)}, ESS ${estimate.effectiveSampleSize.toFixed(0)}`,
        );
      });

      it('IPS of BTS rebuilt from its production priors matches an independent computation', () => {
        const { alpha, beta } = readBtsPriors(campaign);
        const target = btsActionDistribution(alpha, beta, BTS_SIMULATIONS, createSeededRandom(2019));
        for (const row of target) expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 9);
        const estimate = ipsEstimate(toDecisionRecords(random, items), positionPolicy(target));
        const independent = ipsByCells(random, target);
        expect(estimate.value).toBeCloseTo(independent.value, 12);
        expect(estimate.stdError).toBeCloseTo(independent.stdError, 12);
        // Not asserted to cover the on-policy CTR: the priors are a snapshot, and the logged
        // propensities show the production posterior moved away from them during the week.
        console.info(
          `obd ${campaign}: BTS from prior_bts.yaml, IPS ${estimate.value.toFixed(4)} [${estimate.lo.toFixed(4)}, ${estimate.hi.toFixed(4)}]` +
            ` vs on-policy ${onPolicyCtr.toFixed(4)}`,
        );
      });
    });
  }
});
