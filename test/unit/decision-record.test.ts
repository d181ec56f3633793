/** The page's view of a logged decision, and the log record of a fallback the page showed itself. */
import { describe, expect, it } from 'vitest';
import { fallbackRecord, publicDecision } from '../../worker/decision-record.js';
import type { Decision, DecisionRecord } from '../../worker/types.js';

const shown: Decision = { decisionId: 'd1', placement: 'home', itemId: 'b', propensity: 1, exploring: false, policy: 'fallback', reasons: ['default'], ts: 5 };

describe('decision records', () => {
  it('a fallback is logged over its candidates with probability 1 on the item shown and no scores', () => {
    const candidates = ['a', 'b', 'c'];
    const record = fallbackRecord(shown, candidates);
    expect(record).toEqual({ ...shown, candidates: ['a', 'b', 'c'], scores: [0, 0, 0], probabilities: [0, 1, 0] });
    expect(record.candidates).not.toBe(candidates);
  });

  it('the page gets a logged decision without its per-candidate arrays', () => {
    const logged: DecisionRecord = { ...shown, policy: 'personalized', candidates: ['a', 'b'], scores: [0.1, 0.9], probabilities: [0.2, 0.8] };
    expect(publicDecision(logged)).toEqual({ ...shown, policy: 'personalized' });
  });
});
