/**
 * The collector's running totals: sufficient statistics of every accepted report, grouped by the
 * mechanism settings they were noised with (so each group is debiased with its own ε). Pure; the
 * server rebuilds it from its append-only log on start.
 */
import { krrProbabilities } from '../../worker/report/mechanism.js';
import type { CellFamily, DeviceGroup, EngagementState, ReportedStorageMode } from '../../worker/report/report-types.js';
import { ENGAGEMENT_STATES, REPORTED_STORAGE_MODES, type AggregateReport } from '../../worker/report/report-types.js';
import type { DecisionPolicy } from '../../worker/types.js';
import { addAnswer, emptyTally, type SketchTally } from '../../worker/report/sketch.js';

/** Distinct placements the collector tracks: a fleet declares a handful; more is abuse. */
export const MAX_COLLECTOR_PLACEMENTS = 32;
/** Distinct mechanism settings (ε shares, sketch shapes) per statistic: a fleet runs one or two configs. */
export const MAX_MECHANISM_SETTINGS = 16;
/** Largest rows × width of one sketch setting kept in memory (8 MB of counts). */
export const MAX_SKETCH_CELLS = 1 << 20;

export interface RunningSum {
  n: number;
  sum: number;
  sumSquares: number;
}

/** Reported engagement categories of one (placement, group) under one ε. */
export interface EngagementStratum {
  placement: string;
  group: DeviceGroup;
  epsilon: number;
  counts: number[];
}

export interface CollectorTotals {
  reports: number;
  engagement: Map<string, EngagementStratum>;
  /** Reports per period per (placement, group): within one period a device sends at most one report. */
  cohortPeriods: Map<string, Map<number, number>>;
  placements: Set<string>;
  cells: Map<string, RunningSum & { family: CellFamily; placement: string; arm: DecisionPolicy }>;
  decisions: RunningSum;
  deadlineFallbacks: RunningSum;
  reportsPerPeriod: Map<number, number>;
  storage: Map<number, number[]>;
  items: Map<string, SketchTally>;
  pairs: Map<string, SketchTally>;
}

export function emptyTotals(): CollectorTotals {
  return {
    reports: 0,
    engagement: new Map(),
    cohortPeriods: new Map(),
    placements: new Set(),
    cells: new Map(),
    decisions: { n: 0, sum: 0, sumSquares: 0 },
    deadlineFallbacks: { n: 0, sum: 0, sumSquares: 0 },
    reportsPerPeriod: new Map(),
    storage: new Map(),
    items: new Map(),
    pairs: new Map(),
  };
}

export const cohortKey = (placement: string, group: DeviceGroup): string => `${placement}\u0000${group}`;
const engagementKey = (placement: string, group: DeviceGroup, epsilon: number): string => `${placement}\u0000${group}\u0000${epsilon}`;
const sketchKey = (s: { rows: number; width: number; padding: number }, epsilon: number): string => `${s.rows}:${s.width}:${s.padding}:${epsilon}`;

/** Why a valid report still cannot be taken (it would grow the totals past their bounds), if so. */
export function admissionError(totals: CollectorTotals, report: AggregateReport): string | undefined {
  const states = report.engagement?.states ?? [];
  const newPlacements = states.filter((s) => !totals.placements.has(s.placement)).length;
  if (totals.placements.size + newPlacements > MAX_COLLECTOR_PLACEMENTS) return 'too many distinct placements';
  const epsilons = new Set([...totals.engagement.values()].map((s) => s.epsilon));
  if (report.engagement && !epsilons.has(report.engagement.epsilonEach) && epsilons.size >= MAX_MECHANISM_SETTINGS) {
    return 'too many distinct engagement settings';
  }
  if (report.health && !totals.storage.has(report.split.health) && totals.storage.size >= MAX_MECHANISM_SETTINGS) return 'too many distinct health settings';
  for (const part of ['items', 'pairs'] as const) {
    const answer = report[part];
    if (!answer) continue;
    if (answer.rows * answer.width > MAX_SKETCH_CELLS) return `${part} sketch too large`;
    const map = totals[part];
    if (!map.has(sketchKey(answer, report.split[part])) && map.size >= MAX_MECHANISM_SETTINGS) return `too many distinct ${part} settings`;
  }
  return undefined;
}

