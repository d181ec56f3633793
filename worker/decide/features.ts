/**
 * Item features: a sparse vector per catalog item, in one fixed layout
 *   [ tags (one per distinct catalog tag) | hashed text tokens | hashed item id | context crosses | embedding ]
 * stored as typed arrays so the scorer is a handful of multiply-adds per item. The layout is fixed
 * when the catalog arrives (one cheap pass over tags and embeddings); an item's row is compiled on
 * its first use (itemRow), so the first decision pays for its ~50 candidates, not the catalog.
 *
 * Context crosses are not item features: a request's context (`{ device_mobile: 1, hour_sin: … }`)
 * crossed with each tag and embedding dimension of a candidate, hashed into CONTEXT_BUCKETS
 * weights, so the model can learn "on mobile, this person clicks tag A".
 *
 * Weights are exchanged by feature key, never by position ('tag:<name>', 'text:<bucket>',
 * 'id:<bucket>', 'ctx:<bucket>', 'emb:<dim>'), so a model survives a catalog update that adds or drops tags.
 */
import { InsituError } from '../errors.js';
import { mix32 } from '../mix32.js';
import type { CatalogItem } from '../types.js';
import { itemTags, MAX_ID_LENGTH, type CatalogIndex } from './catalog.js';
import { hashString } from './hash.js';

/**
 * Hashed text-token buckets. Titles and short descriptions have a few hundred useful words; 256
 * buckets keep collisions tolerable while the model stays learnable from a few hundred events.
 */
export const TEXT_BUCKETS = 256;
/**
 * Hashed item-id buckets: a per-item intercept, so an item shown again and again without a click
 * loses ground even when its tags are liked. 1024 keeps collisions rare among the items one device
 * actually sees (tens to hundreds).
 */
export const ID_BUCKETS = 1024;
/**
 * Hashed (context key × tag or embedding dimension) buckets. A device sees a dozen context keys
 * (the page's plus the engagement, time and stage signals) and the tags of the items it is shown:
 * a few hundred crosses, so collisions stay rare.
 */
export const CONTEXT_BUCKETS = 2048;
/** Context keys read per request; more are an error (a page passes a handful). */
export const MAX_CONTEXT_KEYS = 64;
/** Widest embedding accepted; larger ones cost more per score than they add on one device. */
export const MAX_EMBEDDING_DIM = 512;
/** Tokens per item beyond this are ignored (long descriptions would dominate the text part). */
export const MAX_TOKENS_PER_ITEM = 64;

/**
 * Relative scale of each part. A feature's learned contribution grows with the square of its
 * scale, so these set how far tastes learned from tags and text can move a ranking against the
 * neighbour evidence. On MovieLens-100K (19 coarse genres) tags at 1 cost 0.015 HR@10 against
 * 0.5; text is noisier than curated tags. The item id is an exact intercept: full scale. The
 * embedding (divided by the catalog's RMS length) is learned second-order against a ridge prior,
 * so its scale sets the prior's strength: online simulator, one decision a day, never forgetting,
 * 20 devices: regret 23 at 0.5,
 * 17 at 1, 20 at 2, 43 at 4 (too weak a prior: noisy early steps).
 */
export const TAG_SCALE = 0.5;
export const TEXT_SCALE = 0.25;
export const ID_SCALE = 1;
export const EMBEDDING_SCALE = 1;

const TOKEN_PATTERN = /[\p{L}\p{N}]+/gu;
/** Shorter tokens ('a', 'of', 'ii') carry little meaning. */
const MIN_TOKEN_LENGTH = 3;

export interface FeatureSpace {
  tags: string[];
  tagIndex: Map<string, number>;
  textOffset: number;
  idOffset: number;
  contextOffset: number;
  embeddingOffset: number;
  embeddingDim: number;
  dim: number;
  /** Per feature, the hash of its stable key (tags and embedding dimensions; 0 elsewhere): what context crosses hash with. */
  crossHashes: Uint32Array;
  /** The catalog's items, in index order: what itemRow compiles. */
  items: readonly CatalogItem[];
  /** The catalog's RMS embedding length (rootMeanSquareNorm), fixed with the layout. */
  embeddingNorm: number;
  /** Compiled rows by item index; an item not compiled yet has none. */
  rows: Array<ItemRow | undefined>;
  /** compileRowsAhead's cursor: every item before it is compiled. */
  compiledBefore: number;
}

