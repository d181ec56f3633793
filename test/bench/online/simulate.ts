/**
 * One simulated device per user: each round a placement offers K candidates drawn from a live
 * pool, the policy picks one, a click is drawn from the ground truth, and the feedback reaches the
 * policy (at once, or rounds later). Every policy faces the same candidates and the same click
 * draws (common random numbers), so differences in regret are the policies' own.
 */
import { createSeededRandom } from '../../../worker/seeded-random.js';
import type { PolicyFactory } from './policies.js';
import { dot, type World } from './world.js';

export const SCENARIOS = ['stationary', 'drift', 'churn', 'delayed'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface SimulationSettings {
  users: number;
  rounds: number;
  /** Candidates per decision. */
  candidates: number;
  /** Items live in the placement at any time. */
  poolSize: number;
  /** Drift: the user's taste becomes another user's at this round. */
  driftAt: number;
  /** Churn: every `churnEvery` rounds the oldest `churnShare` of the pool is replaced by new items. */
  churnEvery: number;
  churnShare: number;
  /** Delayed: feedback reaches the policy this many rounds after the decision. */
  delay: number;
  /**
   * A clicked item leaves this user's shelf (replaced by a new one): the ground truth is "rated
   * this movie", something done once, and a placement does not offer what was just taken.
   */
  consumeOnClick: boolean;
  seed: number;
}

export interface ScenarioResult {
  /** Mean over users of the expected regret at each round: best candidate's click rate minus the chosen one's. */
  regretByRound: Float64Array;
  /** Mean over users of the clicks at each round. */
  clicksByRound: Float64Array;
}

/** Simulated users: a seeded sample of the data set's users. */
export function sampleUsers(world: World, settings: SimulationSettings): number[] {
  const random = createSeededRandom(settings.seed);
  const all = world.userVectors.map((_, u) => u);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, settings.users);
}

/**
 * The drift target: a user drawn at random among those whose taste vector points away from this
 * one's (negative cosine), so what was learned before the drift now misleads.
 */
function driftTarget(world: World, user: number, random: { next(): number }): number {
  const v = world.userVectors[user]!;
  const opposite = world.userVectors.flatMap((other, index) => (dot(other, v) < 0 ? [index] : []));
  return opposite.length ? opposite[Math.floor(random.next() * opposite.length)]! : user;
}

export async function simulate(world: World, scenario: ScenarioName, users: readonly number[], makePolicy: PolicyFactory, settings: SimulationSettings): Promise<ScenarioResult> {
  const regretByRound = new Float64Array(settings.rounds);
  const clicksByRound = new Float64Array(settings.rounds);
  const items = world.items;
  for (const user of users) {
    const environment = createSeededRandom(settings.seed * 7_919 + user);
    const policy = await makePolicy(user, createSeededRandom(settings.seed * 104_729 + user));
    const order = shuffled(items, environment);
    const pool = order.slice(0, settings.poolSize);
    let nextFresh = settings.poolSize;
    let tasteOwner = user;
    const driftTo = driftTarget(world, user, environment);
    const pending: Array<{ due: number; round: number; item: number; reward: number }> = [];
    const delay = scenario === 'delayed' ? settings.delay : 0;
    for (let round = 0; round < settings.rounds; round++) {
      if (scenario === 'drift' && round === settings.driftAt) tasteOwner = driftTo;
      if (scenario === 'churn' && round > 0 && round % settings.churnEvery === 0) {
        const replaced = Math.round(settings.poolSize * settings.churnShare);
        const fresh = order.slice(nextFresh, nextFresh + replaced);
        pool.splice(0, fresh.length, ...fresh);
        nextFresh += fresh.length;
      }
      while (pending.length && pending[0]!.due <= round) {
        const feedback = pending.shift()!;
        policy.learn(feedback.round, feedback.item, feedback.reward);
      }
      const candidates = pickDistinct(pool, settings.candidates, environment);
      const truth = world.clickProbabilities(tasteOwner);
      const clickDraw = environment.next();
      const chosen = policy.choose(candidates, round);
      if (!candidates.includes(chosen)) throw new Error(`policy chose ${chosen}, not a candidate`);
      let best = 0;
      for (const item of candidates) best = Math.max(best, truth[item]!);
      const p = truth[chosen]!;
      const reward = clickDraw < p ? 1 : 0;
      regretByRound[round]! += (best - p) / users.length;
      clicksByRound[round]! += reward / users.length;
      if (reward && settings.consumeOnClick) {
        const at = pool.indexOf(chosen);
        if (nextFresh < order.length) pool[at] = order[nextFresh++]!;
        else pool.splice(at, 1);
      }
      pending.push({ due: round + delay, round, item: chosen, reward });
      if (delay === 0) {
        const feedback = pending.shift()!;
        policy.learn(feedback.round, feedback.item, feedback.reward);
      }
    }
  }
  return { regretByRound, clicksByRound };
}

function shuffled(n: number, random: { next(): number }): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function pickDistinct(pool: readonly number[], k: number, random: { next(): number }): number[] {
  const chosen = new Set<number>();
  while (chosen.size < Math.min(k, pool.length)) chosen.add(pool[Math.floor(random.next() * pool.length)]!);
  return [...chosen];
}
