/**
 * What the collector releases: debiased totals with 95% intervals, and the lift of personalized
 * over holdout, only for cohorts of at least k devices.
 *
 * - Shares (shown, clicked, converted) are means of per-report debiased k-RR values; their
 *   interval is the normal one from the values' empirical variance (which holds both the
 *   sampling and the randomized-response noise).
 * - CTR = clicked / shown among a group's devices is a ratio of two such sums; its variance is the
 *   linearization (delta method) Σ(aᵢ − R·bᵢ)² / B².
 * - Lift: CTR difference (independent groups: variances add) and CTR ratio (interval on log scale).
 * - Counts are sums of noised values: unbiased for the clipped totals, interval from the
 *   empirical variance of the per-report values.
 * - A cohort's device count is its largest number of reports in one period (a device reports at
 *   most once per period), a lower bound on distinct devices.
 */
import { ARMS, CELL_FAMILIES, DEVICE_GROUPS, REPORTED_STORAGE_MODES, type CellFamily, type DeviceGroup } from '../../worker/report/report-types.js';
import { cohortKey, krrLinearStats, type CollectorTotals, type LinearStats, type RunningSum } from './totals.js';

/** Two-sided 95% normal quantile. */
export const Z95 = 1.959963984540054;

/** Default minimum cohort: below this many devices a released figure is close to one person's data. */
export const DEFAULT_MIN_COHORT = 50;

/** A 95% interval. `low`/`high` are ±Infinity (null in JSON) while there is too little signal to bound it. */
export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export type Released<T> = T | { suppressed: string };

export interface GroupEstimates {
  devices: number;
  reports: number;
  shownShare: Interval;
  clickedShare: Interval;
  convertedShare: Interval;
  /** Devices that clicked (or converted) among devices shown the placement. */
  ctr: Interval;
  conversionRate: Interval;
}

export interface LiftEstimates {
  /** personalized CTR − holdout CTR. */
  ctrDifference: Interval;
  /**
   * personalized CTR / holdout CTR, only once both CTR intervals exclude 0: a ratio over a CTR
   * the noise cannot tell from zero has no meaningful interval.
   */
  ctrRatio?: Interval;
  /** Intent to treat: difference in the share of all group devices that clicked. */
  clickedShareDifference: Interval;
}

export interface PlacementEstimates {
  groups: Record<DeviceGroup, Released<GroupEstimates>>;
  lift: Released<LiftEstimates>;
  cells: Released<Record<string, Record<CellFamily, Interval>>>;
}

export interface Estimates {
  k: number;
  confidence: 0.95;
  reports: number;
  periods: Array<{ start: number; reports: number }>;
  placements: Record<string, PlacementEstimates>;
  health: Released<{ decisions: Interval; deadlineFallbacks: Interval; storageMode: Record<string, Interval> }>;
}

const suppressed = (k: number) => ({ suppressed: `fewer than ${k} devices` });

function interval(estimate: number, variance: number): Interval {
  const half = Z95 * Math.sqrt(Math.max(0, variance));
  return { estimate, low: estimate - half, high: estimate + half };
}

/** Mean of per-report values a over n reports, with the variance of a mean. */
function meanInterval(n: number, sum: number, sumSquares: number): Interval {
  if (n === 0) return interval(0, 0);
  const mean = sum / n;
  const variance = n > 1 ? (sumSquares - n * mean * mean) / (n - 1) : 0;
  return interval(mean, variance / n);
}

/** Total of per-report values (sum over n reports), with the variance of a sum. */
function totalInterval(s: RunningSum): Interval {
  if (s.n === 0) return interval(0, 0);
  const mean = s.sum / s.n;
  const variance = s.n > 1 ? (s.sumSquares - s.n * mean * mean) / (s.n - 1) : 0;
  return interval(s.sum, variance * s.n);
}

interface Ratio {
  estimate: number;
  variance: number;
}

function ratio(stats: LinearStats): Ratio {
  if (!(stats.b > 0)) return { estimate: 0, variance: Number.POSITIVE_INFINITY };
  const r = stats.a / stats.b;
  const variance = (stats.aa - 2 * r * stats.ab + r * r * stats.bb) / (stats.b * stats.b);
  return { estimate: r, variance: Math.max(0, variance) };
}

// Category weights over ENGAGEMENT_STATES = none, shown, clicked, converted.
const SHOWN = [0, 1, 1, 1];
const CLICKED = [0, 0, 1, 1];
const CONVERTED = [0, 0, 0, 1];

export function cohortDevices(totals: CollectorTotals, placement: string, group: DeviceGroup): number {
  const periods = totals.cohortPeriods.get(cohortKey(placement, group));
  return periods ? Math.max(0, ...periods.values()) : 0;
}

