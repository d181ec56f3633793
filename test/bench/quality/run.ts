/**
 * `npm run bench:quality`: MovieLens-100K leave-last-out, every anchor and insitu on the same
 * splits, mean over seeds, a paired bootstrap of insitu against popularity, and insitu with its
 * history cut short. Prints a table and writes bench-results/quality.json (git-ignored).
 * Without the data it says which data set is missing and exits 0.
 */
import { simulatePriorsFromHistories } from '../../../demo/collector/simulate.js';
import { intraListDiversity, shareOutsideTopAffinities, tagJaccardSimilarity } from '../../../worker/diversity.js';
import type { Engine } from '../../../worker/engine-types.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createSeededRandom } from '../../../worker/seeded-random.js';
import { EASE_LAMBDA, ITEMKNN_NEIGHBOURS, easeScorer, gramMatrix, itemKnnScorer, ownContentScorer, popularityScorer, randomScorer } from './anchors.js';
import { evaluate, mean, pairedBootstrap, type Scorer, type UserMetrics } from './metrics.js';
import { MOVIELENS_DIR, leaveLastOut, loadMovieLens, missingMovieLensFiles, movieCatalog, type MovieLens, type Split } from './movielens.js';

/** At least three splits: one seed's tie-break alone moves HR@10 by about ±0.01. */
export const SEEDS = [1, 2, 3];
/** insitu with only the user's last n events: how fast it becomes useful for a new visitor. */
export const HISTORY_CUTS = [1, 3, 5, 10, 20];
/**
 * Seeds the history cuts run on. Each cut builds an engine per user (about 10 ms of CPU each), so
 * five cuts on every seed would double the run; one split shows the curve, and its interval
 * against popularity is paired on that same split.
 */
export const HISTORY_CUT_SEEDS = SEEDS.slice(0, 1);
/** Priors built from the training users' noised reports (demo/collector), at these per-report ε: the privacy cost as a number. */
export const REPORT_EPSILONS = [Number.POSITIVE_INFINITY, 8, 2, 1];
/** The diversity weight of the diversity row (issue 9): the accuracy it costs and the variety it buys. */
export const DIVERSITY_WEIGHT = 0.3;
const RESULTS_PATH = resolve(import.meta.dirname, '../../../bench-results/quality.json');
const MODELS = ['random', 'popularity', 'own-content', 'itemknn', 'ease', 'insitu'] as const;
type ModelName = (typeof MODELS)[number];

type InsituModule = typeof import('./insitu-model.js');

async function loadInsitu(): Promise<InsituModule | string> {
  try {
    return await import('./insitu-model.js');
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] ?? String(error) : String(error);
  }
}

interface Measured {
  perSeed: UserMetrics[];
  seconds: number;
}

