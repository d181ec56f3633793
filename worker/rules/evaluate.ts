/**
 * applyRules: the site's rules for one placement, applied on the device before the bandit.
 *
 * Order: eligibility rules in the order written (each `exclude` drops matching items, each `only`
 * keeps matching items alone; a rule whose `when` does not hold is skipped), then frequency caps.
 * If nothing is left, the placement's fallback is returned for the caller to use and log as
 * `fallback`. Otherwise the first pin whose `when` holds and whose item survived is returned
 * (logged as policy `pinned`, apart from the learned policy). A pin never brings back an item the
 * page did not offer or the rules removed. A placement without rules passes candidates through.
 *
 * An item missing from the catalog has no tags and no fields: `only` tag rules drop it and
 * `exclude` field rules keep it.
 */
import type { DeviceSignals } from '../signals/signal-types.js';
import type { CatalogItem } from '../types.js';
import { describeCap, describeCondition, describeEligibility, listIds } from './describe.js';
import type { ItemHistory } from './item-history.js';
import type { Condition, ItemFilter, NumberRange, PlacementRules, RuleSet } from './rule-types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RuleInput {
  placement: string;
  candidates: string[];
  catalog: Map<string, CatalogItem>;
  signals: DeviceSignals;
  history: ItemHistory;
  now: number;
}

export interface RuleOutcome {
  /** The candidates the rules left, in the order given. */
  candidates: string[];
  /** A pin that applies: the caller shows this item with policy `pinned` and propensity 1. */
  pinned?: { itemId: string; rule: string };
  /** Set when no candidate is left and the placement declares a fallback. */
  fallback?: string;
  /** What each rule that changed something did, in plain language. */
  fired: string[];
}

export function rulesFor(rules: RuleSet, placement: string): PlacementRules | undefined {
  return Object.hasOwn(rules.placements, placement) ? rules.placements[placement] : undefined;
}

export function applyRules(rules: RuleSet, input: RuleInput): RuleOutcome {
  const placementRules = rulesFor(rules, input.placement);
  if (!placementRules) return { candidates: [...input.candidates], fired: [] };
  const { signals, history, catalog, now, placement } = input;
  const fired: string[] = [];
  let remaining = [...input.candidates];

  for (const rule of placementRules.eligibility) {
    if (rule.when && !conditionHolds(rule.when, signals)) continue;
    const matches = (id: string) => filterMatches(rule.filter, id, catalog, history, now);
    const kept = remaining.filter((id) => (rule.mode === 'only' ? matches(id) : !matches(id)));
    if (kept.length < remaining.length) {
      const removed = remaining.filter((id) => !kept.includes(id));
      fired.push(`${rule.id} (${describeEligibility(rule)}) removed ${removed.length} of ${remaining.length}: ${listIds(removed)}.`);
    }
    remaining = kept;
  }

  for (const cap of placementRules.caps) {
    const since = now - cap.withinDays * DAY_MS;
    const kept = remaining.filter((id) => history.impressionsSince(id, placement, since) < cap.maxImpressions);
    if (kept.length < remaining.length) {
      const removed = remaining.filter((id) => !kept.includes(id));
      fired.push(`${cap.id} (${describeCap(cap)}) removed ${removed.length} of ${remaining.length}: ${listIds(removed)}.`);
    }
    remaining = kept;
  }

  if (remaining.length === 0) {
    if (placementRules.fallback === undefined) {
      fired.push(`No candidate left for ${placement} and no fallback declared.`);
      return { candidates: [], fired };
    }
    fired.push(`No candidate left for ${placement}: fallback "${placementRules.fallback}".`);
    return { candidates: [], fallback: placementRules.fallback, fired };
  }

  for (const pin of placementRules.pins) {
    if (pin.when && !conditionHolds(pin.when, signals)) continue;
    if (!remaining.includes(pin.item)) continue;
    fired.push(`${pin.id} pinned "${pin.item}"${describeCondition(pin.when)}.`);
    return { candidates: remaining, pinned: { itemId: pin.item, rule: pin.id }, fired };
  }
  return { candidates: remaining, fired };
}

export function conditionHolds(when: Condition, signals: DeviceSignals): boolean {
  if (when.stage && !when.stage.includes(signals.stage)) return false;
  if (when.engagement && !inRange(signals.engagement, when.engagement)) return false;
  if (when.sessions && !inRange(signals.sessions, when.sessions)) return false;
  if (when.hour) {
    const { from, to } = when.hour;
    const h = signals.hour;
    // 22 → 6 wraps past midnight: 22, 23, 0, … 5.
    const inHours = from < to ? h >= from && h < to : h >= from || h < to;
    if (!inHours) return false;
  }
  if (when.weekday && !when.weekday.includes(signals.weekday)) return false;
  return true;
}

export function filterMatches(filter: ItemFilter, id: string, catalog: Map<string, CatalogItem>, history: ItemHistory, now: number): boolean {
  switch (filter.kind) {
    case 'history': {
      const ts = history.lastTs(id, filter.history);
      if (ts === undefined) return false;
      return filter.withinDays === undefined || ts >= now - filter.withinDays * DAY_MS;
    }
    case 'tag':
      return catalog.get(id)?.tags?.includes(filter.tag) ?? false;
    case 'anyTag': {
      const tags = catalog.get(id)?.tags ?? [];
      return filter.tags.some((t) => tags.includes(t));
    }
    case 'ids':
      return filter.ids.includes(id);
    case 'fieldExists':
      return hasField(catalog.get(id), filter.field) === filter.exists;
    case 'fieldEquals': {
      const value = catalog.get(id)?.[filter.field];
      return typeof value === 'string' && value === filter.equals;
    }
  }
}

/** Present and not empty: an empty tag list or title says nothing about the item. */
function hasField(item: CatalogItem | undefined, field: keyof CatalogItem): boolean {
  const value = item?.[field];
  if (value === undefined || value === null || value === '') return false;
  return !Array.isArray(value) || value.length > 0;
}

const inRange = (x: number, r: NumberRange): boolean => (r.atLeast === undefined || x >= r.atLeast) && (r.atMost === undefined || x <= r.atMost);
