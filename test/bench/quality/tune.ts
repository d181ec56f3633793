/**
 * How the anchors' settings were chosen, without looking at the test items: each user's
 * second-to-last training event is held out as a validation item, and ItemKNN's neighbourhood
 * and EASE's λ are swept over their usual ranges. Run by hand: `npx tsx test/bench/quality/tune.ts`.
 */
import { createSeededRandom } from '../../../worker/seeded-random.js';
import { easeScorer, gramMatrix, itemKnnScorer } from './anchors.js';
import { evaluate, mean } from './metrics.js';
import { MOVIELENS_DIR, leaveLastOut, loadMovieLens, missingMovieLensFiles, type Split } from './movielens.js';

const NEIGHBOURS = [5, 10, 20, 50, 100, 200, 400, 1682];
const LAMBDAS = [50, 100, 200, 500, 1000];
/** EASE costs an n³ inversion per λ: one split is enough to see the curve. */
const SEED = 1;

/** Drop the test item and hold out the last training event instead. */
function validationSplit(split: Split): Split {
  return {
    ...split,
    users: split.users.map(({ train, trainTs }) => ({
      train: train.slice(0, -1),
      trainTs: trainTs.slice(0, -1),
      test: train[train.length - 1] as number,
      testTs: trainTs[trainTs.length - 1] as number,
    })),
  };
}

async function main(): Promise<void> {
  if (missingMovieLensFiles().length) {
    console.log(`tune: data set missing: movielens-100k (${MOVIELENS_DIR})`);
    return;
  }
  const split = validationSplit(leaveLastOut(loadMovieLens(), SEED));
  const gram = gramMatrix(split);
  const hr = async (scorer: Parameters<typeof evaluate>[1]) => mean((await evaluate(split, scorer, createSeededRandom(5))).hit).toFixed(4);
  for (const k of NEIGHBOURS) console.log(`itemknn neighbours ${k}: validation HR@10 ${await hr(itemKnnScorer(split, gram, k))}`);
  for (const lambda of LAMBDAS) console.log(`ease lambda ${lambda}: validation HR@10 ${await hr(easeScorer(split, gram, lambda))}`);
}

await main();
