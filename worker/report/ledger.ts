/**
 * The device's privacy-budget ledger (stored by the engine under state key 'ledger'). Every
 * report's ε is recorded with its period before the report exists; a report whose ε would take
 * the data of any rolling window past the budget is never built, and the refusal is kept where a
 * person (and the audit panel) can read it.
 */
import { InsituError } from '../errors.js';

/**
 * ε a device may spend on any 30 days of its data. Under sequential composition this bounds what
 * all of its reports together can reveal about that month: at the default ε = 1 per daily report,
 * a device reports on at most 10 days in any 30 (most web users are active on fewer), and the
 * heaviest users, who would otherwise be the most exposed, simply stop reporting until the window
 * rolls on.
 */
export const PRIVACY_BUDGET_EPSILON = 10;

/** The rolling window of the budget. */
export const BUDGET_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

/** Entries kept: two windows of daily reports is all the check ever reads. */
export const MAX_LEDGER_ENTRIES = 120;

/** Refusals kept for the audit panel. */
export const MAX_LEDGER_REFUSALS = 20;

export const LEDGER_STATE_VERSION = 1;

export interface LedgerEntry {
  periodStart: number;
  periodEnd: number;
  epsilon: number;
  /** When the report was built (device clock). */
  recordedAt: number;
}

export type RefusalReason = 'budget_exhausted' | 'consent_denied' | 'consent_pending';

export interface LedgerRefusal {
  periodStart: number;
  periodEnd: number;
  reason: RefusalReason;
  /** What was asked for and what was left, for `budget_exhausted`. */
  epsilon?: number;
  remaining?: number;
  at: number;
}

export interface LedgerState {
  version: typeof LEDGER_STATE_VERSION;
  entries: LedgerEntry[];
  refusals: LedgerRefusal[];
}

export interface LedgerOptions {
  budgetEpsilon?: number;
  windowMs?: number;
}

export interface LedgerStatus {
  budgetEpsilon: number;
  windowMs: number;
  /** ε spent on data within one window of `periodStart` (or of now). */
  spent: number;
  remaining: number;
  exhausted: boolean;
  lastRefusal?: LedgerRefusal;
}

export interface Ledger {
  /** ε already spent within one window either side of the period: the conservative rolling check. */
  spentAround(periodStart: number): number;
  /** Record the report's ε, or refuse (recording why) when it would exceed the budget. */
  trySpend(entry: LedgerEntry): { ok: true } | { ok: false; refusal: LedgerRefusal };
  refuse(refusal: LedgerRefusal): void;
  /** Whether this period's report was already built (its ε is in the ledger). */
  hasSpent(periodStart: number): boolean;
  /**
   * Take in a ledger stored by another page of the device (another tab has its own worker and its
   * own copy): each period's spend is kept once, so the budget counts every report built.
   */
  merge(state: unknown): void;
  status(now: number): LedgerStatus;
  exportState(): LedgerState;
  importState(state: unknown): void;
  reset(): void;
}

/** Floating-point slack so that ten reports of ε = 1 fit a budget of 10. */
const EPSILON_SLACK = 1e-9;

