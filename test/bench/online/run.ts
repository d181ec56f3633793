/**
 * `npm run bench:online` (script: `tsx test/bench/online/run.ts`): the online simulator over the
 * MovieLens catalog with a ground truth fitted on its ratings. Anchors random, popularity,
 * ε-greedy, LinUCB and LinTS, and insitu through the engine API, on the same users, candidates and
 * click draws; scenarios stationary, abrupt drift, item churn and delayed reward. Prints regret
 * and rounds to recover after drift, writes bench-results/online.json. Without the data it says
 * which data set is missing and exits 0.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MOVIELENS_DIR, loadMovieLens, missingMovieLensFiles, movieCatalog } from '../quality/movielens.js';
import { epsilonGreedyPolicy, itemFeatures, linTsPolicy, linUcbPolicy, popularityPolicy, randomPolicy, type PolicyFactory } from './policies.js';
import { SCENARIOS, sampleUsers, simulate, type ScenarioName, type ScenarioResult } from './simulate.js';
import { SETTINGS } from './settings.js';
import { FACTORS, fitWorld, type World } from './world.js';

/** Pre-drift level: mean regret over this many rounds just before the drift. */
const BASELINE_ROUNDS = 100;
/** Recovery is judged on a moving window of this many rounds (mean over users). */
const RECOVERY_WINDOW = 50;
/** Recovered: the window's regret is back within 10% of random's regret above the pre-drift level. */
const RECOVERY_TOLERANCE = 0.1;
const LEARNING = new Set(['epsilon-greedy', 'linucb', 'lints', 'insitu', 'insitu-daily']);
const RESULTS_PATH = resolve(import.meta.dirname, '../../../bench-results/online.json');

