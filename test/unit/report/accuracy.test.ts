/**
 * Accuracy of the lift estimate under local differential privacy: 10,000 simulated devices with a
 * known truth (CTR among devices shown the placement: personalized 0.12, holdout 0.10; 15% of
 * devices in the holdout; 80% shown the placement; 30% of clickers convert). The collector's 95%
 * interval must cover the truth about 95% of the time, at ε = 1 and ε = 4 per report.
 */
import { describe, expect, it } from 'vitest';
import { decodeReport } from '../../../demo/collector/decode.js';
import { buildEstimates, estimateLift } from '../../../demo/collector/estimates.js';
import { addEngagement, addReport, emptyTotals } from '../../../demo/collector/totals.js';
import { createReporter, REPORT_GRACE_MS } from '../../../worker/report/index.js';
import { randomizedResponse } from '../../../worker/report/mechanism.js';
import { splitEpsilon } from '../../../worker/report/privatize.js';
import { ENGAGEMENT_STATES, REPORT_PARTS, type DeviceGroup, type EngagementState } from '../../../worker/report/report-types.js';
import { createSeededRandom } from '../../../worker/report/seeded-random.js';
import type { RandomSource } from '../../../worker/types.js';
import { decision, event, GRANTED, mean, sd, T0 } from './helpers.js';

const DEVICES = 10_000;
const HOLDOUT_FRACTION = 0.15;
const SHOWN = 0.8;
const CTR: Record<DeviceGroup, number> = { personalized: 0.12, holdout: 0.1 };
const CONVERT_GIVEN_CLICK = 0.3;
const TRUE_DIFFERENCE = 0.02;
const TRUE_RATIO = CTR.personalized / CTR.holdout;
const PERIOD = Date.UTC(2025, 0, 1);

function device(random: RandomSource): { group: DeviceGroup; state: EngagementState } {
  const group: DeviceGroup = random.next() < HOLDOUT_FRACTION ? 'holdout' : 'personalized';
  if (random.next() >= SHOWN) return { group, state: 'none' };
  if (random.next() >= CTR[group]) return { group, state: 'shown' };
  return { group, state: random.next() < CONVERT_GIVEN_CLICK ? 'converted' : 'clicked' };
}

/** One simulated fleet through the engagement mechanism (the part of a report the lift reads). */
function simulateLift(seed: number, epsilon: number) {
  const random = createSeededRandom(seed);
  // The engagement share of a full report with one declared placement.
  const epsilonEach = splitEpsilon(epsilon, new Set(REPORT_PARTS)).engagement;
  const totals = emptyTotals();
  for (let i = 0; i < DEVICES; i++) {
    const { group, state } = device(random);
    const reported = ENGAGEMENT_STATES[randomizedResponse(ENGAGEMENT_STATES.indexOf(state), 4, epsilonEach, random)]!;
    addEngagement(totals, 'home', group, epsilonEach, reported, PERIOD);
  }
  return estimateLift(totals, 'home');
}

