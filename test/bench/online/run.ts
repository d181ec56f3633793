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
import { epsilonGreedyPolicy, itemFeatures, linTsPolicy, linUcbPolicy, popularityPolicy, randomPolicy, withCaps, type PolicyFactory } from './policies.js';
import { SCENARIOS, sampleUsers, simulate, type ScenarioName, type ScenarioResult } from './simulate.js';
import { DAILY_ROUND_MS, ROUND_MS, SETTINGS } from './settings.js';
import { FACTORS, fitWorld, type World } from './world.js';

/** Pre-drift level: mean regret over this many rounds just before the drift. */
const BASELINE_ROUNDS = 100;
/** Recovery is judged on a moving window of this many rounds (mean over users). */
const RECOVERY_WINDOW = 50;
/** Recovered: the window's regret is back within 10% of random's regret above the pre-drift level. */
const RECOVERY_TOLERANCE = 0.1;
/** Cold start (design.md's fifth scenario): every device starts with no history, so the regret of its first this many decisions is the cold-start reading. */
const COLD_START_ROUNDS = 50;
const ANCHORS = ['random', 'popularity', 'epsilon-greedy', 'linucb', 'lints'];
const LEARNING_ANCHORS = new Set(['epsilon-greedy', 'linucb', 'lints']);
/** Suffix of an anchor run behind the engine's frequency caps at one decision a minute. */
const CAPPED = '+caps';
/**
 * The two fair comparisons. At one decision a day the caps never bind: insitu-daily against the
 * anchors as they are. At one a minute the engine's caps bind: insitu against the anchors behind
 * the same caps (a site rule, applied to every policy alike).
 */
const COMPARISONS = [
  { insitu: 'insitu-daily', anchors: ANCHORS, label: '1 decision/day, caps never bind' },
  { insitu: 'insitu', anchors: ANCHORS.map((a) => a + CAPPED), label: '1 decision/min, same caps on every policy' },
];
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
  for (const name of ANCHORS) {
    const anchor = policies[name]!;
    policies[name + CAPPED] = async (user, random) => withCaps(await anchor(user, random), ROUND_MS);
  }
  try {
    const { insituPolicyFactory } = await import('./insitu-policy.js');
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
  const comparisons = compare(summary);
  print(world, summary, comparisons);
  mkdirSync(dirname(RESULTS_PATH), { recursive: true });
  writeFileSync(RESULTS_PATH, `${JSON.stringify({ generatedAt: new Date().toISOString(), settings: SETTINGS, groundTruth: describeWorld(world), scenarios: summary, comparisons, runtimeSeconds: (performance.now() - started) / 1000 }, null, 2)}\n`);
  console.log(`wrote ${RESULTS_PATH} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

interface Row {
  policy: string;
  cumulativeRegret: number;
  ctr: number;
  /** Regret over a fresh device's first COLD_START_ROUNDS decisions (what priors and cold-start exploration are worth). */
  coldStartRegret: number;
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
        coldStartRegret: sum(r.regretByRound, 0, COLD_START_ROUNDS),
        seconds: r.seconds,
      };
      if ((scenario as ScenarioName) === 'drift') {
        row.regretAfterDrift = sum(r.regretByRound, SETTINGS.driftAt, SETTINGS.rounds);
        // Only a learner can recover; random and popularity do not look at feedback at all.
        if (LEARNING_ANCHORS.has(policy.replace(CAPPED, '')) || policy.startsWith('insitu')) row.roundsToRecover = roundsToRecover(r.regretByRound, randomLevel);
      }
      return row;
    });
  }
  return out;
}

interface Comparison {
  scenario: string;
  comparison: string;
  /** Cumulative regret; after drift, the regret from the drift on; cold start, the first COLD_START_ROUNDS decisions. */
  measure: 'cumulativeRegret' | 'regretAfterDrift' | 'coldStartRegret';
  insitu: string;
  insituRegret: number;
  bestAnchor: string;
  bestAnchorRegret: number;
  /** insitu relative to the best anchor: −0.25 is 25% lower. */
  change: number;
}

/** insitu against the best anchor of its own comparison, in each scenario (and after the drift). */
function compare(summary: Record<string, Row[]>): Comparison[] {
  const out: Comparison[] = [];
  for (const [scenario, rows] of Object.entries(summary)) {
    const measures: Array<Comparison['measure']> = scenario === 'drift' ? ['cumulativeRegret', 'regretAfterDrift'] : scenario === 'stationary' ? ['cumulativeRegret', 'coldStartRegret'] : ['cumulativeRegret'];
    for (const measure of measures) {
      for (const { insitu, anchors, label } of COMPARISONS) {
        const own = rows.find((r) => r.policy === insitu);
        if (!own) continue;
        const best = rows.filter((r) => anchors.includes(r.policy)).sort((a, b) => a[measure]! - b[measure]!)[0]!;
        out.push({ scenario, comparison: label, measure, insitu, insituRegret: own[measure]!, bestAnchor: best.policy, bestAnchorRegret: best[measure]!, change: own[measure]! / best[measure]! - 1 });
      }
    }
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

function print(world: World, summary: Record<string, Row[]>, comparisons: Comparison[]): void {
  const s = SETTINGS;
  const truth = describeWorld(world);
  console.log(
    `\nOnline simulator over MovieLens-100K (${s.users} users × ${s.rounds} rounds, ${s.candidates} candidates from a pool of ${s.poolSize}); ` +
      `ground truth: ${truth.model}; mean click probability ${truth.meanClickProbability.toFixed(3)}`,
  );
  for (const [scenario, rows] of Object.entries(summary)) {
    const note = scenario === 'drift' ? ` (taste switches at round ${s.driftAt})` : scenario === 'churn' ? ` (${s.churnShare * 100}% of the pool replaced every ${s.churnEvery} rounds)` : scenario === 'delayed' ? ` (feedback ${s.delay} rounds late)` : '';
    console.log(`\n${scenario}${note}`);
    console.log(`policy              regret   CTR     first ${COLD_START_ROUNDS}  ${scenario === 'drift' ? 'regret after drift  rounds to recover' : ''}`);
    for (const row of rows) {
      const drift = row.regretAfterDrift === undefined ? '' : `${row.regretAfterDrift.toFixed(1).padStart(8)}            ${row.roundsToRecover === undefined ? 'n/a' : row.roundsToRecover === null ? 'never' : String(row.roundsToRecover)}`;
      console.log(`${row.policy.padEnd(18)}  ${row.cumulativeRegret.toFixed(1).padStart(6)}   ${row.ctr.toFixed(4)}  ${row.coldStartRegret.toFixed(2).padStart(8)}  ${drift}`);
    }
  }
  console.log(`\nAnchors run as they are and, as "${CAPPED}", behind the engine's frequency caps at one decision a minute (regret still against the best of all candidates).`);
  console.log('insitu against the best anchor of its comparison (targets: no worse when stationary, at least 25% lower after drift):');
  for (const c of comparisons) {
    const what = c.measure === 'regretAfterDrift' ? 'drift, after the drift' : c.measure === 'coldStartRegret' ? `cold start (first ${COLD_START_ROUNDS})` : c.scenario;
    console.log(`  ${what.padEnd(22)} ${c.comparison.padEnd(42)} ${c.insitu} ${c.insituRegret.toFixed(1)} vs ${c.bestAnchor} ${c.bestAnchorRegret.toFixed(1)} (${c.change >= 0 ? '+' : ''}${(c.change * 100).toFixed(0)}%)`);
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
