/**
 * The shapes of an aggregate report: what a device keeps for one report period, and what leaves it
 * once clipped and noised. Only `AggregateReport` ever crosses the network (encoded by otlp.ts).
 */
import type { DecisionPolicy, StorageMode } from '../types.js';

export const REPORT_SCHEMA_VERSION = 1;

/** Every arm a decision can be logged under; the report carries a cell for each, shown or not. */
export const ARMS: readonly DecisionPolicy[] = ['personalized', 'holdout', 'fallback', 'default', 'pinned'];

/**
 * A device's deepest engagement with a placement in one period. Ordered: a conversion counts as
 * engaged even without a logged click, so `clicked` shares are computed over `clicked | converted`.
 */
export const ENGAGEMENT_STATES = ['none', 'shown', 'clicked', 'converted'] as const;
export type EngagementState = (typeof ENGAGEMENT_STATES)[number];

/**
 * Which side of the holdout experiment the device is on. It is a coin the SDK flips once per
 * device, independent of anything the user does, so it is sent as is (as a server-assigned A/B
 * bucket would be); everything behavioural is noised.
 */
export const DEVICE_GROUPS = ['personalized', 'holdout'] as const;
export type DeviceGroup = (typeof DEVICE_GROUPS)[number];

/** Storage health as reported: the engine's mode, or `unknown` when none was observed. */
export const REPORTED_STORAGE_MODES = ['indexeddb', 'kv', 'memory', 'unknown'] as const;
export type ReportedStorageMode = (typeof REPORTED_STORAGE_MODES)[number];
export type { StorageMode };

/** The per-(placement, arm) counts of one period. */
export const CELL_FAMILIES = ['impressions', 'clicks', 'conversions', 'reward'] as const;
export type CellFamily = (typeof CELL_FAMILIES)[number];

/** The parts of a report; each spends its share of the report's epsilon (sequential composition). */
export const REPORT_PARTS = ['engagement', 'counts', 'health', 'items', 'pairs'] as const;
export type ReportPart = (typeof REPORT_PARTS)[number];
export type EpsilonSplit = Record<ReportPart, number>;

/** The clip bounds a report was built with (each device's contribution is at most these). */
export interface ContributionBounds {
  impressions: number;
  clicks: number;
  conversions: number;
  reward: number;
  decisions: number;
  deadlineFallbacks: number;
  items: number;
  pairs: number;
}

/** One noised report from a hashed frequency oracle: the device's single (row, bucket) answer. */
export interface SketchAnswer {
  rows: number;
  width: number;
  /** Each device pads its set to this size and reports one member: estimates are scaled by it. */
  padding: number;
  row: number;
  bucket: number;
}

export interface NoisedCell {
  family: CellFamily;
  placement: string;
  arm: DecisionPolicy;
  /** Noised: may be negative or fractional (reward); unbiased for the clipped value. */
  value: number;
}

/** What leaves the device: every field is either noised, a stated parameter, or the period. */
export interface AggregateReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  /** Random, drawn per report, linked to nothing on the device: it only de-duplicates retries. */
  reportId: string;
  periodStart: number;
  periodEnd: number;
  group: DeviceGroup;
  epsilon: number;
  split: EpsilonSplit;
  bounds: ContributionBounds;
  /** Each part is present exactly when its share of ε is positive. */
  engagement?: { epsilonEach: number; states: Array<{ placement: string; state: EngagementState }> };
  counts?: { epsilonEach: number; cells: NoisedCell[]; decisions: number; deadlineFallbacks: number };
  health?: { storageMode: ReportedStorageMode };
  items?: SketchAnswer;
  pairs?: SketchAnswer;
}
