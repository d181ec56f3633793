/**
 * A quick self-check of insitu's ranking quality on MovieLens-100K (the full benchmark with every
 * anchor is `npm run bench:quality`). Leave-last-out per user (time order, seeded tie-break),
 * full-catalog HR@10 over items the user has not rated; priors from `buildPriors` over the
 * training split; each user's personalizer sees only that user's training events.
 *
 *   npx tsx test/bench/quality/insitu-quick.ts [seeds=3]
 *
 * Reads ../shared/data/movielens-100k (never copied into the project); exits 0 when absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildPriors, createPersonalizer } from '../../../worker/decide/index.js';
import { createSeededRandom } from '../../../worker/seeded-random.js';
import type { CatalogItem, ConsentState, InsituEvent, Priors } from '../../../worker/types.js';

const DATA = resolve(import.meta.dirname, '../../../../shared/data/movielens-100k');
const TOP_K = 10;
const HISTORY_CUTS = [1, 3, 5, 10, 20];
const GRANTED: ConsentState = { personalization: 'granted', metrics: 'denied', sensitive: 'denied' };

interface Rating {
  user: number;
  item: string;
  ts: number;
}

function loadMovieLens(): { ratings: Rating[]; catalog: CatalogItem[] } | undefined {
  if (!existsSync(`${DATA}/u.data`) || !existsSync(`${DATA}/u.item`)) return undefined;
  const genres = readFileSync(`${DATA}/u.genre`, 'latin1')
    .trim()
    .split('\n')
    .map((line) => line.split('|')[0]!);
  const catalog = readFileSync(`${DATA}/u.item`, 'latin1')
    .trim()
    .split('\n')
    .map((line): CatalogItem => {
      const fields = line.split('|');
      const flags = fields.slice(5);
      return { id: fields[0]!, title: fields[1]!, tags: genres.filter((_, g) => flags[g] === '1' && genres[g] !== 'unknown') };
    });
  const ratings = readFileSync(`${DATA}/u.data`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [user, item, , ts] = line.split('\t');
      return { user: Number(user), item: item!, ts: Number(ts) };
    });
  return { ratings, catalog };
}

/** Per user, time order with a seeded tie-break; the last rating is held out. */
function leaveLastOut(ratings: Rating[], seed: number) {
  const random = createSeededRandom(seed);
  const byUser = new Map<number, Array<Rating & { tie: number }>>();
  for (const rating of ratings) {
    const list = byUser.get(rating.user) ?? [];
    list.push({ ...rating, tie: random.next() });
    byUser.set(rating.user, list);
  }
  return [...byUser.keys()]
    .sort((a, b) => a - b)
    .map((user) => {
      const list = byUser.get(user)!.sort((a, b) => a.ts - b.ts || a.tie - b.tie);
      return { train: list.slice(0, -1), test: list[list.length - 1]!.item };
    });
}

/** Position of the held-out item in the top 10 (or -1), and how long rank() took. */
function insituRank(catalog: CatalogItem[], priors: Priors, train: Rating[], test: string, options: { cut?: number; includeSeen?: boolean } = {}): { at: number; ms: number } {
  const personalizer = createPersonalizer({
    catalog,
    priors,
    random: createSeededRandom(7),
    clock: { now: () => 0 },
    consent: () => GRANTED,
    inHoldout: false,
  });
  const seen = new Set(train.map((r) => r.item));
  const fed = options.cut === undefined ? train : train.slice(-options.cut);
  const events: InsituEvent[] = fed.map((r, n) => ({ id: `e${n}`, type: 'view', itemId: r.item, ts: r.ts * 1000 }));
  personalizer.observe(events);
  const start = performance.now();
  const candidates = catalog.map((c) => c.id).filter((id) => options.includeSeen || !seen.has(id));
  const top = personalizer.rank({ placement: 'bench', candidates, k: TOP_K });
  return { at: top.findIndex((r) => r.itemId === test), ms: performance.now() - start };
}

function main(): void {
  const data = loadMovieLens();
  if (!data) {
    console.log(`MovieLens-100K not found at ${DATA}: skipping the insitu quality self-check.`);
    return;
  }
  const seeds = Number(process.argv[2] ?? 3);
  const variants: Record<string, { cut?: number; includeSeen?: boolean }> = {
    insitu: {},
    'insitu, seen items left in the candidates': { includeSeen: true },
    ...Object.fromEntries(HISTORY_CUTS.map((cut) => [`insitu, last ${cut} events`, { cut }])),
  };
  const hr: Record<string, number[]> = { popularity: [], ...Object.fromEntries(Object.keys(variants).map((v) => [v, []])) };
  const ndcg: Record<string, number[]> = { popularity: [], ...Object.fromEntries(Object.keys(variants).map((v) => [v, []])) };
  const gain = (at: number) => (at >= 0 ? 1 / Math.log2(at + 2) : 0);
  const rankMs: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const users = leaveLastOut(data.ratings, seed);
    const priors = buildPriors(users.map((u) => u.train.map((r) => r.item)));
    const byPopularity = data.catalog.map((c) => c.id).sort((a, b) => (priors.popularity[b] ?? 0) - (priors.popularity[a] ?? 0));
    const sums: Record<string, [number, number]> = Object.fromEntries(Object.keys(hr).map((v) => [v, [0, 0]]));
    for (const { train, test } of users) {
      const seen = new Set(train.map((r) => r.item));
      const popularAt = byPopularity.filter((id) => !seen.has(id)).slice(0, TOP_K).indexOf(test);
      sums.popularity![0] += popularAt >= 0 ? 1 : 0;
      sums.popularity![1] += gain(popularAt);
      for (const [name, options] of Object.entries(variants)) {
        const { at, ms } = insituRank(data.catalog, priors, train, test, options);
        if (name === 'insitu') rankMs.push(ms);
        sums[name]![0] += at >= 0 ? 1 : 0;
        sums[name]![1] += gain(at);
      }
    }
    for (const [name, [hits, gains]] of Object.entries(sums)) {
      hr[name]!.push(hits / users.length);
      ndcg[name]!.push(gains / users.length);
    }
  }
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  console.log(`MovieLens-100K leave-last-out, full catalog, mean of ${seeds} seeds (per-seed HR@${TOP_K} in brackets)`);
  console.log(`${'model'.padEnd(44)} HR@${TOP_K}   NDCG@${TOP_K}`);
  for (const name of Object.keys(hr)) {
    console.log(`${name.padEnd(44)} ${mean(hr[name]!).toFixed(4)}  ${mean(ndcg[name]!).toFixed(4)}   (${hr[name]!.map((v) => v.toFixed(4)).join(', ')})`);
  }
  rankMs.sort((a, b) => a - b);
  console.log(`rank() over ~1680 candidates: median ${rankMs[rankMs.length >> 1]!.toFixed(2)} ms`);
}

main();
