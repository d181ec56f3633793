/**
 * Turns one device's period aggregate into an AggregateReport: clip every contribution to the
 * named bounds, then noise each part at its share of the report's ε. The shares add up to the
 * report's ε (sequential composition), and the report states every share and bound it used.
 */
import { InsituError } from '../errors.js';
import type { DecisionPolicy, RandomSource } from '../types.js';
import { clipIntegersL1, clipRealsL1, geometricNoise, l1Sensitivity, laplaceNoise, randomizedResponse } from './mechanism.js';
import {
  ARMS,
  CELL_FAMILIES,
  ENGAGEMENT_STATES,
  REPORTED_STORAGE_MODES,
  REPORT_PARTS,
  REPORT_SCHEMA_VERSION,
  type AggregateReport,
  type CellFamily,
  type ContributionBounds,
  type DeviceGroup,
  type EngagementState,
  type EpsilonSplit,
  type NoisedCell,
  type ReportPart,
  type ReportedStorageMode,
  type SketchAnswer,
} from './report-types.js';
import { encodeKey, itemKey, pairKeyFromItemKeys, sampleKey, sketchWidth, SKETCH_ROWS } from './sketch.js';

/**
 * Default ε of one report. At ε = 1 the headline lift needs on the order of 10⁴–10⁵ devices to be
 * read (see the accuracy test); a stronger ε buys nothing that a daily report should need.
 */
export const REPORT_EPSILON = 1;

/** Largest ε a report may state: past this, randomized response is barely random at all. */
export const MAX_REPORT_EPSILON = 16;

/**
 * How a report's ε is shared. The lift (engagement) is what the site runs insitu for, so it gets
 * half; the catalog priors (items, pairs) about a third; counts and health are dashboards that
 * only large fleets can read at any ε, so they get the rest. Parts with nothing to report (no
 * declared placement, no catalog) are dropped and the others scaled up to the same total.
 */
export const DEFAULT_EPSILON_SPLIT: EpsilonSplit = Object.freeze({
  engagement: 0.5,
  counts: 0.1,
  health: 0.05,
  items: 0.2,
  pairs: 0.15,
});

/** Per-device, per-period contribution bounds. Above a bound a device's values are scaled down. */
export const CONTRIBUTION_BOUNDS: ContributionBounds = Object.freeze({
  /** Decisions shown, over all placement-arm cells: a busy day of one reader, not of a crawler. */
  impressions: 20,
  /** Decisions clicked (each decision counted once). */
  clicks: 5,
  /** At most 1 per placement-arm (a bit), and at most this many over the whole report. */
  conversions: 2,
  /** Sum of rewards, each reward clipped to [0, MAX_REWARD_PER_DECISION]. */
  reward: 5,
  /** Decisions made by the engine (health). */
  decisions: 50,
  /** Decisions the page served from its fallback because the worker missed the deadline. */
  deadlineFallbacks: 10,
  /**
   * Distinct catalog items engaged with (most recent kept): the M of the item oracle. Every
   * report pads its set to M and answers for one member, so padding slots are wasted answers:
   * M is sized to a typical day's handful of items, not to a binge.
   */
  items: 4,
  /** Item pairs engaged together: the consecutive pairs of those items, so at most items − 1. */
  pairs: 3,
});

/** A reward is clipped to [0, 1]: the bandit's reward scale, and a bounded sensitivity. */
export const MAX_REWARD_PER_DECISION = 1;

/** Declared placements a report can carry; the report grows by 21 data points per placement. */
export const MAX_REPORT_PLACEMENTS = 6;

export const MECHANISM_DESCRIPTION =
  'local-dp/v1: k-ary randomized response (engagement state per placement, storage mode); ' +
  'two-sided geometric noise on L1-clipped integer counts; Laplace noise on clipped reward; ' +
  'hashed k-RR frequency oracle with padding-and-sampling (items, item pairs); ' +
  'epsilon shared across parts by sequential composition';

