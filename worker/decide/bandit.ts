/**
 * The exploration policies, with exact probabilities (never estimated by sampling), so every
 * logged decision carries the true propensity of what was shown.
 *
 * SquareCB (Foster & Rakhlin 2020, "Beyond UCB"): with predicted rewards ŷ over K eligible
 * candidates and b = argmax ŷ, every other candidate a gets p_a = 1 / (K + γ·(ŷ_b − ŷ_a)) and b
 * gets the rest. Close runners-up are tried often, clearly worse ones rarely, and the share of
 * exploration shrinks as γ grows with the evidence the device's model has.
 */

/**
 * γ at the first decision. ŷ are click probabilities, so gaps are a few hundredths; at 500 a
 * candidate 0.05 below the best is shown about 1 time in (K + 25): a new user mostly sees the
 * best guess (popularity) while everything keeps some chance.
 */
export const SQUARECB_GAMMA_SCALE = 500;
/**
 * γ = SQUARECB_GAMMA_SCALE·√(1 + n), n the model's evidence: the learning events it has seen
 * (rewards, clicks, ignored showings), decayed with the model's forgetting half-life in time.
 * Exploration shrinks as evidence accumulates and grows back as it is forgotten (after an
 * absence, or when taste may have moved), but never stops.
 */
export function explorationStrength(evidence: number): number {
  return SQUARECB_GAMMA_SCALE * Math.sqrt(1 + evidence);
}

export interface PolicyResult {
  /** Probability per candidate (0 for ineligible ones); sums to 1. */
  probabilities: Float64Array;
  /** The candidate the policy would pick without exploring. */
  greedy: number;
}

/** SquareCB over the eligible candidates. `predicted` are ŷ in [0, 1]. */
export function squareCbPolicy(predicted: Float64Array, eligible: Uint8Array, gamma: number): PolicyResult {
  const probabilities = new Float64Array(predicted.length);
  let greedy = -1;
  let count = 0;
  for (let a = 0; a < predicted.length; a++) {
    if (!eligible[a]) continue;
    count++;
    if (greedy < 0 || predicted[a]! > predicted[greedy]!) greedy = a;
  }
  let others = 0;
  for (let a = 0; a < predicted.length; a++) {
    if (!eligible[a] || a === greedy) continue;
    probabilities[a] = 1 / (count + gamma * (predicted[greedy]! - predicted[a]!));
    others += probabilities[a]!;
  }
  probabilities[greedy] = 1 - others;
  return { probabilities, greedy };
}

/**
 * The non-personalized default (the holdout arm): the most popular eligible candidate; a tie is
 * broken uniformly at random, so each tied candidate has probability 1/ties.
 */
export function popularityPolicy(popularity: Float64Array, eligible: Uint8Array): PolicyResult {
  const probabilities = new Float64Array(popularity.length);
  let best = Number.NEGATIVE_INFINITY;
  let greedy = -1;
  for (let a = 0; a < popularity.length; a++) {
    if (eligible[a] && popularity[a]! > best) {
      best = popularity[a]!;
      greedy = a;
    }
  }
  let ties = 0;
  for (let a = 0; a < popularity.length; a++) if (eligible[a] && popularity[a] === best) ties++;
  for (let a = 0; a < popularity.length; a++) if (eligible[a] && popularity[a] === best) probabilities[a] = 1 / ties;
  return { probabilities, greedy };
}

/** Draw one index from exact probabilities with one uniform number u in [0, 1). */
export function sampleIndex(probabilities: Float64Array, u: number): number {
  let cumulative = 0;
  let last = -1;
  for (let a = 0; a < probabilities.length; a++) {
    if (probabilities[a]! <= 0) continue;
    cumulative += probabilities[a]!;
    last = a;
    if (u < cumulative) return a;
  }
  // Rounding can leave the total a hair under 1: the last possible candidate takes the remainder.
  return last;
}
