/**
 * The personalizer: the content model, engagement profile, bandit, caps and holdout composed
 * behind the `Personalizer` contract (worker/engine-types.ts). Synchronous except `train()`,
 * which loads tfjs on first use; everything else scores from typed arrays.
 */
import { InsituError } from '../errors.js';
import type { Affinity, Explanation, Personalizer, PersonalizerOptions } from '../engine-types.js';
import type { DecideRequest, Priors } from '../types.js';
import { FrequencyCaps } from './caps.js';
import { itemTags, MAX_ID_LENGTH, type CatalogIndex } from './catalog.js';
import { checkedPriors, compileCatalog, compilePriors } from './compile.js';
import { ContentModel, DAY_MS, DEFAULT_HALF_LIFE_DAYS } from './content-model.js';
import { chooseItem } from './decision.js';
import { compileRowsAhead, contextFeatures, featureIndex, featureKey, type FeatureSpace } from './features.js';
import { Learner } from './learner.js';
import type { PriorIndex } from './priors.js';
import { EngagementProfile } from './profile.js';
import { defaultScore, personalizedScore, rankingScore, type ScoringState } from './scorer.js';
import { MAX_MUTED_TAGS, MAX_STATE_DECISIONS, parseState, sealState, storedDecision, type PendingImpression, type PersonalizerStateBody, type StoredDecision, type StoredExample } from './state.js';

/** Decisions held for reward() and explain(), like the engine's own log. */
export const MAX_HELD_DECISIONS = 200;
/** Longest forgetting half-life accepted: ten years is as good as never forgetting. */
export const MAX_HALF_LIFE_DAYS = 3_650;
/** Affinities listed when no limit is given. */
export const DEFAULT_AFFINITY_LIMIT = 20;

/** Everything rebuilt when the catalog or priors change (learned state is carried over by id). */
export interface Parts extends ScoringState {
  catalog: CatalogIndex;
  space: FeatureSpace;
  priorIndex: PriorIndex;
  caps: FrequencyCaps;
  learner: Learner;
  muted: Set<string>;
  decisions: Map<string, StoredDecision>;
}

