/**
 * `decide()` on the page: one call to the engine raced against a deadline. Past the deadline the
 * page shows the fallback at once, and that choice is logged as its own policy (`fallback`,
 * propensity 1) so the learned policy's evaluation stays unbiased.
 */
import { InsituError } from '../worker/errors.js';
import type { Decision } from '../worker/types.js';
import type { DecideOptions } from './types.js';

/** The design's decide() deadline: a hero slot cannot wait longer without the user noticing. */
export const DEFAULT_DECIDE_TIMEOUT_MS = 100;
/** Candidates accepted in one call: a decision is over a slate, not a catalog. */
export const MAX_CANDIDATES = 1_000;
/** Placement names are short identifiers, not payloads. */
export const MAX_PLACEMENT_LENGTH = 128;

export interface CheckedRequest {
  placement: string;
  candidates: string[];
  fallback: string;
  timeoutMs: number;
  context?: Record<string, number>;
}

/** Validate the page's arguments; the caller rejects with the error (bad input is the page's bug, not a fallback). */
export function checkDecideRequest(placement: unknown, options: DecideOptions | undefined, defaultTimeoutMs: number): CheckedRequest | InsituError {
  try {
    return readDecideRequest(placement, options, defaultTimeoutMs);
  } catch {
    // A Proxy trap or a getter threw while the arguments were read.
    return new InsituError('invalid_argument', 'decide() arguments could not be read (a getter or proxy threw)');
  }
}

function readDecideRequest(placement: unknown, options: DecideOptions | undefined, defaultTimeoutMs: number): CheckedRequest | InsituError {
  if (typeof placement !== 'string' || placement.length === 0 || placement.length > MAX_PLACEMENT_LENGTH) {
    return new InsituError('invalid_argument', `placement must be a non-empty string of at most ${MAX_PLACEMENT_LENGTH} characters`);
  }
  const candidates = options?.candidates;
  if (!Array.isArray(candidates) || candidates.length === 0) return new InsituError('no_candidates', 'decide() needs a non-empty candidates array');
  if (candidates.length > MAX_CANDIDATES) return new InsituError('invalid_argument', `at most ${MAX_CANDIDATES} candidates`);
  const ids: string[] = [];
  for (const id of candidates) {
    if (typeof id !== 'string' || id.length === 0 || id.length > 256) return new InsituError('invalid_argument', 'candidates must be non-empty strings');
    ids.push(id);
  }
  const fallback = options?.fallback ?? ids[0]!;
  if (typeof fallback !== 'string') return new InsituError('invalid_argument', 'fallback must be a string');
  const timeoutMs = options?.timeoutMs ?? defaultTimeoutMs;
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) return new InsituError('invalid_argument', 'timeoutMs must be a non-negative number');
  let context: Record<string, number> | undefined;
  if (options?.context !== undefined) {
    if (typeof options.context !== 'object' || options.context === null) return new InsituError('invalid_argument', 'context must be an object of numbers');
    context = {};
    for (const [key, value] of Object.entries(options.context)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) return new InsituError('non_finite_number', `context.${key} must be a finite number`);
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') return new InsituError('forbidden_key', `context key ${key}`);
      context[key] = value;
    }
  }
  return { placement, candidates: ids, fallback, timeoutMs, ...(context ? { context } : {}) };
}

export function fallbackDecision(request: CheckedRequest, decisionId: string, why: string): Decision {
  return {
    decisionId,
    placement: request.placement,
    itemId: request.fallback,
    propensity: 1,
    exploring: false,
    policy: 'fallback',
    reasons: [why],
    ts: Date.now(),
  };
}

/**
 * Resolve with the engine's decision, or undefined at the deadline. Never rejects. `call` can ask
 * whether the deadline has passed (then it should not start the engine's decision at all); an
 * answer that arrives after the deadline goes to `late`, so the caller can withdraw it: the page
 * showed the fallback, and the log must hold what was shown, once.
 */
export function withinDeadline<T>(call: (expired: () => boolean) => Promise<T>, timeoutMs: number, late?: (value: NonNullable<T>) => void): Promise<T | undefined> {
  return new Promise((resolve) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      resolve(undefined);
    }, timeoutMs);
    call(() => expired).then(
      (value) => {
        clearTimeout(timer);
        if (!expired) resolve(value);
        else if (value !== undefined && value !== null) late?.(value);
      },
      () => (clearTimeout(timer), resolve(undefined)),
    );
  });
}
