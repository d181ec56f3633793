/**
 * The reporter: aggregates a device's decisions and events per report period and, once a period
 * is over, turns it into a clipped, noised, budget-checked OTLP report in the outbox. Pure and
 * synchronous; the engine owns consent, storage (state keys 'reporter' and 'ledger') and timing,
 * and sends the outbox with `deliver()`.
 */
import { InsituError } from '../errors.js';
import type { CatalogItem, Clock, ConsentState, DecisionRecord, InsituEvent, OutboxEntry, RandomSource } from '../types.js';
import { createAggregator, isEmptyPeriod, MIN_REPORT_PERIOD_MS, REPORT_PERIOD_MS, type AggregatorState, type HealthObservation, type PeriodTally } from './aggregator.js';
import { createLedger, type LedgerState, type LedgerStatus } from './ledger.js';
import { encodeReport } from './otlp.js';
import { activeParts, cellKey, MAX_REPORT_EPSILON, MAX_REPORT_PLACEMENTS, privatizeReport, REPORT_EPSILON, type ReportInput } from './privatize.js';
import { REPORT_PARTS, type AggregateReport, type CellFamily, type EpsilonSplit } from './report-types.js';
import { SKETCH_ROWS } from './sketch.js';

/**
 * How long after a period ends its report waits: clicks and conversions on the period's last
 * decisions still count, and reports do not all leave at the stroke of midnight UTC.
 */
export const REPORT_GRACE_MS = 60 * 60 * 1000;

/** A declared placement name: short, plain, the same on every device (it travels in the report). */
export const PLACEMENT_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface ReporterConfig {
  /** Report period (default one day, aligned to UTC midnight so every device shares the periods). */
  periodMs?: number;
  graceMs?: number;
  /** ε of each report (default REPORT_EPSILON). */
  epsilon?: number;
  /** Relative weights of the report parts (default DEFAULT_EPSILON_SPLIT). */
  split?: Partial<EpsilonSplit>;
  budgetEpsilon?: number;
  budgetWindowMs?: number;
  /** The placements the site declares; no other placement is ever reported. */
  placements?: string[];
  catalog?: CatalogItem[];
  /** This device's holdout assignment (a random coin); when absent, inferred from logged decisions. */
  inHoldout?: boolean;
  sketchRows?: number;
}

export interface ReporterStatus {
  epsilonPerReport: number;
  periodMs: number;
  ledger: LedgerStatus;
  /** Periods still being counted (start and end only). */
  pendingPeriods: Array<{ start: number; end: number }>;
}

export interface Reporter {
  observeDecision(record: DecisionRecord): void;
  observeEvent(event: InsituEvent): void;
  observeReward(decisionId: string, value: number): void;
  /** A decision the page never showed (it answered after its deadline): its counts are taken back. */
  forgetDecision(decisionId: string): void;
  observeHealth(health: HealthObservation): void;
  setCatalog(items: CatalogItem[]): void;
  /** React to consent: a `metrics` denial discards everything not yet reported. */
  setConsent(consent: ConsentState): void;
  /** Whether a period is over (grace included) and would be closed by buildDueReports(now). */
  hasDuePeriods(now: number): boolean;
  /** Take in the ledger another page of the device stored: periods it spent on are not built here again. */
  mergeLedger(state: unknown): void;
  /** Close finished periods into noised reports; nothing without `metrics` granted and budget left, nothing for a period already spent on. */
  buildDueReports(now: number, consent: ConsentState): OutboxEntry[];
  status(now: number): ReporterStatus;
  /** Aggregator state (store under 'reporter'). */
  exportState(): AggregatorState;
  importState(state: unknown): void;
  /** Ledger state (store under 'ledger'). */
  exportLedger(): LedgerState;
  importLedger(state: unknown): void;
  /** Forget everything, ledger included (the user's `forget()`). */
  reset(): void;
}

export interface ReporterOptions {
  random: RandomSource;
  clock: Clock;
  config?: ReporterConfig;
}

export interface CatalogIndex {
  ids: ReadonlySet<string>;
  sensitive: ReadonlySet<string>;
}