export function createPersonalizer(options: PersonalizerOptions): Personalizer {
  let priors = checkedPriors(options.priors);
  let lastSensitiveConsent = options.consent().sensitive;
  const halfLifeMs = checkedHalfLifeDays(options.halfLifeDays) * DAY_MS;
  let parts = buildParts(compileCatalog(options.catalog).catalog, priors);

  function buildParts(catalog: CatalogIndex, shipped: Priors | undefined, muted = new Set<string>()): Parts {
    const space = compileCatalog(catalog.items).space;
    const { priorIndex, background } = compilePriors(catalog, space, shipped);
    const model = new ContentModel(space, background, halfLifeMs);
    const profile = new EngagementProfile(priorIndex, catalog.items.length);
    const caps = new FrequencyCaps();
    // Sensitive items teach nothing and get no learned score without the `sensitive` purpose.
    const learnable = (item: number) => !catalog.sensitive[item] || options.consent().sensitive === 'granted';
    const built: Parts = {
      catalog,
      space,
      priorIndex,
      priors: priorIndex,
      model,
      profile,
      caps,
      itemMuted: new Uint8Array(catalog.items.length),
      learnable,
      learner: new Learner({ catalog, space, model, profile, caps, learnable, score: (item, context) => personalizedScore(built, item, context) }),
      muted,
      decisions: new Map(),
    };
    applyMutes(built);
    return built;
  }

  /** Mask muted tag features, flag items carrying them, and stop them (and withheld sensitive items) passing on neighbours. */
  function applyMutes(target: Parts): void {
    target.model.mask.fill(0);
    for (const tag of target.muted) {
      const f = target.space.tagIndex.get(tag);
      if (f !== undefined) target.model.mask[f] = 1;
    }
    const blocked = new Uint8Array(target.catalog.items.length);
    const withheld = options.consent().sensitive !== 'granted';
    target.catalog.items.forEach((item, i) => {
      target.itemMuted[i] = target.muted.size > 0 && itemTags(item).some((tag) => target.muted.has(tag)) ? 1 : 0;
      blocked[i] = target.itemMuted[i]! || (withheld && target.catalog.sensitive[i]) ? 1 : 0;
    });
    target.profile.rebuild(target.priorIndex, blocked);
  }

  /** Consent is read on every call; a change of the `sensitive` purpose re-blocks neighbours. */
  function syncConsent(): void {
    const now = options.consent().sensitive;
    if (now !== lastSensitiveConsent) {
      lastSensitiveConsent = now;
      applyMutes(parts);
    }
  }

  function exportBody(): PersonalizerStateBody {
    const { space, model, catalog, learner, profile } = parts;
    const weights: Array<[string, number]> = [];
    model.weights.forEach((w, f) => w !== 0 && weights.push([featureKey(space, f), w]));
    const id = (item: number) => catalog.items[item]!.id;
    return {
      weights,
      bias: model.bias,
      trendBase: [...learner.trendBase],
      trendNext: [...learner.trendNext],
      trendSeq: learner.trendSeq,
      profile: profile.entries().map(([item, strength]): [string, number] => [id(item), strength]),
      seen: profile.seenItems().map(id),
      examples: learner.examples.map((e): StoredExample => [id(e.item), e.label, e.weight, e.seq, e.ts, e.contrasted]),
      pending: learner.pending.map((p): PendingImpression => [p.itemId, p.placement, p.ts, p.decisionId, p.context.map((c): [number, number] => [c.hash, c.value])]),
      positives: [...learner.positives],
      caps: parts.caps.entries(),
      decisions: [...parts.decisions.values()].slice(-MAX_STATE_DECISIONS).map(storedDecision),
      muted: [...parts.muted],
      seq: learner.seq,
      precision: Array.from(model.precision),
      evidence: model.evidence,
      neighbourWeight: [model.neighbourWeight, model.neighbourPrecision],
      forgottenAt: Number.isFinite(model.forgottenAt) ? model.forgottenAt : null,
    };
  }

  function applyBody(body: PersonalizerStateBody): void {
    const { space, model, catalog, learner, profile } = parts;
    const index = (id: string) => catalog.indexOf.get(id);
    for (const [key, w] of body.weights) {
      const f = featureIndex(space, key);
      if (f >= 0) model.weights[f] = w;
    }
    model.bias = body.bias;
    learner.trendBase = new Map(body.trendBase);
    learner.trendNext = new Map(body.trendNext);
    learner.trendSeq = body.trendSeq;
    learner.seq = body.seq;
    const known = <T extends [string, ...unknown[]]>(rows: T[]) => rows.filter((row) => index(row[0]) !== undefined);
    profile.load(
      known(body.profile).map(([id, strength]): [number, number] => [index(id)!, strength]),
      body.seen.filter((id) => index(id) !== undefined).map((id) => index(id)!),
    );
    // State from before decision outcomes went uncontrasted contrasted every positive.
    learner.examples = known(body.examples).map(([id, label, weight, seq, ts, contrasted = label === 1]) => ({ item: index(id)!, label, weight, contrasted, seq, ts }));
    learner.pending = known(body.pending).map(([itemId, placement, ts, decisionId, context]) => ({
      item: index(itemId)!,
      itemId,
      placement,
      ts,
      decisionId,
      context: context.map(([hash, value]) => ({ hash, value })),
    }));
    learner.positives = new Map(body.positives);
    parts.caps.load(body.caps);
    parts.decisions = new Map(body.decisions.map((d) => [d.record.decisionId, d]));
    parts.muted = new Set(body.muted);
    // A catalog whose embedding width changed starts its embedding precision from the prior.
    if (body.precision.length === model.precision.length) model.precision.set(body.precision);
    model.evidence = body.evidence;
    // State from before calibration starts from the shipped weight.
    if (body.neighbourWeight) [model.neighbourWeight, model.neighbourPrecision] = body.neighbourWeight;
    model.forgottenAt = body.forgottenAt ?? Number.NEGATIVE_INFINITY;
    applyMutes(parts);
  }

  /** Rebuild for a new catalog or priors, carrying everything learned over by id. */
  function rebuild(catalog: CatalogIndex): void {
    const body = exportBody();
    parts = buildParts(catalog, priors);
    applyBody(body);
  }

  function checkCandidates(request: DecideRequest): void {
    if (typeof request !== 'object' || request === null || typeof request.placement !== 'string') {
      throw new InsituError('invalid_argument', 'a request needs a placement name');
    }
    if (!Array.isArray(request.candidates) || request.candidates.some((c) => typeof c !== 'string')) {
      throw new InsituError('invalid_argument', 'candidates must be an array of item ids');
    }
  }

  function checkTag(tag: unknown): string {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_ID_LENGTH) throw new InsituError('invalid_argument', 'a tag must be a non-empty string');
    return tag;
  }

  return {
    observe(events) {
      if (!Array.isArray(events)) throw new InsituError('invalid_argument', 'observe() takes an array of events');
      syncConsent();
      parts.learner.observe(events);
    },

    rank(request) {
      checkCandidates(request);
      syncConsent();
      const features = contextFeatures(request.context);
      parts.model.forget(options.clock.now());
      const score = options.inHoldout ? defaultScore : rankingScore;
      const ranked = request.candidates.map((itemId, order) => ({ itemId, score: score(parts, parts.catalog.indexOf.get(itemId) ?? -1, features), order }));
      ranked.sort((a, b) => b.score - a.score || a.order - b.order);
      const k = request.k === undefined ? ranked.length : Math.max(0, Math.floor(request.k));
      return ranked.slice(0, k).map(({ itemId, score: s }) => ({ itemId, score: s }));
    },

    decide(request) {
      checkCandidates(request);
      syncConsent();
      const { record, drivers, features } = chooseItem(parts, request, {
        inHoldout: options.inHoldout,
        now: options.clock.now(),
        random: options.random,
        consentSensitive: options.consent().sensitive,
      });
      parts.decisions.set(record.decisionId, { record, drivers, rewarded: false, context: features.map((c): [number, number] => [c.hash, c.value]) });
      if (parts.decisions.size > MAX_HELD_DECISIONS) parts.decisions.delete(parts.decisions.keys().next().value!);
      return record;
    },

    reward(decisionId, value) {
      if (!Number.isFinite(value)) throw new InsituError('invalid_argument', 'reward value must be a finite number');
      const held = parts.decisions.get(decisionId);
      if (!held || held.rewarded) return false;
      const now = options.clock.now();
      held.rewarded = true;
      held.record = { ...held.record, reward: value, rewardedAt: now };
      syncConsent();
      parts.learner.learnReward(
        held.record,
        value,
        now,
        held.context.map(([hash, v]) => ({ hash, value: v })),
      );
      return true;
    },

    withdraw(decisionId) {
      const held = parts.decisions.get(decisionId);
      if (!held) return;
      parts.decisions.delete(decisionId);
      parts.caps.unrecord(held.record.placement, held.record.itemId, held.record.ts);
      parts.learner.dropPending(decisionId);
    },

    explain(decisionId): Explanation | undefined {
      const held = parts.decisions.get(decisionId);
      if (!held) return undefined;
      const { record } = held;
      const alternatives = record.candidates
        .map((itemId, a) => ({ itemId, score: record.scores[a]!, probability: record.probabilities[a]! }))
        .sort((x, y) => y.score - x.score);
      return {
        decisionId,
        itemId: record.itemId,
        policy: record.policy,
        exploring: record.exploring,
        propensity: record.propensity,
        reasons: [...record.reasons],
        alternatives,
        drivers: held.drivers.map((d) => ({ ...d })),
      };
    },

    mute(tag) {
      const name = checkTag(tag);
      if (!parts.muted.has(name) && parts.muted.size >= MAX_MUTED_TAGS) throw new InsituError('invalid_argument', `at most ${MAX_MUTED_TAGS} muted tags`);
      parts.muted.add(name);
      applyMutes(parts);
    },

    unmute(tag) {
      parts.muted.delete(checkTag(tag));
      applyMutes(parts);
    },

    affinities(limit = DEFAULT_AFFINITY_LIMIT): Affinity[] {
      const { learner } = parts;
      return [...learner.tagWeights()]
        .map(([tag, weight]) => ({ tag, weight, trend: weight - (learner.trendBase.get(tag) ?? 0) }))
        .sort((a, b) => b.weight - a.weight || (a.tag < b.tag ? -1 : 1))
        .slice(0, Math.max(0, limit));
    },

    setCatalog(next) {
      rebuild(compileCatalog(next).catalog);
    },

    setPriors(next) {
      priors = checkedPriors(next);
      rebuild(parts.catalog);
    },

    exportState() {
      return sealState(exportBody());
    },

    importState(state) {
      try {
        const body = parseState(state);
        parts = buildParts(parts.catalog, priors);
        applyBody(body);
      } catch (error) {
        // Leave a clean start, never a half-applied state.
        parts = buildParts(parts.catalog, priors);
        throw error instanceof InsituError ? error : new InsituError('invalid_argument', `personalizer state rejected: ${String(error)}`);
      }
    },

    async train() {
      const { fitContentModel } = await import('./tf-model.js');
      const trained = parts;
      const { model, learner } = trained;
      const startSeq = learner.seq;
      const fitted = await fitContentModel({
        space: trained.space,
        weights: model.weights,
        bias: model.bias,
        mask: model.mask,
        background: model.background,
        examples: [...learner.examples],
        now: options.clock.now(),
        halfLifeMs,
      });
      // Reset or a new catalog while fitting: the fit belongs to a state that is gone.
      if (parts !== trained) return;
      model.weights.set(fitted.weights);
      model.bias = fitted.bias;
      // Events that arrived during the fit are replayed on top of it.
      for (const example of learner.examples) if (example.seq >= startSeq) model.learn(example.item, example.label, example.weight, example.ts, [], example.contrasted);
    },

    compileAhead(count) {
      return compileRowsAhead(parts.space, count);
    },

    reset() {
      parts = buildParts(parts.catalog, priors);
    },
  };
}

/** The forgetting half-life in days: a positive number of days, at most MAX_HALF_LIFE_DAYS. */
function checkedHalfLifeDays(days: number | undefined): number {
  if (days === undefined) return DEFAULT_HALF_LIFE_DAYS;
  if (typeof days !== 'number' || !(days > 0 && days <= MAX_HALF_LIFE_DAYS)) {
    throw new InsituError('invalid_argument', `halfLifeDays must be a number of days above 0, at most ${MAX_HALF_LIFE_DAYS}`);
  }
  return days;
}