export function createLedger(options: LedgerOptions = {}): Ledger {
  const budget = options.budgetEpsilon ?? PRIVACY_BUDGET_EPSILON;
  const windowMs = options.windowMs ?? BUDGET_WINDOW_MS;
  let state: LedgerState = { version: LEDGER_STATE_VERSION, entries: [], refusals: [] };

  // Any window of length W that holds this period holds only periods within W of it, so keeping
  // the sum within W of each new period under budget keeps every window under budget.
  const spentAround = (periodStart: number): number =>
    state.entries.filter((e) => Math.abs(e.periodStart - periodStart) < windowMs).reduce((sum, e) => sum + e.epsilon, 0);

  const refuse = (refusal: LedgerRefusal): void => {
    state.refusals.push(refusal);
    if (state.refusals.length > MAX_LEDGER_REFUSALS) state.refusals.shift();
  };

  return {
    spentAround,
    trySpend(entry) {
      const spent = spentAround(entry.periodStart);
      if (spent + entry.epsilon > budget + EPSILON_SLACK) {
        const refusal: LedgerRefusal = {
          periodStart: entry.periodStart,
          periodEnd: entry.periodEnd,
          reason: 'budget_exhausted',
          epsilon: entry.epsilon,
          remaining: Math.max(0, budget - spent),
          at: entry.recordedAt,
        };
        refuse(refusal);
        return { ok: false, refusal };
      }
      state.entries.push({ ...entry });
      state.entries = state.entries.filter((e) => e.periodStart > entry.recordedAt - 2 * windowMs).slice(-MAX_LEDGER_ENTRIES);
      return { ok: true };
    },
    refuse,
    hasSpent: (periodStart) => state.entries.some((e) => e.periodStart === periodStart),
    merge(value) {
      const other = parseLedgerState(value);
      const spent = new Set(state.entries.map((e) => e.periodStart));
      const entries = [...state.entries, ...other.entries.filter((e) => !spent.has(e.periodStart))];
      state.entries = entries.sort((a, b) => a.periodStart - b.periodStart).slice(-MAX_LEDGER_ENTRIES);
      const seen = new Set(state.refusals.map((r) => JSON.stringify(r)));
      const refusals = [...state.refusals, ...other.refusals.filter((r) => !seen.has(JSON.stringify(r)))];
      state.refusals = refusals.sort((a, b) => a.at - b.at).slice(-MAX_LEDGER_REFUSALS);
    },
    status(now) {
      const spent = spentAround(Math.floor(now));
      const lastRefusal = state.refusals[state.refusals.length - 1];
      return {
        budgetEpsilon: budget,
        windowMs,
        spent,
        remaining: Math.max(0, budget - spent),
        exhausted: spent >= budget - EPSILON_SLACK,
        ...(lastRefusal ? { lastRefusal: { ...lastRefusal } } : {}),
      };
    },
    exportState: () => JSON.parse(JSON.stringify(state)) as LedgerState,
    importState(value) {
      state = { version: LEDGER_STATE_VERSION, entries: [], refusals: [] };
      state = parseLedgerState(value);
    },
    reset() {
      state = { version: LEDGER_STATE_VERSION, entries: [], refusals: [] };
    },
  };
}

function reject(why: string): never {
  throw new InsituError('invalid_argument', `ledger state rejected: ${why}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const REASONS: readonly RefusalReason[] = ['budget_exhausted', 'consent_denied', 'consent_pending'];

export function parseLedgerState(value: unknown): LedgerState {
  if (!isRecord(value) || value.version !== LEDGER_STATE_VERSION) reject('unknown version');
  if (!Array.isArray(value.entries) || value.entries.length > MAX_LEDGER_ENTRIES) reject('entries');
  if (!Array.isArray(value.refusals) || value.refusals.length > MAX_LEDGER_REFUSALS) reject('refusals');
  const entries = value.entries.map((e: unknown): LedgerEntry => {
    if (!isRecord(e) || !isTime(e.periodStart) || !isTime(e.periodEnd) || !isTime(e.recordedAt)) reject('entry');
    if (typeof e.epsilon !== 'number' || !(e.epsilon > 0) || !Number.isFinite(e.epsilon)) reject('entry epsilon');
    return { periodStart: e.periodStart, periodEnd: e.periodEnd, epsilon: e.epsilon, recordedAt: e.recordedAt };
  });
  const refusals = value.refusals.map((r: unknown): LedgerRefusal => {
    if (!isRecord(r) || !isTime(r.periodStart) || !isTime(r.periodEnd) || !isTime(r.at)) reject('refusal');
    if (!REASONS.includes(r.reason as RefusalReason)) reject('refusal reason');
    const refusal: LedgerRefusal = { periodStart: r.periodStart, periodEnd: r.periodEnd, reason: r.reason as RefusalReason, at: r.at };
    if (isTime(r.epsilon)) refusal.epsilon = r.epsilon;
    if (isTime(r.remaining)) refusal.remaining = r.remaining;
    return refusal;
  });
  return { version: LEDGER_STATE_VERSION, entries, refusals };
}
