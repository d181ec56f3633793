/**
 * A small, honest Personalizer for testing the React Native client through the real engine
 * composition (worker/engine.ts): it scores an item by its clicks, decides greedily with
 * propensity 1, and keeps its counts as JSON state, so persistence across restarts is visible.
 */
import { InsituError } from '../../../worker/errors.js';
import type { Explanation, Personalizer, PersonalizerOptions } from '../../../worker/engine-types.js';
import type { DecisionRecord } from '../../../worker/types.js';

export function createClickCountPersonalizer(options: PersonalizerOptions): Personalizer {
  let clicks: Record<string, number> = {};
  const decisions = new Map<string, DecisionRecord>();
  let sequence = 0;
  const score = (id: string) => clicks[id] ?? 0;

  const personalizer: Personalizer = {
    observe(events) {
      for (const event of events) if (event.type === 'click' && event.itemId) clicks[event.itemId] = score(event.itemId) + 1;
    },
    rank({ candidates, k }) {
      const ranked = candidates.map((itemId) => ({ itemId, score: score(itemId) })).sort((a, b) => b.score - a.score);
      return k === undefined ? ranked : ranked.slice(0, k);
    },
    decide({ placement, candidates }) {
      if (candidates.length === 0) throw new InsituError('no_candidates', 'no candidates');
      const [best] = personalizer.rank({ placement, candidates });
      const record: DecisionRecord = {
        decisionId: `dec-${++sequence}`,
        placement,
        itemId: best!.itemId,
        propensity: 1,
        exploring: false,
        policy: options.inHoldout ? 'holdout' : 'personalized',
        reasons: [`clicked ${best!.score} times`],
        ts: options.clock.now(),
        candidates,
        scores: candidates.map(score),
        probabilities: candidates.map((id) => (id === best!.itemId ? 1 : 0)),
      };
      decisions.set(record.decisionId, record);
      return record;
    },
    reward(decisionId) {
      return decisions.delete(decisionId);
    },
    withdraw(decisionId) {
      decisions.delete(decisionId);
    },
    explain(decisionId): Explanation | undefined {
      const record = decisions.get(decisionId);
      if (!record) return undefined;
      return {
        decisionId,
        itemId: record.itemId,
        policy: record.policy,
        exploring: false,
        propensity: 1,
        reasons: record.reasons,
        alternatives: record.candidates.map((itemId, i) => ({ itemId, score: record.scores[i]!, probability: record.probabilities[i]! })),
        drivers: [],
      };
    },
    mute: () => undefined,
    unmute: () => undefined,
    affinities: () => [],
    setCatalog: () => undefined,
    setPriors: () => undefined,
    exportState: () => ({ clicks: { ...clicks } }),
    importState(state) {
      const value = (state as { clicks?: unknown } | undefined)?.clicks;
      if (typeof value !== 'object' || value === null) throw new InsituError('invalid_argument', 'bad state');
      clicks = { ...(value as Record<string, number>) };
    },
    train: async () => undefined,
    compileAhead: () => true,
    reset() {
      clicks = {};
      decisions.clear();
    },
  };
  return personalizer;
}