async function main(): Promise<void> {
  const missing = missingMovieLensFiles();
  if (missing.length) {
    console.log(`bench:quality: data set missing: movielens-100k (no ${missing.join(', ')} in ${MOVIELENS_DIR}); nothing measured.`);
    return;
  }
  const started = performance.now();
  const data = loadMovieLens();
  const insitu = await loadInsitu();
  if (typeof insitu === 'string') console.log(`insitu row skipped: the engine does not load yet (${insitu})`);

  const measured = new Map<ModelName, Measured>();
  const cuts = new Map<number, Measured>();
  const fromReports = new Map<number, Measured>();
  const diversityRows = new Map<number, Measured>();
  const diversityIld = new Map<number, number>();
  const filterBubble = new Map<number, { outsideTopGenres: number; exploring: number }>();
  const record = async (into: Map<unknown, Measured>, key: unknown, split: Split, scorer: Scorer) => {
    const t0 = performance.now();
    // The same tie-break stream for every model on a split, so no model gets luckier draws.
    const metrics = await evaluate(split, scorer, createSeededRandom(split.seed * 7_919 + 17));
    const entry = into.get(key) ?? { perSeed: [], seconds: 0 };
    entry.perSeed.push(metrics);
    entry.seconds += (performance.now() - t0) / 1000;
    into.set(key, entry);
    return entry;
  };

  for (const seed of SEEDS) {
    const split = leaveLastOut(data, seed);
    const gram = gramMatrix(split);
    // A model's time includes fitting it (EASE's inversion, ItemKNN's similarities).
    const timed = async (model: ModelName, build: () => Scorer) => {
      const t0 = performance.now();
      const scorer = build();
      const fitSeconds = (performance.now() - t0) / 1000;
      (await record(measured, model, split, scorer)).seconds += fitSeconds;
    };
    await timed('random', () => randomScorer(createSeededRandom(seed * 31 + 1)));
    await timed('popularity', () => popularityScorer(split));
    await timed('own-content', () => ownContentScorer(data, split));
    await timed('itemknn', () => itemKnnScorer(split, gram));
    await timed('ease', () => easeScorer(split, gram));
    if (typeof insitu !== 'string') {
      const bench = insitu.createInsituBench(data, split, movieCatalog(data));
      await timed('insitu', () => bench.scorer());
      if (HISTORY_CUT_SEEDS.includes(seed)) {
        for (const events of HISTORY_CUTS) await record(cuts, events, split, bench.scorer(events));
        const histories = split.users.map(({ train }) => Array.from(train, (item) => data.movies[item]!.id));
        const ids = data.movies.map((m) => m.id);
        for (const epsilon of REPORT_EPSILONS) {
          const priors = simulatePriorsFromHistories(histories, ids, epsilon, seed);
          await record(fromReports, epsilon, split, insitu.createInsituBench(data, split, movieCatalog(data), { priors }).scorer());
        }
        for (const weight of [0, DIVERSITY_WEIGHT]) {
          const lists: number[] = [];
          const catalog = movieCatalog(data);
          const similarity = tagJaccardSimilarity(new Map(catalog.map((item) => [item.id, item])));
          const byId = new Map(catalog.map((item) => [item.id, item]));
          const outside: number[] = [];
          const exploring: number[] = [];
          const onShelf = (ids: string[], user: number, engine: Engine) => {
            lists.push(intraListDiversity(ids, similarity));
            // The user's top affinities: the three genres most frequent in their own training history.
            const genreCounts = new Map<string, number>();
            for (const item of split.users[user]!.train) for (const tag of catalog[item]?.tags ?? []) genreCounts.set(tag, (genreCounts.get(tag) ?? 0) + 1);
            const top = [...genreCounts].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([tag]) => tag);
            outside.push(shareOutsideTopAffinities(ids, byId, top));
            exploring.push(engine.decide({ placement: 'bench-shelf', candidates: ids }).exploring ? 1 : 0);
          };
          await record(diversityRows, weight, split, insitu.createInsituBench(data, split, catalog, { diversity: weight, onShelf }).scorer());
          diversityIld.set(weight, mean(lists));
          filterBubble.set(weight, { outsideTopGenres: mean(outside), exploring: mean(exploring) });
        }
      }
    }
    console.log(`seed ${seed} done (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }

  const latency = typeof insitu === 'string' ? null : await (await import('./latency.js')).measureDecideLatency(leaveLastOut(data, SEEDS[0]!), movieCatalog(data));
  const results = { ...summarize(data, measured, cuts, fromReports, diversityRows, diversityIld, filterBubble), latency };
  printTable(results);
  mkdirSync(dirname(RESULTS_PATH), { recursive: true });
  writeFileSync(RESULTS_PATH, `${JSON.stringify({ ...results, runtimeSeconds: (performance.now() - started) / 1000 }, null, 2)}\n`);
  console.log(`wrote ${RESULTS_PATH} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

/** Mean over seeds of the per-user values, user by user (for the paired bootstrap). */
function perUserMean(runs: UserMetrics[], metric: keyof UserMetrics): Float64Array {
  const out = new Float64Array(runs[0]![metric].length);
  for (const run of runs) run[metric].forEach((v, i) => (out[i]! += v / runs.length));
  return out;
}

function summarize(data: MovieLens, measured: Map<ModelName, Measured>, cuts: Map<number, Measured>, fromReports: Map<number, Measured>, diversityRows: Map<number, Measured>, diversityIld: Map<number, number>, filterBubble: Map<number, { outsideTopGenres: number; exploring: number }>) {
  const random = createSeededRandom(20_191_124);
  const popularity = measured.get('popularity')!;
  const popularityHits = perUserMean(popularity.perSeed, 'hit');
  // Paired on the same splits: the first `runs.length` seeds.
  const versusPopularity = (runs: UserMetrics[]) =>
    pairedBootstrap(perUserMean(runs, 'hit'), runs.length === popularity.perSeed.length ? popularityHits : perUserMean(popularity.perSeed.slice(0, runs.length), 'hit'), random);
  const rows = MODELS.flatMap((model) => {
    const entry = measured.get(model);
    if (!entry) return [];
    return [{
      model,
      hr10: mean(entry.perSeed.map((m) => mean(m.hit))),
      ndcg10: mean(entry.perSeed.map((m) => mean(m.ndcg))),
      hr10BySeed: entry.perSeed.map((m) => mean(m.hit)),
      seconds: entry.seconds,
    }];
  });
  const insitu = measured.get('insitu');
  return {
    generatedAt: new Date().toISOString(),
    movielens: {
      users: data.users,
      items: data.movies.length,
      seeds: SEEDS,
      protocol: 'leave-last-out (seeded tie-break), implicit positives, full catalog of unseen items',
      settings: { easeLambda: EASE_LAMBDA, itemknnNeighbours: ITEMKNN_NEIGHBOURS },
      rows,
      insituMinusPopularity: insitu ? { metric: 'hr10', ...versusPopularity(insitu.perSeed) } : null,
      historyCuts: [...cuts].map(([events, entry]) => ({
        events,
        seeds: HISTORY_CUT_SEEDS,
        hr10: mean(entry.perSeed.map((m) => mean(m.hit))),
        ndcg10: mean(entry.perSeed.map((m) => mean(m.ndcg))),
        minusPopularity: versusPopularity(entry.perSeed),
      })),
      insituWithPriorsFromReports: [...fromReports].map(([epsilon, entry]) => ({
        epsilon: Number.isFinite(epsilon) ? epsilon : 'infinity',
        seeds: HISTORY_CUT_SEEDS,
        hr10: mean(entry.perSeed.map((m) => mean(m.hit))),
        ndcg10: mean(entry.perSeed.map((m) => mean(m.ndcg))),
        minusPopularity: versusPopularity(entry.perSeed),
      })),
      insituWithDiversity: [...diversityRows].map(([weight, entry]) => ({
        diversity: weight,
        seeds: HISTORY_CUT_SEEDS,
        hr10: mean(entry.perSeed.map((m) => mean(m.hit))),
        ndcg10: mean(entry.perSeed.map((m) => mean(m.ndcg))),
        intraListDiversity: diversityIld.get(weight) ?? null,
        shareOutsideTop3Genres: filterBubble.get(weight)?.outsideTopGenres ?? null,
        shareOfDecisionsExploring: filterBubble.get(weight)?.exploring ?? null,
      })),
    },
  };
}

function printTable(results: ReturnType<typeof summarize> & { latency: Array<{ candidates: number; p50Ms: number; p99Ms: number }> | null }): void {
  const ml = results.movielens;
  console.log(`\nMovieLens-100K, ${ml.protocol}; ${ml.users} users, ${ml.items} items; mean over seeds ${ml.seeds.join(', ')}`);
  console.log('model         HR@10   NDCG@10   HR@10 per seed            time');
  for (const row of ml.rows) {
    const perSeed = row.hr10BySeed.map((v) => v.toFixed(4)).join(' ');
    console.log(`${row.model.padEnd(12)}  ${row.hr10.toFixed(4)}  ${row.ndcg10.toFixed(4)}    ${perSeed.padEnd(24)}  ${row.seconds.toFixed(1)} s`);
  }
  const interval = (d: { mean: number; lo: number; hi: number }) => `${signed(d.mean)} [${signed(d.lo)}, ${signed(d.hi)}]`;
  if (ml.insituMinusPopularity) console.log(`insitu − popularity, HR@10 (paired bootstrap over users, 95%): ${interval(ml.insituMinusPopularity)}`);
  for (const cut of ml.historyCuts) {
    console.log(`insitu, last ${String(cut.events).padStart(2)} events (seed ${cut.seeds.join(', ')}): HR@10 ${cut.hr10.toFixed(4)}  NDCG@10 ${cut.ndcg10.toFixed(4)}  − popularity ${interval(cut.minusPopularity)}`);
  }
  for (const row of ml.insituWithPriorsFromReports) {
    console.log(`insitu, priors from reports at ε=${String(row.epsilon).padEnd(8)} (seed ${row.seeds.join(', ')}): HR@10 ${row.hr10.toFixed(4)}  NDCG@10 ${row.ndcg10.toFixed(4)}  − popularity ${interval(row.minusPopularity)}`);
  }
  for (const row of ml.insituWithDiversity) {
    console.log(`insitu, diversity ${row.diversity} (seed ${row.seeds.join(', ')}): HR@10 ${row.hr10.toFixed(4)}  NDCG@10 ${row.ndcg10.toFixed(4)}  intra-list diversity (genres) ${row.intraListDiversity?.toFixed(3)}  outside the user's top-3 genres ${row.shareOutsideTop3Genres?.toFixed(3)}  decisions exploring ${row.shareOfDecisionsExploring?.toFixed(3)}`);
  }
  for (const row of results.latency ?? []) {
    console.log(`engine decide(), ${String(row.candidates).padStart(3)} candidates: p50 ${row.p50Ms.toFixed(3)} ms, p99 ${row.p99Ms.toFixed(3)} ms`);
  }
}

const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(4)}`;

await main();
