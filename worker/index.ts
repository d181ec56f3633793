/**
 * `insitu/engine`: the platform-free engine the SDK runs in its worker, and that React Native,
 * Node tests, benchmarks and outside evaluations run directly. Same seed and inputs → same decisions.
 */
import { composeEngine } from './engine.js';
import { createPersonalizer, isInHoldout } from './decide/index.js';
import { applyRetention } from './retention.js';
import { createReporting } from './reporting.js';
import { applyRules, parseRules } from './rules/index.js';
import type { Engine, EngineOptions } from './engine-types.js';

export function createEngine(options: EngineOptions = {}): Engine {
  // Every part at once: the worker alone loads reporting and rules lazily (worker-service.ts).
  return composeEngine(options, { createPersonalizer, isInHoldout, retain: applyRetention, reporting: { createReporting }, rules: { parseRules, applyRules } });
}

export { buildPriors, createPersonalizer, isInHoldout } from './decide/index.js';
export { createMemoryStore } from './memory-store.js';
export { InsituError, ERROR_CODES, type ErrorCode } from './errors.js';
export type * from './types.js';
export type * from './engine-types.js';
export {
  ipsEstimate,
  snipsEstimate,
  doublyRobustEstimate,
  type OffPolicyEstimate,
  type OffPolicyOptions,
  type TargetPolicy,
  type RewardModel,
} from './off-policy.js';
export { parseRules, type RuleSet } from './rules/index.js';
export { createKvStore } from './kv-store.js';
export { fromMmkv, type KeyValueStorage } from './kv-storage.js';
