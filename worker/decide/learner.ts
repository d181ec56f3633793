/**
 * Learning from the user's own events: positives (view, click, dwell, convert) feed the content
 * model and the engagement profile; an impression becomes a negative once it has gone
 * IMPRESSION_SETTLE_MS without a click on its item. Sensitive items teach nothing without the
 * `sensitive` purpose. Attribution of clicks to decisions is the engine's: it calls reward().
 */
import type { DecisionRecord, InsituEvent } from '../types.js';
import type { FrequencyCaps } from './caps.js';
import type { CatalogIndex } from './catalog.js';
import { MAX_TRAINING_EXAMPLES, sigmoid, type ContentModel, type TrainingExample } from './content-model.js';
import type { ContextFeature, FeatureSpace } from './features.js';
import type { EngagementProfile } from './profile.js';
import { neighbourFeature } from './scorer.js';
import { MAX_PENDING_IMPRESSIONS, MAX_RECENT_POSITIVES } from './state.js';

/** How much each positive event teaches (a conversion says more than a view). */
export const POSITIVE_WEIGHTS: Readonly<Record<string, number>> = { view: 1, click: 1, dwell: 1, convert: 2 };
/** Dwell shorter than this is a bounce, not interest. */
export const MIN_DWELL_MS = 5_000;
/** An impression without a click on its item within this long counts as a negative. */
export const IMPRESSION_SETTLE_MS = 5 * 60 * 1000;
/** A shown-but-ignored item teaches less than a click: it may not even have been looked at. */
export const NEGATIVE_WEIGHT = 0.5;
/** Learning events per affinity-trend window. */
export const TREND_WINDOW = 20;

export interface Pending {
  item: number;
  itemId: string;
  placement: string;
  ts: number;
  decisionId: string | null;
  /** The decision's context, so an ignored showing teaches the context crosses too. */
  context: ContextFeature[];
}

export interface LearnerParts {
  catalog: CatalogIndex;
  space: FeatureSpace;
  model: ContentModel;
  profile: EngagementProfile;
  caps: FrequencyCaps;
  learnable: (item: number) => boolean;
  /** The personalized score (logit) of an item in a context: the prediction a decision's outcome is checked against. */
  score: (item: number, context: readonly ContextFeature[]) => number;
}

export class Learner {
  examples: TrainingExample[] = [];
  pending: Pending[] = [];
  /** Item id → time of its last positive event (a reward for the same click is not learned twice). */
  positives = new Map<string, number>();
  seq = 0;
  trendBase = new Map<string, number>();
  trendNext = new Map<string, number>();
  trendSeq = 0;

  constructor(private readonly parts: LearnerParts) {}

  observe(events: InsituEvent[]): void {
    for (const event of events) {
      if (typeof event !== 'object' || event === null || typeof event.type !== 'string' || !Number.isFinite(event.ts)) continue;
      this.settle(event.ts);
      if (typeof event.itemId !== 'string') continue;
      const item = this.parts.catalog.indexOf.get(event.itemId);
      if (item === undefined || !this.parts.learnable(item)) continue;
      if (event.type === 'impression') {
        this.addPending(item, event.itemId, event.placement ?? '', event.ts, event.decisionId ?? null, []);
        continue;
      }
      const weight = POSITIVE_WEIGHTS[event.type];
      if (weight === undefined) continue;
      if (event.type === 'dwell' && !((event.value ?? 0) >= MIN_DWELL_MS)) continue;
      // A positive on an item a decision showed (a click, a dwell, a view of it) is that
      // decision's outcome, not an implicit positive: its ignored showings are its negatives.
      const answersDecision = typeof event.decisionId === 'string' || this.pending.some((p) => p.item === item && p.decisionId !== null);
      this.positive(item, event.itemId, weight, event.ts, [], !answersDecision);
    }
  }

  /** A shown item waits for a click; the decision's own impression is not counted twice. */
  addPending(item: number, itemId: string, placement: string, ts: number, decisionId: string | null, context: ContextFeature[]): void {
    if (this.pending.some((p) => (decisionId !== null && p.decisionId === decisionId) || (p.item === item && p.placement === placement && decisionId === null))) return;
    this.pending.push({ item, itemId, placement, ts, decisionId, context });
    while (this.pending.length > MAX_PENDING_IMPRESSIONS) this.settleOne(0);
  }

