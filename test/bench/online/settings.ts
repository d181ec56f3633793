/** The simulator's settings, shared by run.ts and anyone re-tuning the anchors. */
import type { SimulationSettings } from './simulate.js';

/**
 * 100 devices × 1000 decisions keeps the run under a minute of CPU; 10 candidates a decision from
 * a live pool of 200 items (a shelf, not the whole catalog). Drift half way; churn replaces a
 * tenth of the shelf every 50 decisions (the whole shelf is renewed over the run); feedback
 * delayed by 50 decisions in the delayed scenario.
 */
export const SETTINGS: SimulationSettings = {
  users: 100,
  rounds: 1_000,
  candidates: 10,
  poolSize: 200,
  driftAt: 500,
  churnEvery: 50,
  churnShare: 0.1,
  delay: 50,
  seed: 1,
};