function groupStats(totals: CollectorTotals, placement: string, group: DeviceGroup) {
  const strata = [...totals.engagement.values()].filter((s) => s.placement === placement && s.group === group);
  return {
    clickedOverShown: krrLinearStats(strata, CLICKED, SHOWN),
    convertedOverShown: krrLinearStats(strata, CONVERTED, SHOWN),
  };
}

export function estimateGroup(totals: CollectorTotals, placement: string, group: DeviceGroup): GroupEstimates & { ctrVariance: number; clickedVariance: number } {
  const { clickedOverShown: cs, convertedOverShown: vs } = groupStats(totals, placement, group);
  const ctr = ratio(cs);
  const conversion = ratio(vs);
  const clickedShare = meanInterval(cs.n, cs.a, cs.aa);
  const clickedHalf = (clickedShare.high - clickedShare.estimate) / Z95;
  return {
    devices: cohortDevices(totals, placement, group),
    reports: cs.n,
    shownShare: meanInterval(cs.n, cs.b, cs.bb),
    clickedShare,
    convertedShare: meanInterval(vs.n, vs.a, vs.aa),
    ctr: interval(ctr.estimate, ctr.variance),
    conversionRate: interval(conversion.estimate, conversion.variance),
    ctrVariance: ctr.variance,
    clickedVariance: clickedHalf * clickedHalf,
  };
}

export function estimateLift(totals: CollectorTotals, placement: string): LiftEstimates {
  const p = estimateGroup(totals, placement, 'personalized');
  const h = estimateGroup(totals, placement, 'holdout');
  const lift: LiftEstimates = {
    ctrDifference: interval(p.ctr.estimate - h.ctr.estimate, p.ctrVariance + h.ctrVariance),
    clickedShareDifference: interval(p.clickedShare.estimate - h.clickedShare.estimate, p.clickedVariance + h.clickedVariance),
  };
  if (p.ctr.low > 0 && h.ctr.low > 0) {
    const logVariance = p.ctrVariance / p.ctr.estimate ** 2 + h.ctrVariance / h.ctr.estimate ** 2;
    const logInterval = interval(Math.log(p.ctr.estimate / h.ctr.estimate), logVariance);
    lift.ctrRatio = { estimate: Math.exp(logInterval.estimate), low: Math.exp(logInterval.low), high: Math.exp(logInterval.high) };
  }
  return lift;
}

function strip(g: GroupEstimates & { ctrVariance: number; clickedVariance: number }): GroupEstimates {
  const { ctrVariance: _c, clickedVariance: _v, ...rest } = g;
  return rest;
}

export function buildEstimates(totals: CollectorTotals, k: number): Estimates {
  const placements: Record<string, PlacementEstimates> = Object.create(null) as Record<string, PlacementEstimates>;
  const totalDevices = Math.max(0, ...totals.reportsPerPeriod.values());
  for (const placement of [...totals.placements].sort()) {
    const groups = {} as Record<DeviceGroup, Released<GroupEstimates>>;
    for (const group of DEVICE_GROUPS) {
      const estimate = estimateGroup(totals, placement, group);
      groups[group] = estimate.devices >= k ? strip(estimate) : suppressed(k);
    }
    const released = DEVICE_GROUPS.every((g) => !('suppressed' in groups[g]));
    const cells: Record<string, Record<CellFamily, Interval>> = {};
    for (const arm of ARMS) {
      const byFamily = {} as Record<CellFamily, Interval>;
      for (const family of CELL_FAMILIES) {
        const sum = totals.cells.get(`${family}\u0000${placement}\u0000${arm}`);
        byFamily[family] = sum ? totalInterval(sum) : interval(0, 0);
      }
      cells[arm] = byFamily;
    }
    placements[placement] = {
      groups,
      lift: released ? estimateLift(totals, placement) : suppressed(k),
      cells: totalDevices >= k ? cells : suppressed(k),
    };
  }
  const storageMode: Record<string, Interval> = {};
  const storageStrata = [...totals.storage.entries()].map(([epsilon, counts]) => ({ epsilon, counts }));
  REPORTED_STORAGE_MODES.forEach((mode, index) => {
    const weights = REPORTED_STORAGE_MODES.map((_, i) => (i === index ? 1 : 0));
    const stats = krrLinearStats(storageStrata, weights, weights);
    storageMode[mode] = meanInterval(stats.n, stats.a, stats.aa);
  });
  return {
    k,
    confidence: 0.95,
    reports: totals.reports,
    periods: [...totals.reportsPerPeriod.entries()].sort((a, b) => a[0] - b[0]).map(([start, reports]) => ({ start, reports })),
    placements,
    health:
      totalDevices >= k
        ? { decisions: totalInterval(totals.decisions), deadlineFallbacks: totalInterval(totals.deadlineFallbacks), storageMode }
        : suppressed(k),
  };
}