describe('lift accuracy under local differential privacy', () => {
  for (const epsilon of [1, 4]) {
    it(`95% intervals cover the true lift at ε = ${epsilon} (${DEVICES} devices, 200 fleets)`, () => {
      const runs = Array.from({ length: 200 }, (_, i) => simulateLift(1000 * epsilon + i, epsilon));
      const covered = (key: 'ctrDifference' | 'clickedShareDifference', truth: number) =>
        runs.filter((r) => r[key].low <= truth && truth <= r[key].high).length / runs.length;
      const differenceCoverage = covered('ctrDifference', TRUE_DIFFERENCE);
      const shareCoverage = covered('clickedShareDifference', TRUE_DIFFERENCE * SHOWN);
      const withRatio = runs.filter((r) => r.ctrRatio !== undefined);
      const ratioCoverage = withRatio.filter((r) => r.ctrRatio!.low <= TRUE_RATIO && TRUE_RATIO <= r.ctrRatio!.high).length / Math.max(1, withRatio.length);
      const estimates = runs.map((r) => r.ctrDifference.estimate);
      const halfWidth = mean(runs.map((r) => (r.ctrDifference.high - r.ctrDifference.low) / 2));
      console.info(
        `[accuracy] ε=${epsilon}: CTR difference coverage ${differenceCoverage.toFixed(3)}, mean estimate ${mean(estimates).toFixed(4)} ` +
          `(truth ${TRUE_DIFFERENCE}), spread ${sd(estimates).toFixed(4)}, mean 95% half-width ${halfWidth.toFixed(4)}; ` +
          `clicked-share difference coverage ${shareCoverage.toFixed(3)}; CTR ratio released in ${withRatio.length}/200 fleets, coverage ${ratioCoverage.toFixed(3)}`,
      );
      // 200 fleets: the binomial standard error of a 95% coverage is 1.5 points; allow 3.
      for (const coverage of [differenceCoverage, shareCoverage]) {
        expect(coverage).toBeGreaterThanOrEqual(0.905);
        expect(coverage).toBeLessThanOrEqual(0.995);
      }
      // The ratio (released only when both CTRs are bounded away from 0) is a delta-method approximation.
      if (withRatio.length >= 50) expect(ratioCoverage).toBeGreaterThanOrEqual(0.88);
      if (epsilon >= 4) expect(withRatio.length).toBeGreaterThan(150);
      // Unbiased: the mean of the estimates sits within 4 standard errors of the truth.
      expect(Math.abs(mean(estimates) - TRUE_DIFFERENCE)).toBeLessThan((4 * sd(estimates)) / Math.sqrt(runs.length));
      // The stated interval is honest about its width: it matches the spread actually seen.
      expect(halfWidth / (1.96 * sd(estimates))).toBeGreaterThan(0.85);
      expect(halfWidth / (1.96 * sd(estimates))).toBeLessThan(1.15);
    });
  }

  it('end to end: 10,000 devices through reporter, OTLP, decoding and the collector, ε = 4', () => {
    const random = createSeededRandom(77);
    const totals = emptyTotals();
    const due = PERIOD + 86_400_000 + REPORT_GRACE_MS;
    for (let i = 0; i < DEVICES; i++) {
      const { group, state } = device(random);
      const reporter = createReporter({
        random,
        clock: { now: () => T0 },
        config: { placements: ['home'], epsilon: 4, inHoldout: group === 'holdout', catalog: [{ id: 'a' }, { id: 'b' }] },
      });
      if (state !== 'none') {
        const shown = decision({ placement: 'home', policy: group, itemId: 'a' });
        reporter.observeDecision(shown);
        if (state === 'clicked' || state === 'converted') reporter.observeEvent(event({ type: 'click', decisionId: shown.decisionId, itemId: 'a' }));
        if (state === 'converted') reporter.observeEvent(event({ type: 'convert', decisionId: shown.decisionId, itemId: 'a' }));
      } else {
        reporter.observeEvent(event({ type: 'view', itemId: 'b' }));
      }
      const [entry] = reporter.buildDueReports(due, GRANTED);
      const decoded = decodeReport(JSON.parse(JSON.stringify(entry!.body)));
      if (!decoded.ok) throw new Error(decoded.error);
      addReport(totals, decoded.report);
    }
    const estimates = buildEstimates(totals, 50);
    const home = estimates.placements.home!;
    if ('suppressed' in home.lift) throw new Error('lift suppressed');
    const lift = home.lift.ctrDifference;
    console.info(`[accuracy] end to end ε=4: CTR difference ${lift.estimate.toFixed(4)} [${lift.low.toFixed(4)}, ${lift.high.toFixed(4)}] (truth ${TRUE_DIFFERENCE})`);
    expect(lift.low).toBeLessThanOrEqual(TRUE_DIFFERENCE);
    expect(lift.high).toBeGreaterThanOrEqual(TRUE_DIFFERENCE);
    expect(lift.high - lift.low).toBeLessThan(0.2);
    expect(estimates.reports).toBe(DEVICES);
  });
});
