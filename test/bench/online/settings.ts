/** The simulator's settings, shared by run.ts and anyone re-tuning the anchors. */
import type { SimulationSettings } from './simulate.js';

/**
 * 50 devices × 1000 decisions keeps the run to a minute or two of CPU (insitu builds an engine per device); 10 candidates a decision from
 * a live pool of 200 items (a shelf, not the whole catalog). Drift half way; churn replaces a
 * tenth of the shelf every 50 decisions (the whole shelf is renewed over the run); feedback
 * delayed by 50 decisions in the delayed scenario. A clicked item is consumed (leaves the shelf).
 */
export const SETTINGS: SimulationSettings = {
  users: 50,
  rounds: 1_000,
  candidates: 10,
  poolSize: 200,
  driftAt: 500,
  churnEvery: 50,
  churnShare: 0.1,
  delay: 50,
  consumeOnClick: true,
  seed: 1,
};
