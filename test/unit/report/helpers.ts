import type { ConsentState, DecisionPolicy, DecisionRecord, InsituEvent } from '../../../worker/types.js';

export const GRANTED: ConsentState = { personalization: 'granted', metrics: 'granted', sensitive: 'denied' };
export const METRICS_PENDING: ConsentState = { personalization: 'granted', metrics: 'pending', sensitive: 'denied' };
export const METRICS_DENIED: ConsentState = { personalization: 'granted', metrics: 'denied', sensitive: 'denied' };

export const DAY = 24 * 60 * 60 * 1000;
/** 10:00 UTC on 2025-01-01: inside the day period that starts at midnight. */
export const T0 = Date.UTC(2025, 0, 1, 10);

export function manualClock(start = T0) {
  let now = start;
  return {
    now: () => now,
    set(value: number) {
      now = value;
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

let seq = 0;
export function decision(over: Partial<DecisionRecord> & { placement?: string; policy?: DecisionPolicy } = {}): DecisionRecord {
  seq += 1;
  return {
    decisionId: `d${seq}`,
    placement: 'home',
    itemId: 'a',
    propensity: 0.5,
    exploring: false,
    policy: 'personalized',
    reasons: [],
    ts: T0,
    candidates: ['a', 'b'],
    scores: [1, 0],
    probabilities: [0.5, 0.5],
    ...over,
  };
}

export function event(over: Partial<InsituEvent> & { type: string }): InsituEvent {
  seq += 1;
  return { id: `e${seq}`, ts: T0, ...over };
}

export function mean(values: number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

export function sd(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}
