/** Site rules on the device: eligibility, pins, frequency caps and fallbacks per placement. */
export {
  parseRules,
  CODE_LIKE_PATTERNS,
  MAX_CAP_IMPRESSIONS,
  MAX_CAPS,
  MAX_ELIGIBILITY_RULES,
  MAX_ID_LENGTH,
  MAX_IDS_IN_FILTER,
  MAX_NAME_LENGTH,
  MAX_PINS,
  MAX_PLACEMENTS,
  MAX_RULES_DEPTH,
  MAX_RULES_JSON_LENGTH,
  MAX_RULES_VALUES,
  MAX_TAGS_IN_FILTER,
  MAX_WITHIN_DAYS,
} from './parse.js';
export { applyRules, conditionHolds, filterMatches, rulesFor, type RuleInput, type RuleOutcome } from './evaluate.js';
export {
  createItemHistory,
  ITEM_HISTORY_VERSION,
  MAX_HISTORY_ITEMS,
  MAX_IMPRESSIONS_KEPT,
  MAX_PLACEMENTS_PER_ITEM,
  type ItemHistory,
  type ItemHistoryState,
  type ItemRecord,
  type PlacementImpressions,
} from './item-history.js';
export { describeCap, describeCondition, describeEligibility, describeFilter } from './describe.js';
export type * from './rule-types.js';
export { EQUATABLE_FIELDS, HISTORY_KINDS, ITEM_FIELDS, RULES_VERSION } from './rule-types.js';