/** What the aggregator hands over for one finished period (clipping happens here). */
export interface ReportInput {
  periodStart: number;
  periodEnd: number;
  group: DeviceGroup;
  /** Declared placements, in report order. */
  placements: readonly string[];
  engagement: ReadonlyMap<string, EngagementState>;
  /** Raw (unclipped) per-cell counts, keyed by `cellKey(placement, arm)`. */
  cells: ReadonlyMap<string, Record<CellFamily, number>>;
  decisions: number;
  deadlineFallbacks: number;
  storageMode: ReportedStorageMode;
  /** Catalog items engaged with, oldest first, already filtered to the catalog (and consent). */
  items: readonly string[];
  /** False when no catalog is known: the item parts are dropped rather than sent empty. */
  hasCatalog: boolean;
}

export interface PrivacyParams {
  epsilon: number;
  split?: Partial<EpsilonSplit>;
  sketchRows?: number;
}

export function cellKey(placement: string, arm: DecisionPolicy): string {
  return `${placement}\u0000${arm}`;
}

/** The ε of each part for a report with the given active parts; shares sum exactly to `epsilon`. */
export function splitEpsilon(epsilon: number, active: ReadonlySet<ReportPart>, weights: Partial<EpsilonSplit> = {}): EpsilonSplit {
  const merged = { ...DEFAULT_EPSILON_SPLIT, ...weights };
  const parts = REPORT_PARTS.filter((part) => active.has(part) && merged[part] > 0);
  const total = parts.reduce((sum, part) => sum + merged[part], 0);
  const split: EpsilonSplit = { engagement: 0, counts: 0, health: 0, items: 0, pairs: 0 };
  let spent = 0;
  parts.forEach((part, index) => {
    // The last part takes the remainder so the shares add up to ε without rounding drift.
    const share = index === parts.length - 1 ? epsilon - spent : (epsilon * merged[part]) / total;
    split[part] = share;
    spent += share;
  });
  return split;
}

/** Distinct items, most recent M kept, and the pairs of consecutive kept items (at most M). */
export function clipItems(items: readonly string[], bounds: ContributionBounds = CONTRIBUTION_BOUNDS): { items: string[]; pairs: Array<[string, string]> } {
  const distinct: string[] = [];
  for (let i = items.length - 1; i >= 0 && distinct.length < bounds.items; i--) {
    const id = items[i] as string;
    if (!distinct.includes(id)) distinct.unshift(id);
  }
  const pairs: Array<[string, string]> = [];
  for (let i = 1; i < distinct.length && pairs.length < bounds.pairs; i++) {
    pairs.push([distinct[i - 1] as string, distinct[i] as string]);
  }
  return { items: distinct, pairs };
}

/** The parts a report for this input carries: those with something to say and a positive weight. */
export function activeParts(input: Pick<ReportInput, 'placements' | 'hasCatalog'>, weights: Partial<EpsilonSplit> = {}): Set<ReportPart> {
  const merged = { ...DEFAULT_EPSILON_SPLIT, ...weights };
  const active = new Set<ReportPart>();
  if (input.placements.length > 0) active.add('engagement');
  active.add('counts');
  active.add('health');
  if (input.hasCatalog) {
    active.add('items');
    active.add('pairs');
  }
  for (const part of active) if (!(merged[part] > 0)) active.delete(part);
  return active;
}

