/**
 * The device-side tally of one report period: per declared placement and arm, decisions shown,
 * clicked, converted and rewarded; the device's deepest engagement per placement; engine health;
 * and the catalog items engaged with. Nothing here is noised yet and nothing here leaves the
 * device: privatize.ts clips and noises a finished period into a report.
 *
 * State is plain JSON (arrays, no keyed objects) so a placement or item id such as `__proto__`
 * is just a string.
 */
import { InsituError } from '../errors.js';
import type { Clock, DecisionPolicy, DecisionRecord, InsituEvent, StorageMode } from '../types.js';
import { ARMS, ENGAGEMENT_STATES, type CellFamily, type EngagementState } from './report-types.js';

/** One day: reports describe a day of use, and no timestamp finer than that leaves the device. */
export const REPORT_PERIOD_MS = 24 * 60 * 60 * 1000;

/** Shortest allowed period: finer periods would make the period bounds themselves a timestamp. */
export const MIN_REPORT_PERIOD_MS = 60 * 60 * 1000;

/** Unreported periods kept (a device offline for longer loses its oldest ones, which is private by default). */
export const MAX_PENDING_PERIODS = 8;

/** Decisions remembered for attributing clicks, conversions and rewards to their placement and arm. */
export const MAX_TRACKED_DECISIONS = 500;

/** Distinct engaged items remembered per period (the report keeps at most the bound's M of them). */
export const MAX_TRACKED_ITEMS = 32;

/** An event stamped further ahead than this is counted at the reporter's own clock instead. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Events that show interest in an item (feeding the catalog priors); impressions and scrolls do not. */
export const ENGAGEMENT_EVENT_TYPES: readonly string[] = ['view', 'click', 'dwell', 'convert'];

export const AGGREGATOR_STATE_VERSION = 1;

export interface CellTally extends Record<CellFamily, number> {
  placement: string;
  arm: DecisionPolicy;
}

export interface PeriodTally {
  start: number;
  cells: CellTally[];
  engagement: Array<{ placement: string; state: EngagementState }>;
  /** Distinct item ids engaged with, oldest first. */
  items: string[];
  decisions: number;
  deadlineFallbacks: number;
  storageMode: StorageMode | null;
  holdoutSeen: boolean;
}

interface TrackedDecision {
  id: string;
  placement: string;
  arm: DecisionPolicy;
  itemId: string;
  periodStart: number;
  clicked: boolean;
  converted: boolean;
  rewarded: boolean;
}

export interface AggregatorState {
  version: typeof AGGREGATOR_STATE_VERSION;
  periodMs: number;
  /** Everything before this instant was reported or discarded: late observations are dropped. */
  closedThrough: number;
  periods: PeriodTally[];
  decisions: TrackedDecision[];
}

export interface HealthObservation {
  /** Decisions the page served from its fallback because the worker missed the deadline. */
  deadlineFallbacks?: number;
  storageMode?: StorageMode;
}

export interface AggregatorOptions {
  clock: Clock;
  periodMs: number;
  placements: readonly string[];
}

export interface Aggregator {
  observeDecision(record: DecisionRecord): void;
  observeEvent(event: InsituEvent): void;
  observeReward(decisionId: string, value: number): void;
  /** A decision the page never showed (it answered after its deadline): its counts are taken back. */
  forgetDecision(decisionId: string): void;
  observeHealth(health: HealthObservation): void;
  /** Remove and return every period that ended at least `graceMs` before `now`, oldest first. */
  takeDuePeriods(now: number, graceMs: number): PeriodTally[];
  /** Whether takeDuePeriods(now, graceMs) would return any. */
  hasDuePeriods(now: number, graceMs: number): boolean;
  pending(): readonly PeriodTally[];
  exportState(): AggregatorState;
  importState(state: unknown): void;
  reset(): void;
}

const STORAGE_MODES: readonly StorageMode[] = ['indexeddb', 'kv', 'memory'];

