import { describe, expect, it } from 'vitest';
import { InsituError } from '../../../worker/errors.js';
import { BUDGET_WINDOW_MS, createLedger, PRIVACY_BUDGET_EPSILON } from '../../../worker/report/ledger.js';
import { DAY } from './helpers.js';

const entry = (day: number, epsilon = 1) => ({ periodStart: day * DAY, periodEnd: (day + 1) * DAY, epsilon, recordedAt: (day + 1) * DAY });

describe('privacy-budget ledger', () => {
  it('accepts reports up to the budget in any rolling window, then refuses with the reason', () => {
    const ledger = createLedger();
    const accepted = Array.from({ length: 15 }, (_, day) => ledger.trySpend(entry(day)).ok);
    expect(accepted.filter(Boolean)).toHaveLength(PRIVACY_BUDGET_EPSILON);
    expect(accepted.slice(PRIVACY_BUDGET_EPSILON)).toEqual([false, false, false, false, false]);
    const status = ledger.status(15 * DAY);
    expect(status).toMatchObject({ spent: 10, remaining: 0, exhausted: true });
    expect(status.lastRefusal).toMatchObject({ reason: 'budget_exhausted', epsilon: 1, remaining: 0, periodStart: 14 * DAY });
  });

  it('frees budget once old reports leave the window', () => {
    const ledger = createLedger({ budgetEpsilon: 2 });
    expect(ledger.trySpend(entry(0)).ok).toBe(true);
    expect(ledger.trySpend(entry(1)).ok).toBe(true);
    expect(ledger.trySpend(entry(29)).ok).toBe(false);
    expect(ledger.trySpend(entry(31)).ok).toBe(true);
    // Day 1 is exactly one window away from day 31: only day 31 itself counts.
    expect(ledger.spentAround(31 * DAY)).toBe(1);
    expect(BUDGET_WINDOW_MS).toBe(30 * DAY);
  });

  it('every 30-day window of data stays within the budget, whatever the order of periods', () => {
    const ledger = createLedger({ budgetEpsilon: 3 });
    const days = [5, 40, 6, 41, 7, 8, 42, 20, 43, 60, 35, 36];
    const kept = days.filter((day) => ledger.trySpend(entry(day)).ok);
    for (let start = 0; start < 70; start++) {
      const inWindow = kept.filter((day) => day >= start && day < start + 30).length;
      expect(inWindow).toBeLessThanOrEqual(3);
    }
  });

  it('a report whose ε alone is larger than the budget is refused', () => {
    const ledger = createLedger({ budgetEpsilon: 1 });
    expect(ledger.trySpend(entry(0, 1.5)).ok).toBe(false);
  });

  it('takes in a ledger another tab stored: each period spent once, the budget counts both tabs, refusals kept', () => {
    const here = createLedger({ budgetEpsilon: 3 });
    const there = createLedger({ budgetEpsilon: 3 });
    here.trySpend(entry(0));
    there.trySpend(entry(0));
    there.trySpend(entry(1));
    there.refuse({ periodStart: 2 * DAY, periodEnd: 3 * DAY, reason: 'consent_pending', at: 3 * DAY });
    here.merge(there.exportState());
    expect(here.exportState().entries.map((e) => e.periodStart)).toEqual([0, DAY]);
    expect(here.hasSpent(DAY)).toBe(true);
    expect(here.hasSpent(2 * DAY)).toBe(false);
    expect(here.exportState().refusals).toHaveLength(1);
    here.merge(there.exportState());
    expect(here.exportState().refusals).toHaveLength(1);
    expect(here.trySpend(entry(3)).ok).toBe(true);
    expect(here.trySpend(entry(4)).ok).toBe(false);
    expect(() => here.merge({ version: 99 })).toThrow(InsituError);
  });

  it('round-trips its state and rejects tampering (clean start, never a reset to a bigger budget by accident)', () => {
    const ledger = createLedger();
    ledger.trySpend(entry(0));
    const restored = createLedger();
    restored.importState(JSON.parse(JSON.stringify(ledger.exportState())));
    expect(restored.status(DAY).spent).toBe(1);
    expect(() => restored.importState({ version: 1, entries: [{ ...entry(0), epsilon: -5 }], refusals: [] })).toThrow(InsituError);
    expect(() => restored.importState('nonsense')).toThrow(InsituError);
  });
});
