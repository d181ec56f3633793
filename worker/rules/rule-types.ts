/**
 * Site rules, as parsed: what a site declares per placement (eligibility filters, pinned choices,
 * frequency caps, a fallback), normalised so evaluation never re-reads the JSON. Plain data only,
 * so a RuleSet can be stored, logged and sent across the worker boundary as is.
 */
import type { JourneyStage } from '../signals/signal-types.js';

export const RULES_VERSION = 1;

export type HistoryKind = 'seen' | 'clicked' | 'converted';
export const HISTORY_KINDS: readonly HistoryKind[] = ['seen', 'clicked', 'converted'];

/** Catalog fields a filter may test. `embedding` and `text` only for presence. */
export type ItemField = 'sensitive' | 'title' | 'text' | 'tags' | 'embedding';
export const ITEM_FIELDS: readonly ItemField[] = ['sensitive', 'title', 'text', 'tags', 'embedding'];
/** Fields compared with `equals`: short strings, unlike free text or vectors. */
export const EQUATABLE_FIELDS: readonly ItemField[] = ['sensitive', 'title'];

export type ItemFilter =
  | { kind: 'history'; history: HistoryKind; withinDays?: number }
  | { kind: 'tag'; tag: string }
  | { kind: 'anyTag'; tags: string[] }
  | { kind: 'ids'; ids: string[] }
  | { kind: 'fieldExists'; field: ItemField; exists: boolean }
  | { kind: 'fieldEquals'; field: ItemField; equals: string };

export interface NumberRange {
  atLeast?: number;
  atMost?: number;
}

/** Every part given must hold. `hour` is local, `from` inclusive, `to` exclusive, wrapping past midnight. */
export interface Condition {
  stage?: JourneyStage[];
  engagement?: NumberRange;
  sessions?: NumberRange;
  hour?: { from: number; to: number };
  /** 0 = Sunday … 6 = Saturday. */
  weekday?: number[];
}

interface RuleBase {
  /** `name` when the site gave one, else where it sits: `hero.eligibility[0]`. */
  id: string;
  when?: Condition;
}

export interface EligibilityRule extends RuleBase {
  /** `exclude`: drop matching items; `only`: keep matching items alone. */
  mode: 'exclude' | 'only';
  filter: ItemFilter;
}

export interface PinRule extends RuleBase {
  item: string;
}

export interface CapRule {
  id: string;
  maxImpressions: number;
  withinDays: number;
}

export interface PlacementRules {
  eligibility: EligibilityRule[];
  pins: PinRule[];
  caps: CapRule[];
  fallback?: string;
}

export interface RuleSet {
  version: typeof RULES_VERSION;
  /** Look up with Object.hasOwn: placement names come from the page. */
  placements: Record<string, PlacementRules>;
}