async function main(): Promise<void> {
  const missing = missingMovieLensFiles();
  if (missing.length) {
    console.log(`bench:online: data set missing: movielens-100k (no ${missing.join(', ')} in ${MOVIELENS_DIR}); nothing measured.`);
    return;
  }
  const started = performance.now();
  const data = loadMovieLens();
  const world = fitWorld(data, SETTINGS.seed);
  const features = itemFeatures(world);
  const policies: Record<string, PolicyFactory> = {
    random: (_user, random) => randomPolicy(random),
    popularity: () => popularityPolicy(world),
    'epsilon-greedy': (_user, random) => epsilonGreedyPolicy(features, random),
    linucb: () => linUcbPolicy(features),
    lints: (_user, random) => linTsPolicy(features, random),
  };
  try {
    const { DAILY_ROUND_MS, insituPolicyFactory } = await import('./insitu-policy.js');
    const catalog = movieCatalog(data).map((item, i) => ({ ...item, embedding: Array.from(features[i]!.subarray(0, -1)) }));
    policies.insitu = insituPolicyFactory(data, catalog);
    policies['insitu-daily'] = insituPolicyFactory(data, catalog, DAILY_ROUND_MS);
  } catch (error) {
    console.log(`insitu row skipped: the engine does not load yet (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const users = sampleUsers(world, SETTINGS);
  const results: Record<string, Record<string, ScenarioResult & { seconds: number }>> = {};
  for (const scenario of SCENARIOS) {
    results[scenario] = {};
    for (const [name, factory] of Object.entries(policies)) {
      const t0 = performance.now();
      const result = await simulate(world, scenario, users, factory, SETTINGS);
      results[scenario][name] = { ...result, seconds: (performance.now() - t0) / 1000 };
    }
  }
  const summary = summarize(results);
  print(world, summary);
  mkdirSync(dirname(RESULTS_PATH), { recursive: true });
  writeFileSync(RESULTS_PATH, `${JSON.stringify({ generatedAt: new Date().toISOString(), settings: SETTINGS, groundTruth: describeWorld(world), scenarios: summary, runtimeSeconds: (performance.now() - started) / 1000 }, null, 2)}\n`);
  console.log(`wrote ${RESULTS_PATH} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

interface Row {
  policy: string;
  cumulativeRegret: number;
  ctr: number;
  /** Drift only: regret from the drift on, and rounds until back near the pre-drift level (null: never). */
  regretAfterDrift?: number;
  roundsToRecover?: number | null;
  seconds: number;
}

function summarize(results: Record<string, Record<string, ScenarioResult & { seconds: number }>>): Record<string, Row[]> {
  const out: Record<string, Row[]> = {};
  for (const [scenario, byPolicy] of Object.entries(results)) {
    const randomLevel = mean(byPolicy.random!.regretByRound, 0, SETTINGS.rounds);
    out[scenario] = Object.entries(byPolicy).map(([policy, r]) => {
      const row: Row = {
        policy,
        cumulativeRegret: sum(r.regretByRound, 0, SETTINGS.rounds),
        ctr: mean(r.clicksByRound, 0, SETTINGS.rounds),
        seconds: r.seconds,
      };
      if ((scenario as ScenarioName) === 'drift') {
        row.regretAfterDrift = sum(r.regretByRound, SETTINGS.driftAt, SETTINGS.rounds);
        // Only a learner can recover; random and popularity do not look at feedback at all.
        if (LEARNING.has(policy)) row.roundsToRecover = roundsToRecover(r.regretByRound, randomLevel);
      }
      return row;
    });
  }
  return out;
}

function roundsToRecover(regret: Float64Array, randomLevel: number): number | null {
  const before = mean(regret, SETTINGS.driftAt - BASELINE_ROUNDS, SETTINGS.driftAt);
  const threshold = before + RECOVERY_TOLERANCE * randomLevel;
  for (let start = SETTINGS.driftAt; start + RECOVERY_WINDOW <= SETTINGS.rounds; start++) {
    if (mean(regret, start, start + RECOVERY_WINDOW) <= threshold) return start - SETTINGS.driftAt;
  }
  return null;
}

function describeWorld(world: World) {
  let sum = 0;
  for (let u = 0; u < world.users; u++) for (const p of world.clickProbabilities(u)) sum += p;
  return { model: `logistic matrix factorization, ${FACTORS} factors, fitted on every rating`, meanClickProbability: sum / (world.users * world.items) };
}

function print(world: World, summary: Record<string, Row[]>): void {
  const s = SETTINGS;
  const truth = describeWorld(world);
  console.log(
    `\nOnline simulator over MovieLens-100K (${s.users} users × ${s.rounds} rounds, ${s.candidates} candidates from a pool of ${s.poolSize}); ` +
      `ground truth: ${truth.model}; mean click probability ${truth.meanClickProbability.toFixed(3)}`,
  );
  for (const [scenario, rows] of Object.entries(summary)) {
    const note = scenario === 'drift' ? ` (taste switches at round ${s.driftAt})` : scenario === 'churn' ? ` (${s.churnShare * 100}% of the pool replaced every ${s.churnEvery} rounds)` : scenario === 'delayed' ? ` (feedback ${s.delay} rounds late)` : '';
    console.log(`\n${scenario}${note}`);
    console.log(`policy            regret   CTR     ${scenario === 'drift' ? 'regret after drift  rounds to recover' : ''}`);
    for (const row of rows) {
      const drift = row.regretAfterDrift === undefined ? '' : `${row.regretAfterDrift.toFixed(1).padStart(8)}            ${row.roundsToRecover === undefined ? 'n/a' : row.roundsToRecover === null ? 'never' : String(row.roundsToRecover)}`;
      console.log(`${row.policy.padEnd(16)}  ${row.cumulativeRegret.toFixed(1).padStart(6)}   ${row.ctr.toFixed(4)}  ${drift}`);
    }
  }
}

function sum(values: Float64Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += values[i]!;
  return s;
}

function mean(values: Float64Array, from: number, to: number): number {
  return sum(values, from, to) / (to - from);
}

await main();