export function createAggregator(options: AggregatorOptions): Aggregator {
  const { clock, periodMs } = options;
  const declared = new Set(options.placements);
  let state = emptyState(periodMs);

  /** A period is due once it has ended and its grace has passed. */
  const isDue = (period: PeriodTally, now: number, graceMs: number): boolean => period.start + periodMs + graceMs <= now;

  const periodStartOf = (ts: unknown): number => {
    const now = clock.now();
    const at = typeof ts === 'number' && Number.isFinite(ts) && ts <= now + MAX_CLOCK_SKEW_MS ? ts : now;
    return Math.floor(at / periodMs) * periodMs;
  };

  /** The tally for a period, opened on demand; undefined when the period is already closed. */
  const periodAt = (start: number): PeriodTally | undefined => {
    if (start < state.closedThrough) return undefined;
    let period = state.periods.find((p) => p.start === start);
    if (!period) {
      period = emptyPeriod(start);
      state.periods.push(period);
      state.periods.sort((a, b) => a.start - b.start);
      while (state.periods.length > MAX_PENDING_PERIODS) {
        const dropped = state.periods.shift() as PeriodTally;
        state.closedThrough = Math.max(state.closedThrough, dropped.start + periodMs);
      }
      if (start < state.closedThrough) return undefined;
    }
    return period;
  };

  const cellOf = (period: PeriodTally, placement: string, arm: DecisionPolicy): CellTally => {
    let cell = period.cells.find((c) => c.placement === placement && c.arm === arm);
    if (!cell) {
      cell = { placement, arm, impressions: 0, clicks: 0, conversions: 0, reward: 0 };
      period.cells.push(cell);
    }
    return cell;
  };

  const raiseEngagement = (period: PeriodTally, placement: string, state: EngagementState): void => {
    const entry = period.engagement.find((e) => e.placement === placement);
    if (!entry) period.engagement.push({ placement, state });
    else if (ENGAGEMENT_STATES.indexOf(state) > ENGAGEMENT_STATES.indexOf(entry.state)) entry.state = state;
  };

  const findDecision = (event: InsituEvent): TrackedDecision | undefined => {
    if (typeof event.decisionId === 'string') return state.decisions.find((d) => d.id === event.decisionId);
    if (typeof event.placement !== 'string' || typeof event.itemId !== 'string') return undefined;
    for (let i = state.decisions.length - 1; i >= 0; i--) {
      const d = state.decisions[i] as TrackedDecision;
      if (d.placement === event.placement && d.itemId === event.itemId) return d;
    }
    return undefined;
  };

  /** The decision's own period and cell, when both are still open and the placement is declared. */
  const decisionCell = (decision: TrackedDecision): { period: PeriodTally; cell: CellTally } | undefined => {
    if (!declared.has(decision.placement)) return undefined;
    const period = decision.periodStart >= state.closedThrough ? state.periods.find((p) => p.start === decision.periodStart) : undefined;
    return period ? { period, cell: cellOf(period, decision.placement, decision.arm) } : undefined;
  };

  return {
    observeDecision(record) {
      if (!record || typeof record.decisionId !== 'string' || typeof record.placement !== 'string') return;
      if (!ARMS.includes(record.policy)) return;
      if (state.decisions.some((d) => d.id === record.decisionId)) return;
      const period = periodAt(periodStartOf(record.ts));
      if (!period) return;
      period.decisions += 1;
      if (record.policy === 'holdout') period.holdoutSeen = true;
      state.decisions.push({
        id: record.decisionId,
        placement: record.placement,
        arm: record.policy,
        itemId: typeof record.itemId === 'string' ? record.itemId : '',
        periodStart: period.start,
        clicked: false,
        converted: false,
        rewarded: false,
      });
      if (state.decisions.length > MAX_TRACKED_DECISIONS) state.decisions.shift();
      if (declared.has(record.placement)) {
        cellOf(period, record.placement, record.policy).impressions += 1;
        raiseEngagement(period, record.placement, 'shown');
      }
    },

    observeEvent(event) {
      if (!event || typeof event.type !== 'string') return;
      const period = periodAt(periodStartOf(event.ts));
      if (!period) return;
      if (ENGAGEMENT_EVENT_TYPES.includes(event.type) && typeof event.itemId === 'string' && event.itemId.length > 0) {
        const at = period.items.indexOf(event.itemId);
        if (at >= 0) period.items.splice(at, 1);
        period.items.push(event.itemId);
        if (period.items.length > MAX_TRACKED_ITEMS) period.items.shift();
      }
      if (event.type !== 'click' && event.type !== 'convert') return;
      const decision = findDecision(event);
      if (!decision) return;
      const target = decisionCell(decision);
      if (event.type === 'click' && !decision.clicked) {
        decision.clicked = true;
        if (target) {
          target.cell.clicks += 1;
          raiseEngagement(target.period, decision.placement, 'clicked');
        }
      } else if (event.type === 'convert' && !decision.converted) {
        decision.converted = true;
        if (target) {
          target.cell.conversions += 1;
          raiseEngagement(target.period, decision.placement, 'converted');
        }
      }
    },

    observeReward(decisionId, value) {
      if (typeof value !== 'number' || !Number.isFinite(value)) return;
      const decision = state.decisions.find((d) => d.id === decisionId);
      if (!decision || decision.rewarded) return;
      decision.rewarded = true;
      const target = decisionCell(decision);
      if (target) target.cell.reward += Math.min(1, Math.max(0, value));
    },

    forgetDecision(decisionId) {
      const at = state.decisions.findIndex((d) => d.id === decisionId);
      if (at < 0) return;
      const decision = state.decisions[at]!;
      state.decisions.splice(at, 1);
      const period = decision.periodStart >= state.closedThrough ? state.periods.find((p) => p.start === decision.periodStart) : undefined;
      if (!period) return;
      period.decisions = Math.max(0, period.decisions - 1);
      if (declared.has(decision.placement)) {
        const cell = cellOf(period, decision.placement, decision.arm);
        cell.impressions = Math.max(0, cell.impressions - 1);
      }
    },

    observeHealth(health) {
      const period = periodAt(periodStartOf(undefined));
      if (!period || !health) return;
      const fallbacks = health.deadlineFallbacks;
      if (typeof fallbacks === 'number' && Number.isFinite(fallbacks) && fallbacks > 0) period.deadlineFallbacks += Math.floor(fallbacks);
      if (health.storageMode && STORAGE_MODES.includes(health.storageMode)) period.storageMode = health.storageMode;
    },

    hasDuePeriods(now, graceMs) {
      return state.periods.some((p) => isDue(p, now, graceMs));
    },

    takeDuePeriods(now, graceMs) {
      const due = state.periods.filter((p) => isDue(p, now, graceMs));
      if (due.length === 0) return [];
      state.periods = state.periods.filter((p) => !due.includes(p));
      state.closedThrough = Math.max(state.closedThrough, ...due.map((p) => p.start + periodMs));
      state.decisions = state.decisions.filter((d) => d.periodStart >= state.closedThrough);
      return due;
    },

    pending: () => state.periods,

    exportState: () => structuredCloneState(state),

    importState(value) {
      state = emptyState(periodMs);
      state = parseAggregatorState(value, periodMs);
    },

    reset() {
      state = emptyState(periodMs);
    },
  };
}

