/**
 * A stand-in Personalizer for testing the engine's composition (consent, storage, attribution,
 * site rules) apart from the model. It ranks candidates in the order given and its whole state is
 * the list of event ids it has learned from, so a test sees exactly what the engine handed it,
 * restored, merged and wrote, whatever the real model does. It keeps the Personalizer contract:
 * a reward counts once and only for a decision it made; importState refuses anything but its own
 * shape.
 */
import type { EngineParts } from '../../worker/engine.js';
import { InsituError } from '../../worker/errors.js';
import type { Personalizer, PersonalizerOptions } from '../../worker/engine-types.js';
import { createReporting } from '../../worker/reporting.js';
import { applyRules, parseRules } from '../../worker/rules/index.js';

export interface RecordingPersonalizer extends Personalizer {
  /** Ids of the events it observed, in order. */
  readonly seen: readonly string[];
  /** Rewards it accepted, as `[decisionId, value]`. */
  readonly rewards: ReadonlyArray<[string, number]>;
}

export function isRecordedState(value: unknown): value is { seen: string[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { seen?: unknown }).seen) && (value as { seen: unknown[] }).seen.every((id) => typeof id === 'string');
}

export function createRecordingPersonalizer(options: PersonalizerOptions): RecordingPersonalizer {
  let seen: string[] = [];
  const rewards: Array<[string, number]> = [];
  const unrewarded = new Set<string>();
  let decisions = 0;
  return {
    get seen() {
      return seen;
    },
    rewards,
    observe(events) {
      for (const event of events) seen.push(event.id);
    },
    rank: (request) => request.candidates.map((itemId, i) => ({ itemId, score: -i })),
    decide(request) {
      if (!request.candidates.length) throw new InsituError('no_candidates', 'no candidates');
      const decisionId = `r${++decisions}`;
      unrewarded.add(decisionId);
      return {
        decisionId,
        placement: request.placement,
        itemId: request.candidates[0]!,
        propensity: 1,
        exploring: false,
        policy: options.inHoldout ? 'holdout' : 'personalized',
        reasons: [],
        ts: options.clock.now(),
        candidates: [...request.candidates],
        scores: request.candidates.map((_, i) => -i),
        probabilities: request.candidates.map((_, i) => (i === 0 ? 1 : 0)),
      };
    },
    reward(decisionId, value) {
      if (!unrewarded.delete(decisionId)) return false;
      rewards.push([decisionId, value]);
      return true;
    },
    withdraw(decisionId) {
      unrewarded.delete(decisionId);
    },
    explain: () => undefined,
    mute() {},
    unmute() {},
    affinities: () => [],
    setCatalog() {},
    setPriors() {},
    exportState: () => ({ seen: [...seen] }),
    importState(state) {
      if (!isRecordedState(state)) throw new InsituError('storage_unavailable', 'stored model state is not one this personalizer wrote');
      seen = [...state.seen];
    },
    train: async () => undefined,
    compileAhead: () => true,
    reset() {
      seen = [];
    },
  };
}

/** Engine parts that build recording personalizers; `last()` is the one the engine uses now. */
export function recordingParts(extra: Pick<EngineParts, 'retain'> = {}): EngineParts & { last(): RecordingPersonalizer } {
  let last: RecordingPersonalizer | undefined;
  return {
    ...extra,
    createPersonalizer(options) {
      last = createRecordingPersonalizer(options);
      return last;
    },
    isInHoldout: () => false,
    reporting: { createReporting },
    rules: { parseRules, applyRules },
    last: () => last!,
  };
}
