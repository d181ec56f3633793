import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexCatalog } from '../../../worker/decide/catalog.js';
import { BACKGROUND_WEIGHT, ContentModel, DAY_MS, DEFAULT_HALF_LIFE_DAYS, L2_PENALTY, recencyWeight, type TrainingExample } from '../../../worker/decide/content-model.js';
import { backgroundVector, buildFeatureSpace, itemRow } from '../../../worker/decide/features.js';
import { contentLogitsTf, fitContentModel } from '../../../worker/decide/tf-model.js';
import type { PersonalizerState } from '../../../worker/decide/state.js';
import type { CatalogItem } from '../../../worker/types.js';
import { harness } from './helpers.js';

const TOLERANCE = 1e-5;
const DECIDE_DIR = resolve(import.meta.dirname, '../../../worker/decide');
const HALF_LIFE_MS = DEFAULT_HALF_LIFE_DAYS * DAY_MS;
/** One learning event every six hours, so the oldest of the 80 examples is 20 days old and weighs less. */
const EVENT_SPACING_MS = 6 * 60 * 60 * 1000;
const START = 1_700_000_000_000;

/** Tags, text and embeddings, so every feature family is exercised. */
const catalog: CatalogItem[] = Array.from({ length: 60 }, (_, i) => ({
  id: `m${i}`,
  title: `${['Space', 'Garden', 'River', 'Night'][i % 4]} ${['odyssey', 'party', 'journal'][i % 3]} ${i}`,
  text: i % 5 === 0 ? 'a longer description with several words about the story' : undefined,
  tags: [['scifi', 'drama'][i % 2]!, ...(i % 3 === 0 ? ['classic'] : [])],
  embedding: [Math.sin(i), Math.cos(i), (i % 7) / 7, -((i % 4) / 4)],
}));

function setup() {
  const index = indexCatalog(catalog);
  const space = buildFeatureSpace(index);
  const model = new ContentModel(space, () => backgroundVector(space, undefined));
  const examples: TrainingExample[] = [];
  for (let t = 0; t < 80; t++) {
    const item = (t * 7) % 60;
    const label = item % 2 === 0 || t % 5 === 0 ? 1 : 0;
    const ts = START + t * EVENT_SPACING_MS;
    // Every third positive is a decision's outcome: not contrasted with the average item.
    const contrasted = label === 1 && t % 3 !== 0;
    model.learn(item, label, 1, ts, [], contrasted);
    examples.push({ item, label, weight: 1, contrasted, seq: t, ts });
  }
  return { space, model, examples };
}

/** The documented objective, in float64, independently of both learners. */
function objective(space: ReturnType<typeof setup>['space'], weights: Float32Array, bias: number, background: Float32Array, examples: TrainingExample[], now: number): number {
  const logit = (x: (f: number) => number) => {
    let z = bias;
    for (let f = 0; f < weights.length; f++) z += weights[f]! * x(f);
    return z;
  };
  const dense = (item: number) => {
    const row = new Float64Array(space.dim);
    const { indices, values } = itemRow(space, item);
    for (let k = 0; k < indices.length; k++) row[indices[k]!] = values[k]!;
    return row;
  };
  const bce = (z: number, y: number) => Math.log1p(Math.exp(z)) - y * z;
  let total = 0;
  let loss = 0;
  let positives = 0;
  for (const e of examples) {
    const rho = e.weight * recencyWeight(now - e.ts, HALF_LIFE_MS);
    const row = dense(e.item);
    loss += rho * bce(logit((f) => row[f]!), e.label);
    total += rho;
    if (e.label === 1 && e.contrasted) positives += rho * BACKGROUND_WEIGHT;
  }
  loss += positives * bce(logit((f) => background[f]!), 0);
  total += positives;
  let norm = 0;
  for (const w of weights) norm += w * w;
  return loss / total + (L2_PENALTY / 2) * norm;
}

describe('content model: typed-array scorer and tfjs', () => {
  it('give the same scores for every item (online weights, with a muted feature)', async () => {
    const { space, model } = setup();
    model.mask[space.tagIndex.get('classic')!] = 1;
    const items = catalog.map((_, i) => i);
    const tf = await contentLogitsTf(space, model.weights, model.bias, model.mask, items);
    let worst = 0;
    for (const i of items) worst = Math.max(worst, Math.abs(model.logit(i) - tf[i]!));
    expect(worst).toBeLessThan(TOLERANCE);
    // Not trivially equal: the scores differ between items.
    expect(new Set(items.map((i) => model.logit(i).toFixed(3))).size).toBeGreaterThan(10);
  });

  it('the tfjs refit lowers the documented objective, and the typed-array scorer reproduces the refit model', async () => {
    const { space, model, examples } = setup();
    const now = examples[examples.length - 1]!.ts;
    const before = objective(space, model.weights, model.bias, model.background, examples, now);
    const fitted = await fitContentModel({ space, weights: model.weights, bias: model.bias, mask: model.mask, background: model.background, examples, now, halfLifeMs: HALF_LIFE_MS });
    const after = objective(space, fitted.weights, fitted.bias, model.background, examples, now);
    expect(after).toBeLessThan(before);
    model.weights.set(fitted.weights);
    model.bias = fitted.bias;
    const items = catalog.map((_, i) => i);
    const tf = await contentLogitsTf(space, model.weights, model.bias, model.mask, items);
    for (const i of items) expect(Math.abs(model.logit(i) - tf[i]!)).toBeLessThan(TOLERANCE);
  });

  it('personalizer.train() refits with tfjs; the trained weights are what rank() and stored state then use', async () => {
    const h = harness({ catalog });
    const ids = catalog.map((c) => c.id);
    h.personalizer.observe(h.events('click', ids.filter((_, i) => i % 2 === 0).slice(0, 12)));
    h.personalizer.observe(h.events('impression', ids.filter((_, i) => i % 2 === 1).slice(0, 12), { placement: 'home' }));
    h.clock.t += 10 * 60 * 1000;
    h.personalizer.observe(h.events('scroll', ['m0']));
    const before = h.personalizer.rank({ placement: 'p', candidates: ids });
    await h.personalizer.train();
    const after = h.personalizer.rank({ placement: 'p', candidates: ids });
    expect(after).not.toEqual(before);
    expect(after[0]!.itemId).toMatch(/^m\d*[02468]$/);
    // A personalizer that never loads tfjs scores identically from the stored (trained) state.
    const reader = harness({ catalog });
    reader.personalizer.importState(h.personalizer.exportState() as PersonalizerState);
    expect(reader.personalizer.rank({ placement: 'p', candidates: ids })).toEqual(after);
  });

  it('tfjs is loaded only by train(): named imports from tfjs-core and the CPU backend, never the umbrella package', () => {
    for (const file of readdirSync(DECIDE_DIR).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(resolve(DECIDE_DIR, file), 'utf8');
      expect(source).not.toMatch(/from '@tensorflow\/tfjs'/);
      if (file === 'tf-model.ts') {
        expect(source).toMatch(/^import \{[^}]+\} from '@tensorflow\/tfjs-core';$/m);
        expect(source).toMatch(/^import \{ version_cpu \} from '@tensorflow\/tfjs-backend-cpu';$/m);
        continue;
      }
      expect(source).not.toMatch(/@tensorflow/);
      expect(source).not.toMatch(/^import [^;]*'\.\/tf-model\.js'/m);
    }
  });
});