function emptyState(periodMs: number): AggregatorState {
  return { version: AGGREGATOR_STATE_VERSION, periodMs, closedThrough: 0, periods: [], decisions: [] };
}

function emptyPeriod(start: number): PeriodTally {
  return { start, cells: [], engagement: [], items: [], decisions: 0, deadlineFallbacks: 0, storageMode: null, holdoutSeen: false };
}

/** A period with nothing in it is not reported (and spends no budget). */
export function isEmptyPeriod(period: PeriodTally): boolean {
  return period.decisions === 0 && period.items.length === 0 && period.deadlineFallbacks === 0 && period.cells.length === 0;
}

function structuredCloneState(state: AggregatorState): AggregatorState {
  return JSON.parse(JSON.stringify(state)) as AggregatorState;
}

// ---------------------------------------------------------------------------------------------
// Validation of stored state: anything off is rejected whole, and the caller starts clean.

function reject(why: string): never {
  throw new InsituError('invalid_argument', `reporter state rejected: ${why}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;
const isNonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isShortString = (v: unknown): v is string => typeof v === 'string' && v.length <= 1024;

export function parseAggregatorState(value: unknown, periodMs: number): AggregatorState {
  if (!isRecord(value)) reject('not an object');
  if (value.version !== AGGREGATOR_STATE_VERSION) reject('unknown version');
  if (value.periodMs !== periodMs) reject('report period changed');
  if (!isCount(value.closedThrough)) reject('closedThrough');
  if (!Array.isArray(value.periods) || value.periods.length > MAX_PENDING_PERIODS) reject('periods');
  if (!Array.isArray(value.decisions) || value.decisions.length > MAX_TRACKED_DECISIONS) reject('decisions');
  const periods = value.periods.map(parsePeriod);
  const decisions = value.decisions.map(parseDecision);
  return { version: AGGREGATOR_STATE_VERSION, periodMs, closedThrough: value.closedThrough, periods, decisions };
}

function parsePeriod(value: unknown): PeriodTally {
  if (!isRecord(value)) reject('period');
  const { start, cells, engagement, items, decisions, deadlineFallbacks, storageMode, holdoutSeen } = value;
  if (!isCount(start) || !isCount(decisions) || !isCount(deadlineFallbacks) || typeof holdoutSeen !== 'boolean') reject('period fields');
  if (storageMode !== null && !STORAGE_MODES.includes(storageMode as StorageMode)) reject('storage mode');
  if (!Array.isArray(items) || items.length > MAX_TRACKED_ITEMS || !items.every(isShortString)) reject('items');
  if (!Array.isArray(cells) || cells.length > 1000) reject('cells');
  if (!Array.isArray(engagement) || engagement.length > 1000) reject('engagement');
  return {
    start,
    decisions,
    deadlineFallbacks,
    holdoutSeen,
    storageMode: storageMode as StorageMode | null,
    items: [...(items as string[])],
    cells: cells.map((c: unknown) => {
      if (!isRecord(c) || !isShortString(c.placement) || !ARMS.includes(c.arm as DecisionPolicy)) reject('cell');
      if (!isCount(c.impressions) || !isCount(c.clicks) || !isCount(c.conversions) || !isNonNegative(c.reward)) reject('cell counts');
      return { placement: c.placement, arm: c.arm as DecisionPolicy, impressions: c.impressions, clicks: c.clicks, conversions: c.conversions, reward: c.reward };
    }),
    engagement: engagement.map((e: unknown) => {
      if (!isRecord(e) || !isShortString(e.placement) || !ENGAGEMENT_STATES.includes(e.state as EngagementState)) reject('engagement entry');
      return { placement: e.placement, state: e.state as EngagementState };
    }),
  };
}

function parseDecision(value: unknown): TrackedDecision {
  if (!isRecord(value)) reject('decision');
  const { id, placement, arm, itemId, periodStart, clicked, converted, rewarded } = value;
  if (!isShortString(id) || !isShortString(placement) || !isShortString(itemId) || !ARMS.includes(arm as DecisionPolicy)) reject('decision fields');
  if (!isCount(periodStart) || typeof clicked !== 'boolean' || typeof converted !== 'boolean' || typeof rewarded !== 'boolean') reject('decision flags');
  return { id, placement, arm: arm as DecisionPolicy, itemId, periodStart, clicked, converted, rewarded };
}
