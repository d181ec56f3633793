/**
 * The on-device decision maker: content-affinity model + engagement profile over shipped priors,
 * a SquareCB bandit with exact propensities, frequency caps and a holdout arm.
 */
export { createPersonalizer } from './personalizer.js';
export { isInHoldout } from './holdout.js';
export { buildPriors } from './priors.js';
export type { BuildPriorsOptions } from './priors.js';
