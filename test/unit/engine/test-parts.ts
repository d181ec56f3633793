/**
 * A minimal personalizer for testing the engine's composition (consent, storage, attribution)
 * apart from the model: it ranks candidates in the order given and records what it was told.
 */
import type { EngineParts } from '../../../worker/engine.js';
import { createReporting } from '../../../worker/reporting.js';
import { applyRules, parseRules } from '../../../worker/rules/index.js';
import type { Personalizer, PersonalizerOptions } from '../../../worker/engine-types.js';
import type { InsituEvent } from '../../../worker/types.js';

export interface RecordingPersonalizer extends Personalizer {
  observed: InsituEvent[];
  rewards: Array<[string, number]>;
}

export function recordingParts(): EngineParts & { last(): RecordingPersonalizer } {
  let last: RecordingPersonalizer | undefined;
  return {
    createPersonalizer(options: PersonalizerOptions) {
      let counter = 0;
      const rewarded = new Set<string>();
      const personalizer: RecordingPersonalizer = {
        observed: [],
        rewards: [],
        observe(events) {
          personalizer.observed.push(...events);
        },
        rank: (request) => request.candidates.map((itemId, i) => ({ itemId, score: -i })),
        decide(request) {
          const n = request.candidates.length;
          return {
            decisionId: `dec-${++counter}`,
            placement: request.placement,
            itemId: request.candidates[0]!,
            propensity: 1,
            exploring: false,
            policy: options.inHoldout ? 'holdout' : 'personalized',
            reasons: [],
            ts: options.clock.now(),
            candidates: request.candidates,
            scores: request.candidates.map((_, i) => -i),
            probabilities: Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0)),
          };
        },
        reward(decisionId, value) {
          if (rewarded.has(decisionId)) return false;
          rewarded.add(decisionId);
          personalizer.rewards.push([decisionId, value]);
          return true;
        },
        explain: () => undefined,
        mute() {},
        unmute() {},
        affinities: () => [],
        setCatalog() {},
        setPriors() {},
        exportState: () => ({ observed: personalizer.observed.length }),
        importState() {},
        train: async () => undefined,
        reset() {
          personalizer.observed = [];
        },
      };
      last = personalizer;
      return personalizer;
    },
    isInHoldout: () => false,
    reporting: { createReporting },
    rules: { parseRules, applyRules },
    last: () => last!,
  };
}
