/**
 * What the engine does around the learned policy: behavioural signals from this device's events,
 * the site's declared rules (applied before the bandit), and diversity for shelves. Pinned and
 * emptied-placement choices are logged under their own policies (`pinned`, `fallback`, with
 * propensity 1) so the learned policy's evaluation stays unbiased.
 */
import { InsituError } from './errors.js';
import { rerankForDiversity, tagJaccardSimilarity, type Similarity } from './diversity.js';
import { createItemHistory } from './rules/item-history.js';
import type { applyRules } from './rules/evaluate.js';
import type { parseRules } from './rules/parse.js';
import type { RuleSet } from './rules/rule-types.js';
import { createSignalTracker, signalContext, type DeviceSignals } from './signals/index.js';
import type { CatalogItem, DecideRequest, DecisionRecord, InsituEvent, RankedItem } from './types.js';

/**
 * The rules' parser and evaluator, handed in: the worker imports them only when the site has
 * rules (their code is a third of the engine's), before its first decision.
 */
export interface RuleBook {
  parseRules: typeof parseRules;
  applyRules: typeof applyRules;
}

export interface SiteRulesOptions {
  /** The site's rules as JSON (text or parsed); invalid rules are refused with `invalid_rules`. */
  rules?: unknown;
  /** Weight of diversity when ranking a shelf (k > 1): 0 is pure relevance. */
  diversity?: number;
  /** Local time: minutes to add to local time to get UTC, as `Date#getTimezoneOffset()` gives. */
  timezoneOffset(now: number): number;
  /** Needed when there are rules; without it they are refused with `invalid_rules`. */
  ruleBook?: RuleBook;
}

export interface SiteRules {
  observe(events: InsituEvent[]): void;
  signals(now: number): DeviceSignals;
  /** The request's context with this device's signal features added (the page's own keys win). */
  context(request: DecideRequest, now: number): Record<string, number>;
  /** Decide under the rules; `personalize` runs the learned policy over the candidates the rules left. */
  decide(request: DecideRequest, now: number, newId: () => string, personalize: (request: DecideRequest) => DecisionRecord): DecisionRecord;
  /** Re-rank a shelf for diversity (a no-op for k ≤ 1 or weight 0). */
  diversify(ranked: RankedItem[], k: number | undefined): RankedItem[];
  setCatalog(items: CatalogItem[]): void;
  setRules(rules: unknown): void;
  exportState(): unknown;
  importState(state: unknown): void;
  reset(): void;
}

export function createSiteRules(options: SiteRulesOptions): SiteRules {
  const tracker = createSignalTracker();
  const history = createItemHistory();
  let catalog = new Map<string, CatalogItem>();
  let similarity: Similarity = tagJaccardSimilarity(catalog);
  let rules: RuleSet | undefined;
  const diversity = options.diversity ?? 0;
  if (!(diversity >= 0 && diversity <= 1)) throw new InsituError('invalid_argument', 'diversity must be between 0 and 1');

  const ruleBook = (): RuleBook => {
    if (!options.ruleBook) throw new InsituError('invalid_rules', 'this engine was started without the rules code, so it cannot apply rules');
    return options.ruleBook;
  };
  const setRules = (json: unknown) => {
    rules = json === undefined ? undefined : ruleBook().parseRules(json);
  };
  setRules(options.rules);

  const signals = (now: number) => tracker.current(now, options.timezoneOffset(now));

  function ruledDecision(request: DecideRequest, now: number, id: string, itemId: string, policy: 'pinned' | 'fallback', reasons: string[]): DecisionRecord {
    return {
      decisionId: id,
      placement: request.placement,
      itemId,
      propensity: 1,
      exploring: false,
      policy,
      reasons,
      ts: now,
      candidates: request.candidates,
      scores: request.candidates.map(() => 0),
      probabilities: request.candidates.map((c) => (c === itemId ? 1 : 0)),
    };
  }

  return {
    observe(events) {
      tracker.observe(events);
      history.observe(events);
    },
    signals,
    context(request, now) {
      return { ...signalContext(signals(now)), ...request.context };
    },
    decide(request, now, newId, personalize) {
      if (!rules) return personalize(request);
      const outcome = ruleBook().applyRules(rules, { placement: request.placement, candidates: request.candidates, catalog, signals: signals(now), history, now });
      if (outcome.pinned) {
        return ruledDecision(request, now, newId(), outcome.pinned.itemId, 'pinned', [`A site rule chose this: ${outcome.pinned.rule}.`, ...outcome.fired]);
      }
      if (outcome.candidates.length === 0) {
        const itemId = outcome.fallback ?? request.candidates[0]!;
        return ruledDecision(request, now, newId(), itemId, 'fallback', [...outcome.fired, "The site's rules left no candidate, so its default was shown."]);
      }
      const record = personalize({ ...request, candidates: outcome.candidates });
      return outcome.fired.length ? { ...record, reasons: [...record.reasons, ...outcome.fired] } : record;
    },
    diversify(ranked, k) {
      if (!k || k <= 1 || diversity === 0) return k ? ranked.slice(0, k) : ranked;
      return rerankForDiversity(ranked, similarity, { k, lambda: diversity });
    },
    setCatalog(items) {
      catalog = new Map(items.map((item) => [item.id, item]));
      similarity = tagJaccardSimilarity(catalog);
    },
    setRules,
    exportState() {
      return { tracker: tracker.exportState(), history: history.exportState() };
    },
    importState(state) {
      if (typeof state !== 'object' || state === null) throw new InsituError('invalid_argument', 'stored signals are not an object');
      const { tracker: trackerState, history: historyState } = state as { tracker?: unknown; history?: unknown };
      if (trackerState !== undefined) tracker.importState(trackerState);
      if (historyState !== undefined) history.importState(historyState);
    },
    reset() {
      tracker.reset();
      history.reset();
    },
  };
}