export function indexCatalog(items: readonly CatalogItem[]): CatalogIndex {
  const valid = Array.isArray(items) ? items.filter((item) => item && typeof item.id === 'string') : [];
  return {
    ids: new Set(valid.map((item) => item.id)),
    sensitive: new Set(valid.filter((item) => typeof item.sensitive === 'string' && item.sensitive.length > 0).map((item) => item.id)),
  };
}

/** Items a report may carry: catalog items only, and sensitive ones only with the `sensitive` purpose. */
export function reportableItems(items: readonly string[], catalog: CatalogIndex, consent: ConsentState): string[] {
  const sensitiveAllowed = consent.sensitive === 'granted';
  return items.filter((id) => catalog.ids.has(id) && (sensitiveAllowed || !catalog.sensitive.has(id)));
}

/** A 128-bit random report id. It is drawn per report and stored nowhere else on the device. */
export function newReportId(random: RandomSource): string {
  let id = '';
  for (let i = 0; i < 4; i++) id += Math.floor(random.next() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return id;
}

export function createReporter({ random, clock, config = {} }: ReporterOptions): Reporter {
  const settings = validateConfig(config);
  const aggregator = createAggregator({ clock, periodMs: settings.periodMs, placements: settings.placements });
  const ledger = createLedger({ budgetEpsilon: settings.budgetEpsilon, windowMs: settings.budgetWindowMs });
  let catalog = indexCatalog([]);

  const setCatalog = (items: CatalogItem[]): void => {
    catalog = indexCatalog(items);
  };
  if (config.catalog) setCatalog(config.catalog);

  const toInput = (period: PeriodTally, consent: ConsentState): ReportInput => {
    const cells = new Map<string, Record<CellFamily, number>>();
    for (const cell of period.cells) cells.set(cellKey(cell.placement, cell.arm), cell);
    return {
      periodStart: period.start,
      periodEnd: period.start + settings.periodMs,
      group: (settings.inHoldout ?? period.holdoutSeen) ? 'holdout' : 'personalized',
      placements: settings.placements,
      engagement: new Map(period.engagement.map((e) => [e.placement, e.state])),
      cells,
      decisions: period.decisions,
      deadlineFallbacks: period.deadlineFallbacks,
      storageMode: period.storageMode ?? 'unknown',
      items: reportableItems(period.items, catalog, consent),
      hasCatalog: catalog.ids.size > 0,
    };
  };

  return {
    observeDecision: (record) => aggregator.observeDecision(record),
    observeEvent: (event) => aggregator.observeEvent(event),
    observeReward: (decisionId, value) => aggregator.observeReward(decisionId, value),
    forgetDecision: (decisionId) => aggregator.forgetDecision(decisionId),
    observeHealth: (health) => aggregator.observeHealth(health),
    setCatalog,

    setConsent(consent) {
      if (consent.metrics === 'denied') aggregator.reset();
    },

    hasDuePeriods: (now) => aggregator.hasDuePeriods(now, settings.graceMs),
    mergeLedger: (state) => ledger.merge(state),

    buildDueReports(now, consent) {
      const entries: OutboxEntry[] = [];
      for (const period of aggregator.takeDuePeriods(now, settings.graceMs)) {
        // Built already by another page of this device (a second tab): once per period, whatever this tab tallied.
        if (isEmptyPeriod(period) || ledger.hasSpent(period.start)) continue;
        const periodEnd = period.start + settings.periodMs;
        if (consent.metrics !== 'granted') {
          // A period that closes while consent is missing is discarded, never kept for a later grant.
          ledger.refuse({ periodStart: period.start, periodEnd, reason: consent.metrics === 'denied' ? 'consent_denied' : 'consent_pending', at: now });
          continue;
        }
        const input = toInput(period, consent);
        // A report with no part to carry would spend ε on nothing.
        if (activeParts(input, settings.split).size === 0) continue;
        const spend = ledger.trySpend({ periodStart: period.start, periodEnd, epsilon: settings.epsilon, recordedAt: now });
        if (!spend.ok) continue;
        const report: AggregateReport = privatizeReport(
          input,
          { epsilon: settings.epsilon, split: settings.split, sketchRows: settings.sketchRows },
          newReportId(random),
          random,
        );
        entries.push({ id: report.reportId, createdAt: now, attempts: 0, nextAttemptAt: now, body: encodeReport(report) });
      }
      return entries;
    },

    status(now) {
      return {
        epsilonPerReport: settings.epsilon,
        periodMs: settings.periodMs,
        ledger: ledger.status(now),
        pendingPeriods: aggregator.pending().map((p) => ({ start: p.start, end: p.start + settings.periodMs })),
      };
    },

    exportState: () => aggregator.exportState(),
    importState: (state) => aggregator.importState(state),
    exportLedger: () => ledger.exportState(),
    importLedger: (state) => ledger.importState(state),
    reset() {
      aggregator.reset();
      ledger.reset();
    },
  };
}

interface ReporterSettings {
  periodMs: number;
  graceMs: number;
  epsilon: number;
  split: Partial<EpsilonSplit>;
  budgetEpsilon: number | undefined;
  budgetWindowMs: number | undefined;
  placements: string[];
  inHoldout: boolean | undefined;
  sketchRows: number;
}

function invalid(message: string): never {
  throw new InsituError('invalid_argument', message);
}

function validateConfig(config: ReporterConfig): ReporterSettings {
  const periodMs = config.periodMs ?? REPORT_PERIOD_MS;
  if (!Number.isInteger(periodMs) || periodMs < MIN_REPORT_PERIOD_MS) invalid(`periodMs must be an integer ≥ ${MIN_REPORT_PERIOD_MS}`);
  const graceMs = config.graceMs ?? REPORT_GRACE_MS;
  if (!Number.isFinite(graceMs) || graceMs < 0 || graceMs > periodMs) invalid('graceMs must be within [0, periodMs]');
  const epsilon = config.epsilon ?? REPORT_EPSILON;
  if (!Number.isFinite(epsilon) || epsilon <= 0 || epsilon > MAX_REPORT_EPSILON) invalid(`epsilon must be in (0, ${MAX_REPORT_EPSILON}]`);
  const split = config.split ?? {};
  for (const part of REPORT_PARTS) {
    const weight = split[part];
    if (weight !== undefined && (!Number.isFinite(weight) || weight < 0)) invalid(`split.${part} must be a non-negative number`);
  }
  if (config.budgetEpsilon !== undefined && !(Number.isFinite(config.budgetEpsilon) && config.budgetEpsilon > 0)) invalid('budgetEpsilon must be positive');
  if (config.budgetWindowMs !== undefined && !(Number.isFinite(config.budgetWindowMs) && config.budgetWindowMs > 0)) invalid('budgetWindowMs must be positive');
  const placements = [...new Set(config.placements ?? [])];
  if (placements.length > MAX_REPORT_PLACEMENTS) invalid(`at most ${MAX_REPORT_PLACEMENTS} placements can be reported`);
  for (const placement of placements) if (typeof placement !== 'string' || !PLACEMENT_PATTERN.test(placement)) invalid(`placement ${JSON.stringify(placement)} is not a plain name`);
  const sketchRows = config.sketchRows ?? SKETCH_ROWS;
  if (!Number.isInteger(sketchRows) || sketchRows < 1 || sketchRows > 4096) invalid('sketchRows must be an integer in [1, 4096]');
  return {
    periodMs,
    graceMs,
    epsilon,
    split,
    budgetEpsilon: config.budgetEpsilon,
    budgetWindowMs: config.budgetWindowMs,
    placements,
    inHoldout: config.inHoldout,
    sketchRows,
  };
}

export { createAggregator, REPORT_PERIOD_MS, type HealthObservation } from './aggregator.js';
export { createLedger, PRIVACY_BUDGET_EPSILON, BUDGET_WINDOW_MS, type LedgerStatus } from './ledger.js';
export { encodeReport } from './otlp.js';
export { deliver, enqueue, withdraw, createMemoryOutbox, MAX_DELIVERY_ATTEMPTS, type Outbox, type DeliveryResult } from './delivery.js';
export { privatizeReport, REPORT_EPSILON, DEFAULT_EPSILON_SPLIT, CONTRIBUTION_BOUNDS } from './privatize.js';
export type { AggregateReport } from './report-types.js';
