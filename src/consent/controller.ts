/**
 * The consent state the page sees and changes: `consent.get()`, `consent.set()`,
 * `consent.subscribe()`. Explicit calls and the TCF source (tcf.ts) both go through `set()`.
 *
 * - `get()` answers at once with the latest choice. `apply` (the client's hand-off to the engine,
 *   which erases storage on a denial) runs for each change in the order the changes were made,
 *   and subscribers hear a state once its `apply` has settled, so what they hear is in effect.
 * - With Global Privacy Control respected, `metrics` is denied from the start and stays denied:
 *   a `set({ metrics: 'granted' })` (from the page or a CMP) leaves it denied and applies the rest
 *   of the update. Only the site's visible `globalPrivacyControl: 'override'` lifts that.
 * - `set()` with anything but known purposes and values rejects with `invalid_argument` and changes
 *   nothing. Invalid entries in `initial` are left pending (the safe value) rather than thrown.
 * - A subscriber that throws is skipped; it never breaks the page or the other subscribers.
 * - The initial state is not applied here: the client reads it with `get()` when it starts.
 */
import { InsituError } from '../../worker/errors.js';
import { PENDING_CONSENT, PURPOSES, type ConsentState, type ConsentValue, type Purpose } from '../../worker/types.js';
import type { ConsentController } from '../types.js';
import { parseConsentUpdate } from './explicit.js';
import type { GpcState } from './gpc.js';

export interface ConsentControllerOptions {
  initial?: Partial<ConsentState>;
  gpc: GpcState;
  apply: (state: ConsentState) => Promise<void>;
}

export function createConsentController(options: ConsentControllerOptions): ConsentController & { gpcState: GpcState } {
  const gpcDenies = options.gpc === 'respected';
  const listeners = new Set<(state: ConsentState) => void>();

  const withGpc = (state: ConsentState): ConsentState => (gpcDenies ? { ...state, metrics: 'denied' } : state);

  const initial = parseConsentUpdate(options.initial ?? {});
  let state: ConsentState = withGpc({ ...PENDING_CONSENT, ...(initial instanceof InsituError ? validEntries(options.initial) : initial) });
  /** The end of the chain of applies, so changes reach the engine in the order they were made. */
  let applied: Promise<void> = Promise.resolve();

  const notify = (snapshot: ConsentState): void => {
    for (const listener of [...listeners]) {
      try {
        listener({ ...snapshot });
      } catch {
        // A subscriber's bug is its own.
      }
    }
  };

  return {
    gpcState: options.gpc,
    get: () => ({ ...state }),
    set(update) {
      const parsed = parseConsentUpdate(update);
      if (parsed instanceof InsituError) return Promise.reject(parsed);
      const next = withGpc({ ...state, ...parsed });
      if (PURPOSES.every((purpose) => next[purpose] === state[purpose])) return applied;
      state = next;
      const snapshot = { ...next };
      const done = applied.then(async () => {
        await options.apply({ ...snapshot });
        notify(snapshot);
      });
      // A failed apply is reported to its own caller; later changes still go through.
      applied = done.catch(() => undefined);
      return done;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

/** From an `initial` that failed as a whole, the entries that are valid on their own. */
function validEntries(initial: Partial<ConsentState> | undefined): Partial<ConsentState> {
  const valid: Partial<Record<Purpose, ConsentValue>> = {};
  for (const purpose of PURPOSES) {
    const parsed = parseConsentUpdate({ [purpose]: readOnce(initial, purpose) });
    if (!(parsed instanceof InsituError) && parsed[purpose] !== undefined) valid[purpose] = parsed[purpose];
  }
  return valid;
}

function readOnce(source: Partial<ConsentState> | undefined, purpose: Purpose): unknown {
  try {
    return source?.[purpose];
  } catch {
    return undefined;
  }
}
