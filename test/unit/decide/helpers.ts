import { createPersonalizer } from '../../../worker/decide/index.js';
import type { Personalizer } from '../../../worker/engine-types.js';
import { createSeededRandom } from '../../../worker/seeded-random.js';
import type { CatalogItem, ConsentState, InsituEvent, Priors } from '../../../worker/types.js';

export const GRANTED: ConsentState = { personalization: 'granted', metrics: 'granted', sensitive: 'denied' };

export interface Harness {
  personalizer: Personalizer;
  clock: { t: number; now(): number };
  consent: ConsentState;
  options: { catalog: CatalogItem[]; priors?: Priors; seed?: number; inHoldout?: boolean; consent?: Partial<ConsentState> };
  /** Events of one type on the given items, one second apart, advancing the clock. */
  events(type: string, itemIds: string[], extra?: Partial<InsituEvent>): InsituEvent[];
}

let eventCounter = 0;

export function harness(options: { catalog: CatalogItem[]; priors?: Priors; seed?: number; inHoldout?: boolean; consent?: Partial<ConsentState> }): Harness {
  const clock = { t: 1_700_000_000_000, now: () => clock.t };
  const consent: ConsentState = { ...GRANTED, ...options.consent };
  const personalizer = createPersonalizer({
    catalog: options.catalog,
    priors: options.priors,
    random: createSeededRandom(options.seed ?? 1),
    clock,
    consent: () => consent,
    inHoldout: options.inHoldout ?? false,
  });
  return {
    personalizer,
    clock,
    consent,
    options,
    events(type, itemIds, extra = {}) {
      return itemIds.map((itemId) => {
        clock.t += 1_000;
        return { id: `e${eventCounter++}`, type, itemId, ts: clock.t, ...extra };
      });
    },
  };
}

/** Items in two themes (`a*` tagged alpha, `b*` tagged beta), plus a few neutral ones. */
export function twoThemeCatalog(perTheme = 10): CatalogItem[] {
  const items: CatalogItem[] = [];
  for (let i = 0; i < perTheme; i++) {
    items.push({ id: `a${i}`, title: `Alpha story ${i}`, tags: ['alpha'] });
    items.push({ id: `b${i}`, title: `Beta story ${i}`, tags: ['beta'] });
  }
  for (let i = 0; i < 4; i++) items.push({ id: `n${i}`, title: `Neutral ${i}`, tags: ['neutral'] });
  return items;
}

export function scoreOf(personalizer: Personalizer, itemId: string, candidates: string[]): number {
  return personalizer.rank({ placement: 'p', candidates }).find((r) => r.itemId === itemId)!.score;
}

export function meanScore(personalizer: Personalizer, ids: string[], candidates: string[]): number {
  return ids.reduce((s, id) => s + scoreOf(personalizer, id, candidates), 0) / ids.length;
}

/** Scores as decide() sees them (no demotion of items already engaged with), from a copy so the probe teaches nothing. */
export function decideScores(h: Harness, candidates: string[]): Record<string, number> {
  const copy = harness({ ...h.options, consent: h.consent });
  copy.clock.t = h.clock.t;
  copy.personalizer.importState(h.personalizer.exportState());
  const record = copy.personalizer.decide({ placement: 'probe', candidates });
  return Object.fromEntries(candidates.map((id, a) => [id, record.scores[a]!]));
}
