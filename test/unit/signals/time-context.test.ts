import { describe, expect, it } from 'vitest';
import { InsituError } from '../../../worker/errors.js';
import { createSignalTracker, JOURNEY_STAGES, localTime, signalContext } from '../../../worker/signals/index.js';
import { MINUTE, T0 } from './helpers.js';

describe('time context', () => {
  it('gives local hour and weekday using Date#getTimezoneOffset convention', () => {
    const now = T0 + 30 * MINUTE; // Monday 00:30 UTC
    expect(localTime(now)).toEqual({ hour: 0, weekday: 1 });
    expect(localTime(now, -120)).toEqual({ hour: 2, weekday: 1 }); // UTC+2
    expect(localTime(now, 300)).toEqual({ hour: 19, weekday: 0 }); // UTC−5: still Sunday evening
    // Agrees with Date for whatever zone this process runs in.
    const date = new Date(now);
    expect(localTime(now, date.getTimezoneOffset())).toEqual({ hour: date.getHours(), weekday: date.getDay() });
  });

  it('flows into the signals and their explanation', () => {
    const signals = createSignalTracker().current(T0 + 14 * 60 * MINUTE, -60);
    expect(signals).toMatchObject({ hour: 15, weekday: 1 });
    expect(signals.explanation.at(-1)).toBe('Local time: 15h on a Monday.');
  });

  it('rejects a non-finite time or an offset past ±14 hours', () => {
    expect(() => localTime(Number.NaN)).toThrow(InsituError);
    expect(() => localTime(T0, 15 * 60)).toThrow(InsituError);
    expect(() => createSignalTracker().current(T0, Number.POSITIVE_INFINITY)).toThrow(InsituError);
  });

  it('encodes the signals as bandit context: circular time, one-hot stage', () => {
    const late = signalContext({ ...createSignalTracker().current(T0 + 23 * 60 * MINUTE), engagement: 0.4 });
    const midnight = signalContext(createSignalTracker().current(T0 + 24 * 60 * MINUTE));
    const noon = signalContext(createSignalTracker().current(T0 + 12 * 60 * MINUTE));
    const distance = (a: Record<string, number>, b: Record<string, number>) => Math.hypot(a.hour_sin! - b.hour_sin!, a.hour_cos! - b.hour_cos!);
    expect(distance(late, midnight)).toBeLessThan(distance(late, noon));
    expect(late.engagement).toBe(0.4);
    expect(JOURNEY_STAGES.map((s) => late[`stage_${s}`])).toEqual([1, 0, 0, 0, 0]);
    for (const value of Object.values(late)) expect(Number.isFinite(value)).toBe(true);
  });
});