  /** A decision the page never showed: its impression teaches nothing. */
  dropPending(decisionId: string): void {
    this.pending = this.pending.filter((p) => p.decisionId !== decisionId);
  }

  /** Impressions whose click window has passed become negatives. */
  settle(now: number): void {
    for (let p = 0; p < this.pending.length; ) {
      if (now - this.pending[p]!.ts >= IMPRESSION_SETTLE_MS) this.settleOne(p, now);
      else p++;
    }
  }

  /** Learning from reward(): the engine attributed a click (value > 0) or a miss to a decision made in `context`. */
  learnReward(record: DecisionRecord, value: number, now: number, context: ContextFeature[]): void {
    const at = this.pending.findIndex((p) => p.decisionId === record.decisionId);
    const wasPending = at >= 0;
    if (wasPending) this.pending.splice(at, 1);
    const item = this.parts.catalog.indexOf.get(record.itemId);
    if (item === undefined || !this.parts.learnable(item)) return;
    if (value > 0 || wasPending) this.calibrate(item, value > 0 ? 1 : 0, value > 0 ? 1 : NEGATIVE_WEIGHT, context);
    if (value > 0) {
      this.parts.caps.clear(record.itemId, record.placement);
      // The click event itself may already have taught this; learn it once.
      if ((this.positives.get(record.itemId) ?? Number.NEGATIVE_INFINITY) < record.ts) this.positive(item, record.itemId, 1, now, context, false);
    } else if (wasPending) {
      this.negative(item, now, context);
    }
  }

  /**
   * A positive: `contrasted` when it is implicit (the user came to the item by themselves), not
   * when it is a decision's outcome, whose ignored showings are its negatives (content-model.ts).
   */
  positive(item: number, itemId: string, weight: number, ts: number, context: ContextFeature[] = [], contrasted = true): void {
    this.parts.model.learn(item, 1, weight, ts, context, contrasted);
    this.remember({ item, label: 1, weight, contrasted, seq: this.seq, ts });
    this.parts.profile.engage(item, weight);
    this.pending = this.pending.filter((p) => p.item !== item);
    this.positives.delete(itemId);
    this.positives.set(itemId, ts);
    if (this.positives.size > MAX_RECENT_POSITIVES) this.positives.delete(this.positives.keys().next().value!);
    this.parts.caps.clear(itemId);
  }

  negative(item: number, ts: number, context: ContextFeature[] = []): void {
    this.parts.model.learn(item, 0, NEGATIVE_WEIGHT, ts, context);
    this.remember({ item, label: 0, weight: NEGATIVE_WEIGHT, contrasted: false, seq: this.seq, ts });
  }

  /** The learned weight of each tag (unmuted, non-zero). */
  tagWeights(): Map<string, number> {
    const out = new Map<string, number>();
    const { space, model } = this.parts;
    space.tags.forEach((tag, f) => {
      if (!model.mask[f] && model.weights[f] !== 0) out.set(tag, model.weights[f]!);
    });
    return out;
  }

  /** Settle pending impression `at` as a negative, learned at `now` (or, when pushed out early, at its own time). */
  private settleOne(at: number, now?: number): void {
    const [settled] = this.pending.splice(at, 1);
    if (!settled || !this.parts.learnable(settled.item)) return;
    // An ignored showing the policy chose is a decision outcome: it calibrates the neighbour weight too.
    if (settled.decisionId !== null) this.calibrate(settled.item, 0, NEGATIVE_WEIGHT, settled.context);
    this.negative(settled.item, now ?? settled.ts, settled.context);
  }

  /** A decision's outcome calibrates the neighbour weight, against the prediction before it is learned. */
  private calibrate(item: number, label: 0 | 1, weight: number, context: readonly ContextFeature[]): void {
    const { model, profile, score } = this.parts;
    model.learnNeighbourWeight(neighbourFeature(profile.neighbourScore(item)), sigmoid(score(item, context)), label, weight);
  }

  private remember(example: TrainingExample): void {
    this.examples.push(example);
    if (this.examples.length > MAX_TRAINING_EXAMPLES) this.examples.shift();
    this.seq++;
    if (this.seq - this.trendSeq >= TREND_WINDOW) {
      this.trendBase = this.trendNext;
      this.trendNext = this.tagWeights();
      this.trendSeq = this.seq;
    }
  }
}