/** One item's sparse feature vector: values[k] at feature indices[k], indices ascending. */
export interface ItemRow {
  indices: Int32Array;
  values: Float32Array;
}

export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.toLowerCase().matchAll(TOKEN_PATTERN)) {
    if (match[0].length >= MIN_TOKEN_LENGTH) tokens.push(match[0]);
    if (tokens.length >= MAX_TOKENS_PER_ITEM) break;
  }
  return tokens;
}

export function textBucket(token: string): number {
  return hashString(`text:${token}`) % TEXT_BUCKETS;
}

export function idBucket(itemId: string): number {
  return hashString(`id:${itemId}`) % ID_BUCKETS;
}

export function buildFeatureSpace(catalog: CatalogIndex): FeatureSpace {
  const tagIndex = new Map<string, number>();
  const tags: string[] = [];
  let embeddingDim = 0;
  for (const item of catalog.items) {
    for (const tag of itemTags(item)) {
      if (!tagIndex.has(tag)) {
        tagIndex.set(tag, tags.length);
        tags.push(tag);
      }
    }
    if (item.embedding) embeddingDim = Math.min(item.embedding.length, MAX_EMBEDDING_DIM);
  }
  const textOffset = tags.length;
  const idOffset = textOffset + TEXT_BUCKETS;
  const contextOffset = idOffset + ID_BUCKETS;
  const embeddingOffset = contextOffset + CONTEXT_BUCKETS;
  const dim = embeddingOffset + embeddingDim;
  const crossHashes = new Uint32Array(dim);
  tags.forEach((tag, f) => (crossHashes[f] = hashString(`tag:${tag}`)));
  for (let d = 0; d < embeddingDim; d++) crossHashes[embeddingOffset + d] = hashString(`emb:${d}`);
  return {
    tags,
    tagIndex,
    crossHashes,
    textOffset,
    idOffset,
    contextOffset,
    embeddingOffset,
    embeddingDim,
    dim,
    items: catalog.items,
    embeddingNorm: rootMeanSquareNorm(catalog, embeddingDim),
    rows: new Array<ItemRow | undefined>(catalog.items.length),
    compiledBefore: 0,
  };
}

/** The feature row of catalog item `item`, compiled on first use. */
export function itemRow(space: FeatureSpace, item: number): ItemRow {
  return (space.rows[item] ??= compileRow(space, space.items[item]!));
}

/** Compile up to `count` rows not compiled yet, in index order; true once every row is compiled. */
export function compileRowsAhead(space: FeatureSpace, count: number): boolean {
  for (let compiled = 0; space.compiledBefore < space.items.length && compiled < count; space.compiledBefore++) {
    if (space.rows[space.compiledBefore]) continue;
    itemRow(space, space.compiledBefore);
    compiled++;
  }
  return space.compiledBefore >= space.items.length;
}

function compileRow(space: FeatureSpace, item: CatalogItem): ItemRow {
  const { tagIndex, textOffset, idOffset, embeddingOffset, embeddingDim, embeddingNorm } = space;
  const row = new Map<number, number>();
  const itemTagList = itemTags(item);
  for (const tag of itemTagList) row.set(tagIndex.get(tag)!, TAG_SCALE / Math.sqrt(itemTagList.length));
  const tokens = tokenize(`${item.title ?? ''} ${item.text ?? ''}`);
  if (tokens.length) {
    const counts = new Map<number, number>();
    for (const token of tokens) {
      const bucket = textOffset + textBucket(token);
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    }
    const norm = Math.sqrt([...counts.values()].reduce((s, c) => s + c * c, 0));
    for (const [bucket, count] of counts) row.set(bucket, (TEXT_SCALE * count) / norm);
  }
  row.set(idOffset + idBucket(item.id), ID_SCALE);
  if (item.embedding && embeddingNorm > 0) {
    item.embedding.slice(0, embeddingDim).forEach((v, d) => v !== 0 && row.set(embeddingOffset + d, (EMBEDDING_SCALE * v) / embeddingNorm));
  }
  const sorted = [...row].sort((a, b) => a[0] - b[0]);
  return { indices: Int32Array.from(sorted, ([index]) => index), values: Float32Array.from(sorted, ([, value]) => value) };
}

