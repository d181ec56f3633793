/** Plain-language descriptions of rules, for the decision log, explain() and the audit panel. */
import type { CapRule, Condition, EligibilityRule, ItemFilter, NumberRange } from './rule-types.js';

const WEEKDAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const HISTORY_VERBS = { seen: 'seen', clicked: 'clicked', converted: 'converted on' } as const;

export function describeFilter(filter: ItemFilter): string {
  switch (filter.kind) {
    case 'history': {
      const within = filter.withinDays === undefined ? '' : ` in the last ${days(filter.withinDays)}`;
      return `items ${HISTORY_VERBS[filter.history]}${within}`;
    }
    case 'tag':
      return `items tagged "${filter.tag}"`;
    case 'anyTag':
      return `items tagged any of ${quoted(filter.tags)}`;
    case 'ids':
      return `the ${filter.ids.length} listed items`;
    case 'fieldExists':
      return filter.exists ? `items with a ${filter.field}` : `items without a ${filter.field}`;
    case 'fieldEquals':
      return `items whose ${filter.field} is "${filter.equals}"`;
  }
}

export function describeCondition(when: Condition | undefined): string {
  if (!when) return '';
  const parts: string[] = [];
  if (when.stage) parts.push(`stage is ${when.stage.join(' or ')}`);
  if (when.engagement) parts.push(describeRange('engagement', when.engagement));
  if (when.sessions) parts.push(describeRange('visits', when.sessions));
  if (when.hour) parts.push(`local hour is ${when.hour.from}:00–${when.hour.to}:00`);
  if (when.weekday) parts.push(`day is ${when.weekday.map((d) => WEEKDAY_NAMES[d]).join(' or ')}`);
  return ` when ${parts.join(' and ')}`;
}

export function describeEligibility(rule: EligibilityRule): string {
  const verb = rule.mode === 'exclude' ? 'exclude' : 'only';
  return `${verb} ${describeFilter(rule.filter)}${describeCondition(rule.when)}`;
}

export function describeCap(cap: CapRule): string {
  return `at most ${cap.maxImpressions} impression${cap.maxImpressions === 1 ? '' : 's'} per item in ${cap.withinDays} day${cap.withinDays === 1 ? '' : 's'}`;
}

function describeRange(label: string, range: NumberRange): string {
  if (range.atLeast !== undefined && range.atMost !== undefined) return `${label} is ${range.atLeast}–${range.atMost}`;
  return range.atLeast !== undefined ? `${label} ≥ ${range.atLeast}` : `${label} ≤ ${range.atMost}`;
}

const days = (n: number): string => (n === 1 ? 'day' : `${n} days`);
const quoted = (xs: string[]): string => xs.map((x) => `"${x}"`).join(', ');

/** A few ids then a count, so a fired rule stays one readable line. */
export function listIds(ids: string[], shown = 5): string {
  const head = ids.slice(0, shown).join(', ');
  return ids.length > shown ? `${head} and ${ids.length - shown} more` : head;
}
