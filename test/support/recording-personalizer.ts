/**
 * A stand-in Personalizer whose whole state is the list of event ids it has learned from, so a
 * test can see exactly what the engine restored, merged and wrote, whatever the real model does.
 * importState refuses anything but its own shape, as the contract asks of a real one.
 */
import { InsituError } from '../../worker/errors.js';
import type { Personalizer, PersonalizerOptions } from '../../worker/engine-types.js';

export interface RecordingPersonalizer extends Personalizer {
  readonly seen: readonly string[];
}

export function isRecordedState(value: unknown): value is { seen: string[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { seen?: unknown }).seen) && (value as { seen: unknown[] }).seen.every((id) => typeof id === 'string');
}

export function createRecordingPersonalizer(options: PersonalizerOptions): RecordingPersonalizer {
  let seen: string[] = [];
  let decisions = 0;
  return {
    get seen() {
      return seen;
    },
    observe(events) {
      for (const event of events) seen.push(event.id);
    },
    rank: (request) => request.candidates.map((itemId, i) => ({ itemId, score: -i })),
    decide(request) {
      if (!request.candidates.length) throw new InsituError('no_candidates', 'no candidates');
      return {
        decisionId: `r${++decisions}`,
        placement: request.placement,
        itemId: request.candidates[0]!,
        propensity: 1,
        exploring: false,
        policy: 'personalized',
        reasons: [],
        ts: options.clock.now(),
        candidates: [...request.candidates],
        scores: request.candidates.map((_, i) => -i),
        probabilities: request.candidates.map((_, i) => (i === 0 ? 1 : 0)),
      };
    },
    reward: () => false,
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
    reset() {
      seen = [];
    },
  };
}