/**
 * The catalog's root-mean-square embedding length. Embeddings are divided by it, one scale for the
 * whole catalog, not item by item: an item's length carries meaning (in a factor model it is how
 * strongly the item expresses its factors, and a bias dimension is part of it), which per-item
 * normalization would erase. (Online simulator, 20 devices, one decision a day: regret 53 with
 * per-item normalization, 37 with one scale.)
 */
function rootMeanSquareNorm(catalog: CatalogIndex, dim: number): number {
  let total = 0;
  let count = 0;
  for (const item of catalog.items) {
    if (!item.embedding) continue;
    for (let d = 0; d < dim; d++) total += item.embedding[d]! * item.embedding[d]!;
    count++;
  }
  return count > 0 ? Math.sqrt(total / count) : 0;
}

/** The stable key of feature `index` (see the file comment). */
export function featureKey(space: FeatureSpace, index: number): string {
  if (index < space.textOffset) return `tag:${space.tags[index]}`;
  if (index < space.idOffset) return `text:${index - space.textOffset}`;
  if (index < space.contextOffset) return `id:${index - space.idOffset}`;
  if (index < space.embeddingOffset) return `ctx:${index - space.contextOffset}`;
  return `emb:${index - space.embeddingOffset}`;
}

/** The position of a feature key in this space, or -1 when the space has no such feature. */
export function featureIndex(space: FeatureSpace, key: string): number {
  const colon = key.indexOf(':');
  const kind = key.slice(0, colon);
  const rest = key.slice(colon + 1);
  if (kind === 'tag') return space.tagIndex.get(rest) ?? -1;
  const n = Number(rest);
  if (!Number.isInteger(n) || n < 0) return -1;
  if (kind === 'text') return n < TEXT_BUCKETS ? space.textOffset + n : -1;
  if (kind === 'id') return n < ID_BUCKETS ? space.idOffset + n : -1;
  if (kind === 'ctx') return n < CONTEXT_BUCKETS ? space.contextOffset + n : -1;
  if (kind === 'emb') return n < space.embeddingDim ? space.embeddingOffset + n : -1;
  return -1;
}

/**
 * The feature vector of the "average item", weighted by popularity (uniform without priors).
 * Each positive event is contrasted with it, so learned weights say what this user likes more
 * than the catalog at large, not merely what is common.
 */
export function backgroundVector(space: FeatureSpace, popularity: Float64Array | undefined): Float32Array {
  const out = new Float64Array(space.dim);
  const n = space.items.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const weight = popularity && popularity.length === n ? popularity[i]! : 1;
    if (weight <= 0) continue;
    total += weight;
    const { indices, values } = itemRow(space, i);
    for (let k = 0; k < indices.length; k++) out[indices[k]!]! += weight * values[k]!;
  }
  if (total > 0) for (let d = 0; d < out.length; d++) out[d]! /= total;
  return Float32Array.from(out);
}

/** One context feature of a request: its key's hash and its value. */
export interface ContextFeature {
  hash: number;
  value: number;
}

/**
 * A request's context as features: every key with a finite, non-zero number (a category is
 * passed one-hot, `{ device_mobile: 1 }`). Throws InsituError('invalid_argument') on anything
 * else, so a page learns of a bad context instead of it being silently ignored.
 */
export function contextFeatures(context: Record<string, number> | undefined): ContextFeature[] {
  if (context === undefined) return [];
  if (typeof context !== 'object' || context === null || Array.isArray(context)) throw new InsituError('invalid_argument', 'context must be an object of numbers');
  const keys = Object.keys(context);
  if (keys.length > MAX_CONTEXT_KEYS) throw new InsituError('invalid_argument', `context holds ${keys.length} keys; at most ${MAX_CONTEXT_KEYS}`);
  const features: ContextFeature[] = [];
  for (const key of keys.sort()) {
    const value = context[key];
    if (key.length > MAX_ID_LENGTH) throw new InsituError('invalid_argument', `context key longer than ${MAX_ID_LENGTH} characters`);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new InsituError('invalid_argument', `context.${key} must be a finite number`);
    if (value !== 0) features.push({ hash: hashString(`ctx:${key}`), value });
  }
  return features;
}

/** The feature index of the cross of a context key and a tag or embedding feature (by the feature's stable key hash). */
export function contextCross(space: FeatureSpace, keyHash: number, feature: number): number {
  return space.contextOffset + (mix32(keyHash ^ space.crossHashes[feature]!) % CONTEXT_BUCKETS);
}
