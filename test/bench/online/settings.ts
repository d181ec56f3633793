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

/** The placement every simulated decision is made in. */
export const SIM_PLACEMENT = 'sim';
/** Simulated time between rounds: a visitor browsing, one recommendation a minute. */
export const ROUND_MS = 60_000;
/**
 * One decision a day: the engine's frequency caps (3 ignored showings in 24 h) never bind. The
 * ground truth has no ad fatigue, so this shows what the caps cost in a world that does not reward them.
 */
export const DAILY_ROUND_MS = 24 * 60 * 60 * 1000;
/** 2019-11-24, an arbitrary fixed start so runs are reproducible. */
export const START_MS = 1_574_553_600_000;
