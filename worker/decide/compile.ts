/**
 * Catalog and priors compiled for scoring: validated once, indexed into typed arrays, and shared
 * by every personalizer given the same objects (the engine makes a new one on forget();
 * benchmarks make one per user). Catalog arrays and priors objects are treated as immutable once
 * handed over: updates come as new objects (setCatalog, setPriors).
 */
import type { Priors } from '../types.js';
import { indexCatalog, type CatalogIndex } from './catalog.js';
import { backgroundVector, buildFeatureSpace, type FeatureSpace } from './features.js';
import { indexPriors, validatePriors, type PriorIndex } from './priors.js';

const compiledCatalogs = new WeakMap<object, { catalog: CatalogIndex; space: FeatureSpace }>();
/** Priors compiled for a catalog; the background (the average item) reads every item's row, so it is computed on first use. */
interface CompiledPriors {
  priorIndex: PriorIndex;
  background: () => Float32Array;
}

const compiledPriors = new WeakMap<CatalogIndex, WeakMap<object, CompiledPriors>>();
const NO_PRIORS = {};

export function compileCatalog(items: unknown): { catalog: CatalogIndex; space: FeatureSpace } {
  const key = typeof items === 'object' && items !== null ? items : undefined;
  const cached = key && compiledCatalogs.get(key);
  if (cached) return cached;
  const catalog = indexCatalog(items);
  const compiled = { catalog, space: buildFeatureSpace(catalog) };
  if (key) compiledCatalogs.set(key, compiled);
  return compiled;
}

const validPriors = new WeakSet<object>();

export function checkedPriors(priors: unknown): Priors | undefined {
  if (priors === undefined) return undefined;
  if (typeof priors === 'object' && priors !== null && validPriors.has(priors)) return priors as Priors;
  const valid = validatePriors(priors);
  validPriors.add(valid);
  return valid;
}

export function compilePriors(catalog: CatalogIndex, space: FeatureSpace, priors: Priors | undefined): CompiledPriors {
  let byPriors = compiledPriors.get(catalog);
  if (!byPriors) compiledPriors.set(catalog, (byPriors = new WeakMap()));
  const cached = byPriors.get(priors ?? NO_PRIORS);
  if (cached) return cached;
  const priorIndex = indexPriors(priors, catalog);
  const hasPopularity = priorIndex.popularity.some((p) => p > 0);
  let background: Float32Array | undefined;
  const compiled = { priorIndex, background: () => (background ??= backgroundVector(space, hasPopularity ? priorIndex.popularity : undefined)) };
  byPriors.set(priors ?? NO_PRIORS, compiled);
  return compiled;
}
