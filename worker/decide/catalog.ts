/**
 * The catalog as the decision maker holds it: validated once, then addressed by a dense index so
 * scoring runs over typed arrays instead of string-keyed maps.
 */
import { InsituError } from '../errors.js';
import type { CatalogItem } from '../types.js';

/** Largest catalog held on a device: typed arrays over it stay a few MB. */
export const MAX_CATALOG_ITEMS = 200_000;
/** Longest item id, tag or sensitive category accepted (they end up in stored state). */
export const MAX_ID_LENGTH = 256;
/** Tags per item beyond this are ignored: features stay sparse and scoring cost bounded. */
export const MAX_TAGS_PER_ITEM = 32;

export interface CatalogIndex {
  items: CatalogItem[];
  indexOf: Map<string, number>;
  /** Per item, 1 when it carries a sensitive category. */
  sensitive: Uint8Array;
}

export function indexCatalog(items: unknown): CatalogIndex {
  if (!Array.isArray(items)) throw new InsituError('invalid_catalog', 'catalog must be an array of items');
  if (items.length > MAX_CATALOG_ITEMS) {
    throw new InsituError('invalid_catalog', `catalog has ${items.length} items; at most ${MAX_CATALOG_ITEMS}`);
  }
  const indexOf = new Map<string, number>();
  const sensitive = new Uint8Array(items.length);
  let embeddingLength: number | undefined;
  items.forEach((item: unknown, index) => {
    const fail = (why: string): never => {
      throw new InsituError('invalid_catalog', `catalog item ${index}: ${why}`, { index });
    };
    if (typeof item !== 'object' || item === null) fail('not an object');
    const { id, title, tags, text, embedding, sensitive: category } = item as Record<string, unknown>;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) fail('id must be a non-empty string');
    if (indexOf.has(id as string)) fail(`duplicate id ${JSON.stringify(id)}`);
    if (title !== undefined && typeof title !== 'string') fail('title must be a string');
    if (text !== undefined && typeof text !== 'string') fail('text must be a string');
    if (tags !== undefined && (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || t.length === 0 || t.length > MAX_ID_LENGTH))) {
      fail('tags must be non-empty strings');
    }
    if (embedding !== undefined) {
      if (!Array.isArray(embedding) || embedding.some((v) => typeof v !== 'number' || !Number.isFinite(v))) fail('embedding must be finite numbers');
      const length = (embedding as number[]).length;
      if (embeddingLength !== undefined && length !== embeddingLength) fail('every embedding must have the same length');
      embeddingLength = length;
    }
    if (category !== undefined && (typeof category !== 'string' || category.length > MAX_ID_LENGTH)) fail('sensitive must be a string');
    if (typeof category === 'string' && category.length > 0) sensitive[index] = 1;
    indexOf.set(id as string, index);
  });
  return { items: items as CatalogItem[], indexOf, sensitive };
}

/** The tags of an item as scoring sees them: unique, bounded. */
export function itemTags(item: CatalogItem): string[] {
  if (!item.tags) return [];
  return [...new Set(item.tags)].slice(0, MAX_TAGS_PER_ITEM);
}

/** How a person would name the item in a reason. */
export function itemLabel(item: CatalogItem | undefined, id: string): string {
  return item?.title ?? id;
}
