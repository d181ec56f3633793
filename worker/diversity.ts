/**
 * Diversity for shelves (`rank` with k > 1): maximal marginal relevance re-ranking, the
 * intra-list diversity it is measured by, and ready similarities over catalog features.
 *
 * MMR (Carbonell & Goldstein, 1998) picks, one at a time, the item maximising
 *
 *   (1 − λ) · relevance(i) − λ · max over already picked j of similarity(i, j)
 *
 * with relevance the item's score min-max normalised to 0..1 over the list, so λ means the same
 * whatever the scale of the model's scores. λ = 0 is pure relevance (the input order); λ = 1
 * picks the best item first and then whatever is least like what is already on the shelf.
 */
import { InsituError } from './errors.js';
import type { CatalogItem, RankedItem } from './types.js';

/** Similarity of two items, 0 (nothing alike) .. 1 (the same); values outside are clamped, NaN is 0. */
export type Similarity = (a: string, b: string) => number;

export interface DiversityOptions {
  /** Length of the shelf returned (at most the number of items given). */
  k: number;
  /** Weight of diversity against relevance, 0..1; 0 = pure relevance. */
  lambda: number;
}

/**
 * Re-rank `ranked` (best first) for diversity and keep the top `k`. Items keep their original
 * scores, so the caller still logs what the model said; only the order changes. Ties go to the
 * earlier item, so the result is deterministic. A non-finite score ranks below every finite one
 * (relevance −1).
 * Cost: k × n similarity calls.
 */
export function rerankForDiversity(ranked: RankedItem[], similarity: Similarity, options: DiversityOptions): RankedItem[] {
  const { k, lambda } = options;
  if (!Number.isInteger(k) || k < 0) throw new InsituError('invalid_argument', 'k must be a non-negative integer');
  if (!(lambda >= 0 && lambda <= 1)) throw new InsituError('invalid_argument', 'lambda must be between 0 and 1');
  const relevance = normalisedScores(ranked);
  const count = Math.min(k, ranked.length);
  const picked: RankedItem[] = [];
  const open = ranked.map((_, i) => i);
  // The largest similarity of each open item to anything picked so far, updated once per pick.
  const maxSimilarity = new Array<number>(ranked.length).fill(0);

  while (picked.length < count) {
    let best = 0;
    let bestValue = -Infinity;
    for (let slot = 0; slot < open.length; slot++) {
      const i = open[slot]!;
      const value = (1 - lambda) * relevance[i]! - lambda * maxSimilarity[i]!;
      if (value > bestValue) {
        bestValue = value;
        best = slot;
      }
    }
    const [chosen] = open.splice(best, 1) as [number];
    picked.push({ ...ranked[chosen]! });
    if (lambda > 0 && picked.length < count) {
      for (const i of open) {
        maxSimilarity[i] = Math.max(maxSimilarity[i]!, clampSimilarity(similarity(ranked[i]!.itemId, ranked[chosen]!.itemId)));
      }
    }
  }
  return picked;
}

/** Mean over all pairs of 1 − similarity: 0 for a shelf of look-alikes, 1 for nothing in common; 0 below two items. */
export function intraListDiversity(ids: string[], similarity: Similarity): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      sum += 1 - clampSimilarity(similarity(ids[i]!, ids[j]!));
      pairs += 1;
    }
  }
  return pairs === 0 ? 0 : sum / pairs;
}

/**
 * Jaccard similarity of the items' tag sets (|A ∩ B| / |A ∪ B|). An item is fully similar to
 * itself; items without tags, or missing from the catalog, share nothing with anything else.
 * Reads the catalog at call time, so later catalog changes are seen.
 */
export function tagJaccardSimilarity(catalog: Map<string, CatalogItem>): Similarity {
  const tagSets = new WeakMap<CatalogItem, Set<string>>();
  const tagsOf = (id: string): Set<string> => {
    const item = catalog.get(id);
    if (!item) return new Set();
    let tags = tagSets.get(item);
    if (!tags) {
      tags = new Set(item.tags ?? []);
      tagSets.set(item, tags);
    }
    return tags;
  };
  return (a, b) => {
    if (a === b) return 1;
    const ta = tagsOf(a);
    const tb = tagsOf(b);
    if (ta.size === 0 || tb.size === 0) return 0;
    let shared = 0;
    for (const tag of ta) if (tb.has(tag)) shared += 1;
    return shared / (ta.size + tb.size - shared);
  };
}

/**
 * Cosine similarity of the items' embeddings, negative values read as 0 (opposites are simply
 * unlike). Items without an embedding of the same length use `fallback` (default: 0).
 */
export function embeddingCosineSimilarity(catalog: Map<string, CatalogItem>, fallback?: Similarity): Similarity {
  return (a, b) => {
    if (a === b) return 1;
    const ea = catalog.get(a)?.embedding;
    const eb = catalog.get(b)?.embedding;
    if (!ea || !eb || ea.length !== eb.length || ea.length === 0) return fallback ? fallback(a, b) : 0;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < ea.length; i++) {
      dot += ea[i]! * eb[i]!;
      na += ea[i]! * ea[i]!;
      nb += eb[i]! * eb[i]!;
    }
    return na === 0 || nb === 0 ? 0 : Math.max(0, dot / Math.sqrt(na * nb));
  };
}

/**
 * Share of the shelf with no tag among the person's top affinity tags: the filter-bubble number
 * reported beside accuracy (0 = everything from the usual tags). 0 for an empty shelf.
 */
export function shareOutsideTopAffinities(ids: string[], catalog: Map<string, CatalogItem>, topTags: string[]): number {
  if (ids.length === 0) return 0;
  const top = new Set(topTags);
  const outside = ids.filter((id) => !(catalog.get(id)?.tags ?? []).some((tag) => top.has(tag))).length;
  return outside / ids.length;
}

/** Below the 0..1 of every finite score, so a NaN from a broken model never outranks a real score. */
const NON_FINITE_RELEVANCE = -1;

function normalisedScores(ranked: RankedItem[]): number[] {
  const finite = ranked.map((r) => r.score).filter(Number.isFinite);
  if (finite.length === 0) return ranked.map(() => NON_FINITE_RELEVANCE);
  const min = finite.reduce((a, b) => Math.min(a, b));
  const span = finite.reduce((a, b) => Math.max(a, b)) - min;
  return ranked.map((r) => (!Number.isFinite(r.score) ? NON_FINITE_RELEVANCE : span === 0 ? 1 : (r.score - min) / span));
}

function clampSimilarity(s: number): number {
  return Number.isNaN(s) ? 0 : Math.min(1, Math.max(0, s));
}