/** Clip and noise one period into a report. Throws when no part is active (there is nothing to spend ε on). */
export function privatizeReport(input: ReportInput, params: PrivacyParams, reportId: string, random: RandomSource): AggregateReport {
  const bounds = CONTRIBUTION_BOUNDS;
  const placements = input.placements.slice(0, MAX_REPORT_PLACEMENTS);
  const active = activeParts({ placements, hasCatalog: input.hasCatalog }, params.split);
  if (active.size === 0) throw new InsituError('invalid_argument', 'no report part is active: every part with data has weight 0');
  const split = splitEpsilon(params.epsilon, active, params.split);

  const report: AggregateReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    reportId,
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    group: input.group,
    epsilon: params.epsilon,
    split,
    bounds: { ...bounds },
  };
  if (split.engagement > 0) {
    const epsilonEach = split.engagement / placements.length;
    const states = placements.map((placement) => {
      const truth = ENGAGEMENT_STATES.indexOf(input.engagement.get(placement) ?? 'none');
      const reported = randomizedResponse(truth, ENGAGEMENT_STATES.length, epsilonEach, random);
      return { placement, state: ENGAGEMENT_STATES[reported] as EngagementState };
    });
    report.engagement = { epsilonEach, states };
  }
  if (split.counts > 0) {
    // Without the engagement part the placements are not reported, so neither are their cells.
    report.counts = noiseCounts(input, split.engagement > 0 ? placements : [], split.counts, bounds, random);
  }
  if (split.health > 0) {
    const trueMode = REPORTED_STORAGE_MODES.indexOf(input.storageMode);
    const reported = randomizedResponse(trueMode < 0 ? REPORTED_STORAGE_MODES.length - 1 : trueMode, REPORTED_STORAGE_MODES.length, split.health, random);
    report.health = { storageMode: REPORTED_STORAGE_MODES[reported] as ReportedStorageMode };
  }
  if (split.items > 0 || split.pairs > 0) {
    const rows = params.sketchRows ?? SKETCH_ROWS;
    const clipped = clipItems(input.items, bounds);
    if (split.items > 0) report.items = sketchAnswer(clipped.items.map(itemKey), bounds.items, rows, split.items, random);
    if (split.pairs > 0) {
      const pairKeys = clipped.pairs.map(([a, b]) => pairKeyFromItemKeys(itemKey(a), itemKey(b)));
      report.pairs = sketchAnswer(pairKeys, bounds.pairs, rows, split.pairs, random);
    }
  }
  return report;
}

function sketchAnswer(keys: number[], padding: number, rows: number, epsilon: number, random: RandomSource): SketchAnswer {
  const width = sketchWidth(epsilon);
  const key = sampleKey(keys, padding, random);
  return { rows, width, padding, ...encodeKey(key, { rows, width, epsilon }, random) };
}

export interface ClippedCounts {
  grid: Array<{ placement: string; arm: DecisionPolicy }>;
  /** Per family, the clipped value of each grid cell (in grid order). */
  cells: Record<CellFamily, number[]>;
  decisions: number;
  deadlineFallbacks: number;
}

/** A device's counts after clipping: what the noise is added to, and the most it can contribute. */
export function clipCounts(input: ReportInput, placements: readonly string[], bounds: ContributionBounds = CONTRIBUTION_BOUNDS): ClippedCounts {
  const grid = placements.flatMap((placement) => ARMS.map((arm) => ({ placement, arm })));
  const cells = {} as Record<CellFamily, number[]>;
  for (const family of CELL_FAMILIES) {
    const raw = grid.map(({ placement, arm }) => {
      const value = input.cells.get(cellKey(placement, arm))?.[family] ?? 0;
      // At most one conversion per placement-arm: a bit, not a count.
      return family === 'conversions' ? Math.min(1, value) : value;
    });
    cells[family] = family === 'reward' ? clipRealsL1(raw, bounds.reward) : clipIntegersL1(raw, bounds[family]);
  }
  return {
    grid,
    cells,
    decisions: clipIntegersL1([input.decisions], bounds.decisions)[0] ?? 0,
    deadlineFallbacks: clipIntegersL1([input.deadlineFallbacks], bounds.deadlineFallbacks)[0] ?? 0,
  };
}

/** The count families of a report: per-cell vectors (one family each) and two health scalars, ε shared equally. */
function noiseCounts(input: ReportInput, placements: readonly string[], epsilon: number, bounds: ContributionBounds, random: RandomSource) {
  const clipped = clipCounts(input, placements, bounds);
  const families = placements.length > 0 ? CELL_FAMILIES.length + 2 : 2;
  const epsilonEach = epsilon / families;
  const cells: NoisedCell[] = [];
  if (placements.length > 0) {
    for (const family of CELL_FAMILIES) {
      const sensitivity = l1Sensitivity(bounds[family], clipped.grid.length);
      const noise = family === 'reward' ? laplaceNoise : geometricNoise;
      clipped.grid.forEach((cell, i) => {
        cells.push({ family, ...cell, value: (clipped.cells[family][i] as number) + noise(epsilonEach, sensitivity, random) });
      });
    }
  }
  const decisions = clipped.decisions + geometricNoise(epsilonEach, bounds.decisions, random);
  const deadlineFallbacks = clipped.deadlineFallbacks + geometricNoise(epsilonEach, bounds.deadlineFallbacks, random);
  return { cells, epsilonEach, decisions, deadlineFallbacks };
}
