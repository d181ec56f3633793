/**
 * One decision: caps decide who is eligible, the scorer scores, the policy (SquareCB, or the
 * popularity default for holdout devices) gives exact probabilities, one uniform draw picks.
 */
import { InsituError } from '../errors.js';
import { randomId } from '../seeded-random.js';
import type { ConsentValue, DecideRequest, DecisionRecord, RandomSource } from '../types.js';
import { explorationStrength, popularityPolicy, sampleIndex, squareCbPolicy } from './bandit.js';
import { itemLabel } from './catalog.js';
import { sigmoid } from './content-model.js';
import { contextFeatures, type ContextFeature } from './features.js';
import type { Parts } from './personalizer.js';
import { describeReasons, scoreDrivers, type Driver } from './reasons.js';
import { defaultScore, personalizedScore } from './scorer.js';
import { MAX_DECIDE_CANDIDATES } from './state.js';

export interface DecisionContext {
  inHoldout: boolean;
  now: number;
  random: RandomSource;
  consentSensitive: ConsentValue;
}

export function chooseItem(parts: Parts, request: DecideRequest, context: DecisionContext): { record: DecisionRecord; drivers: Driver[]; features: ContextFeature[] } {
  const { candidates, placement } = request;
  if (candidates.length === 0) throw new InsituError('no_candidates', 'decide() needs at least one candidate');
  if (candidates.length > MAX_DECIDE_CANDIDATES) throw new InsituError('invalid_argument', `at most ${MAX_DECIDE_CANDIDATES} candidates`);
  if (new Set(candidates).size !== candidates.length) throw new InsituError('invalid_argument', 'candidates must not repeat');
  const { now, random } = context;
  const features = contextFeatures(request.context);
  parts.learner.settle(now);
  parts.model.forget(now);

  const count = candidates.length;
  const index = new Int32Array(count);
  for (let a = 0; a < count; a++) index[a] = parts.catalog.indexOf.get(candidates[a]!) ?? -1;
  const { eligible, capped } = parts.caps.eligibility(placement, candidates, now);

  const scores = new Float64Array(count);
  let policyResult;
  if (context.inHoldout) {
    for (let a = 0; a < count; a++) scores[a] = defaultScore(parts, index[a]!);
    policyResult = popularityPolicy(scores, eligible);
  } else {
    const predicted = new Float64Array(count);
    for (let a = 0; a < count; a++) {
      scores[a] = personalizedScore(parts, index[a]!, features);
      predicted[a] = sigmoid(scores[a]!);
    }
    policyResult = squareCbPolicy(predicted, eligible, explorationStrength(parts.model.evidence));
  }
  const { probabilities, greedy } = policyResult;
  const decisionId = randomId(random, 'dec-');
  const chosen = sampleIndex(probabilities, random.next());
  const itemId = candidates[chosen]!;
  const item = index[chosen]!;
  const exploring = !context.inHoldout && scores[chosen]! < scores[greedy]!;

  const drivers = context.inHoldout ? scoreDrivers(parts, parts.space, parts.catalog.items, item).filter((d) => d.kind === 'popularity') : scoreDrivers(parts, parts.space, parts.catalog.items, item, features);
  const withheld = item >= 0 && parts.catalog.sensitive[item] && context.consentSensitive !== 'granted' && !context.inHoldout;
  const reasons = describeReasons({
    policy: context.inHoldout ? 'holdout' : 'personalized',
    label: itemLabel(parts.catalog.items[item], itemId),
    drivers,
    exploring,
    probability: probabilities[chosen]!,
    capped,
    ...(withheld ? { withheldCategory: parts.catalog.items[item]!.sensitive! } : {}),
  });

  parts.caps.record(placement, itemId, now);
  if (item >= 0 && parts.learnable(item)) parts.learner.addPending(item, itemId, placement, now, decisionId, features);
  const record: DecisionRecord = {
    decisionId,
    placement,
    itemId,
    propensity: probabilities[chosen]!,
    exploring,
    policy: context.inHoldout ? 'holdout' : 'personalized',
    reasons,
    ts: now,
    candidates: [...candidates],
    scores: Array.from(scores),
    probabilities: Array.from(probabilities),
  };
  return { record, drivers, features };
}
