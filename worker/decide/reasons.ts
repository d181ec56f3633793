/**
 * Why an item was shown, in words a person understands: which tags and which items they engaged
 * with drove the score, whether it was exploration, and which rules (holdout, caps, sensitive
 * items) shaped the choice.
 */
import type { Explanation } from '../engine-types.js';
import type { CatalogItem, DecisionPolicy } from '../types.js';
import { itemLabel } from './catalog.js';
import { FREQUENCY_CAP_SHOWS } from './caps.js';
import { itemRow, type ContextFeature, type FeatureSpace } from './features.js';
import { neighbourPart, scoreParts, type ScoringState } from './scorer.js';

/** Drivers named in reasons and explanations; more would read as noise. */
export const MAX_DRIVERS_PER_KIND = 3;
/** Contributions smaller than this (in logits) are not worth naming. */
export const MIN_DRIVER_WEIGHT = 0.05;

export type Driver = Explanation['drivers'][number];

/** What drove item `item`'s score, strongest first. */
export function scoreDrivers(state: ScoringState, space: FeatureSpace, items: CatalogItem[], item: number, context: readonly ContextFeature[] = []): Driver[] {
  if (item < 0) return [];
  const drivers: Driver[] = [];
  const parts = scoreParts(state, item, context);
  if (parts.popularity >= MIN_DRIVER_WEIGHT) drivers.push({ kind: 'popularity', label: 'popular with other visitors', weight: parts.popularity });
  if (!parts.learned) return drivers;
  const { indices, values } = itemRow(space, item);
  const tags: Driver[] = [];
  let embedding = 0;
  for (let k = 0; k < indices.length; k++) {
    const f = indices[k]!;
    if (state.model.mask[f]) continue;
    const contribution = state.model.weights[f]! * values[k]!;
    if (f < space.textOffset) tags.push({ kind: 'tag', label: space.tags[f]!, weight: contribution });
    else if (f >= space.embeddingOffset) embedding += contribution;
  }
  tags.sort((a, b) => b.weight - a.weight);
  drivers.push(...tags.filter((d) => d.weight >= MIN_DRIVER_WEIGHT).slice(0, MAX_DRIVERS_PER_KIND));
  if (embedding >= MIN_DRIVER_WEIGHT) drivers.push({ kind: 'embedding', label: 'similar to what you engaged with', weight: embedding });
  if (parts.context >= MIN_DRIVER_WEIGHT) drivers.push({ kind: 'context', label: 'what you chose in a similar situation', weight: parts.context });
  const nb = state.profile.neighbourScore(item);
  if (nb > 0) {
    const total = neighbourPart(state.model, nb);
    for (const { source, contribution } of state.profile.contributors(item, MAX_DRIVERS_PER_KIND)) {
      const weight = (total * contribution) / nb;
      if (weight >= MIN_DRIVER_WEIGHT) drivers.push({ kind: 'neighbour', label: itemLabel(items[source], items[source]?.id ?? ''), weight });
    }
  }
  return drivers.sort((a, b) => b.weight - a.weight);
}

export interface ReasonInput {
  policy: DecisionPolicy;
  label: string;
  drivers: Driver[];
  exploring: boolean;
  probability: number;
  /** Candidates left out by frequency caps. */
  capped: number;
  /** The sensitive category of the chosen item when learned affinity was withheld from it. */
  withheldCategory?: string;
}

const quote = (text: string) => `“${text}”`;
const list = (words: string[]) => (words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`);
const percent = (p: number) => (p >= 0.01 ? `${Math.round(p * 100)}%` : 'under 1%');

export function describeReasons(input: ReasonInput): string[] {
  const reasons: string[] = [];
  if (input.policy === 'holdout') {
    reasons.push(`${quote(input.label)} is one of the most popular choices here.`);
    reasons.push('This device is in the comparison group that gets choices not personalized, so the benefit of personalization can be measured.');
  } else {
    if (input.exploring) {
      reasons.push(
        `Shown to explore: ${quote(input.label)} is not the top pick for you right now; trying other items now and then (this one had a ${percent(input.probability)} chance) keeps recommendations from getting stuck.`,
      );
    }
    const neighbours = input.drivers.filter((d) => d.kind === 'neighbour').map((d) => quote(d.label));
    const tags = input.drivers.filter((d) => d.kind === 'tag').map((d) => d.label);
    if (neighbours.length) reasons.push(`Because you engaged with ${list(neighbours)}.`);
    if (tags.length) reasons.push(`Matches your interest in ${list(tags)}.`);
    if (input.drivers.some((d) => d.kind === 'embedding')) reasons.push('Similar in content to items you engaged with.');
    if (input.drivers.some((d) => d.kind === 'context')) reasons.push('Fits what you chose before in a similar situation (device, time of day or what the page said about this visit).');
    if (!neighbours.length && !tags.length && !input.drivers.some((d) => d.kind === 'context') && !input.exploring) {
      reasons.push(
        input.drivers.some((d) => d.kind === 'popularity')
          ? `${quote(input.label)} is popular with other visitors; nothing learned about you points elsewhere yet.`
          : `Nothing learned yet sets the candidates apart; ${quote(input.label)} was picked at random among them.`,
      );
    }
    if (input.withheldCategory !== undefined) {
      reasons.push(`Chosen on popularity alone: items about ${input.withheldCategory} are never matched to your activity without your consent.`);
    }
  }
  if (input.capped > 0) {
    reasons.push(`${input.capped} other ${input.capped === 1 ? 'item was' : 'items were'} left out after being shown ${FREQUENCY_CAP_SHOWS} times here without a click.`);
  }
  return reasons;
}