function addToSum(sum: RunningSum, value: number): void {
  sum.n += 1;
  sum.sum += value;
  sum.sumSquares += value * value;
}

/** Fold one accepted report into the totals (call `admissionError` first). */
export function addReport(totals: CollectorTotals, report: AggregateReport): void {
  totals.reports += 1;
  totals.reportsPerPeriod.set(report.periodStart, (totals.reportsPerPeriod.get(report.periodStart) ?? 0) + 1);
  const { engagement, counts, health } = report;
  for (const { placement, state } of engagement?.states ?? []) {
    totals.placements.add(placement);
    addEngagement(totals, placement, report.group, engagement!.epsilonEach, state, report.periodStart);
  }
  if (counts) {
    for (const cell of counts.cells) {
      const key = `${cell.family}\u0000${cell.placement}\u0000${cell.arm}`;
      let sum = totals.cells.get(key);
      if (!sum) {
        sum = { family: cell.family, placement: cell.placement, arm: cell.arm, n: 0, sum: 0, sumSquares: 0 };
        totals.cells.set(key, sum);
      }
      addToSum(sum, cell.value);
    }
    addToSum(totals.decisions, counts.decisions);
    addToSum(totals.deadlineFallbacks, counts.deadlineFallbacks);
  }
  if (health) {
    const storage = totals.storage.get(report.split.health) ?? new Array<number>(REPORTED_STORAGE_MODES.length).fill(0);
    storage[REPORTED_STORAGE_MODES.indexOf(health.storageMode as ReportedStorageMode)]! += 1;
    totals.storage.set(report.split.health, storage);
  }
  for (const part of ['items', 'pairs'] as const) {
    const answer = report[part];
    if (!answer) continue;
    const key = sketchKey(answer, report.split[part]);
    let tally = totals[part].get(key);
    if (!tally) {
      tally = emptyTally({ rows: answer.rows, width: answer.width, padding: answer.padding, epsilon: report.split[part] });
      totals[part].set(key, tally);
    }
    addAnswer(tally, answer);
  }
}

/** One device's reported engagement state (the unit the accuracy simulation feeds directly). */
export function addEngagement(totals: CollectorTotals, placement: string, group: DeviceGroup, epsilon: number, state: EngagementState, periodStart: number): void {
  const key = engagementKey(placement, group, epsilon);
  let stratum = totals.engagement.get(key);
  if (!stratum) {
    stratum = { placement, group, epsilon, counts: new Array<number>(ENGAGEMENT_STATES.length).fill(0) };
    totals.engagement.set(key, stratum);
  }
  stratum.counts[ENGAGEMENT_STATES.indexOf(state)]! += 1;
  const cohort = cohortKey(placement, group);
  const periods = totals.cohortPeriods.get(cohort) ?? new Map<number, number>();
  periods.set(periodStart, (periods.get(periodStart) ?? 0) + 1);
  totals.cohortPeriods.set(cohort, periods);
}

/**
 * Linear statistics of per-report debiased values over k-RR strata: each report's value is
 * Σ_c w[c]·(1[reported = c] − q)/(p − q), unbiased for Σ_c w[c]·1[true = c].
 */
export interface LinearStats {
  n: number;
  a: number;
  b: number;
  aa: number;
  bb: number;
  ab: number;
}

export function krrLinearStats(strata: ReadonlyArray<{ epsilon: number; counts: readonly number[] }>, wa: readonly number[], wb: readonly number[]): LinearStats {
  const stats: LinearStats = { n: 0, a: 0, b: 0, aa: 0, bb: 0, ab: 0 };
  for (const { epsilon, counts } of strata) {
    const k = counts.length;
    const { p, q } = krrProbabilities(k, epsilon);
    const weightA = wa.reduce((s, w) => s + w, 0);
    const weightB = wb.reduce((s, w) => s + w, 0);
    counts.forEach((count, reported) => {
      if (count === 0) return;
      const a = ((wa[reported] ?? 0) - q * weightA) / (p - q);
      const b = ((wb[reported] ?? 0) - q * weightB) / (p - q);
      stats.n += count;
      stats.a += count * a;
      stats.b += count * b;
      stats.aa += count * a * a;
      stats.bb += count * b * b;
      stats.ab += count * a * b;
    });
  }
  return stats;
}
