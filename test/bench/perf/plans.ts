/**
 * How much of each series the bench runs. The full plan keeps `npm run bench` (both passes and the
 * build) under about four minutes on the 2-core build machine; the quick plan is the CI check.
 */
import type { Plan } from './measure.js';

export const FULL_PLAN: Plan = {
  trackRuns: 5,
  trackCalls: 4_000,
  trackBatch: 200,
  trackFloorBatch: 10_000,
  decideRuns: 5,
  decides50: 300,
  decides500: 60,
  coldStarts: 9,
  sessionEvents: 10_000,
  sessionDecisions: 200,
  ingestEvents: 0,
  storageEvents: 100_000,
};

/** The 4× throttled pass: fewer runs (each costs up to 4× as much), no 100k storage fill (storage size does not depend on the CPU). */
export const THROTTLED_PLAN: Plan = {
  ...FULL_PLAN,
  trackRuns: 3,
  decideRuns: 3,
  decides50: 200,
  decides500: 40,
  coldStarts: 5,
  ingestEvents: 5_000,
  storageEvents: 0,
};

/** The CI check: about ten seconds. */
export const QUICK_PLAN: Plan = {
  trackRuns: 1,
  trackCalls: 2_000,
  trackBatch: 200,
  trackFloorBatch: 10_000,
  decideRuns: 1,
  decides50: 100,
  decides500: 0,
  coldStarts: 3,
  sessionEvents: 0,
  sessionDecisions: 0,
  ingestEvents: 2_000,
  storageEvents: 0,
};
